// printSteps: a step's comment, its calls' arguments as C expressions (arena, caller's pointers, constant arrays,
// offsets) and rolled calls written in terms of the loop variable; the inputs and outputs each step uses.

import { describe, expect, it } from 'vitest';
import { IdentifierPool } from '../../src/codegen/c-format.js';
import { ConstantTable } from '../../src/codegen/constants.js';
import type { ConstArray, KernelCall } from '../../src/kernels/call.js';
import { constArg, intArg, nullArg, tensorArg } from '../../src/kernels/call.js';
import { printSteps } from '../../src/codegen/print-steps.js';
import { TensorStorage } from '../../src/codegen/storage.js';
import { planMemory } from '../../src/schedule/memory-plan.js';
import { GraphBuilder } from '../schedule/graph-builder.js';

/** r = Relu(x), y = Neg(r) + r: r lives in the arena (read after Neg), x and y in the caller's buffers. */
function threeSteps() {
  const b = new GraphBuilder('three');
  const x = b.input('x', [1, 8]);
  const r = b.op('Relu', [x]);
  b.output(b.op('Add', [b.op('Neg', [r]), r]));
  const graph = b.build();
  return { graph, plan: planMemory(graph) };
}

const table = (pass: number): ConstArray => ({ name: 'table', ctype: 'float', data: Float32Array.from([pass, 10 + pass]), note: 'per pass' });

/** Pass `i` of a block kernel reading x: 4 values further on, an int counting down, its own table. */
const pass = (i: number): KernelCall => ({
  fn: 'eenn_block_f32',
  source: 'eenn_block_f32.c',
  args: [tensorArg('input', 'x', 4 * i), intArg('first', 3 - 2 * i), intArg('count', 8), constArg('table', table(i)), nullArg('bias')],
});

/** The steps of threeSteps() printed with `calls[i]` as step i's calls. */
function print(calls: KernelCall[][]) {
  const { graph, plan } = threeSteps();
  const constants = new ConstantTable(new IdentifierPool(), false);
  const storage = new TensorStorage(graph, plan, constants, 'float32');
  const lowered = plan.steps.map((step, i) => ({ step, lowered: { calls: calls[i] ?? [] } }));
  return { printed: printSteps(graph, lowered, storage, constants), constants, storage };
}

describe('printSteps', () => {
  it("writes rolled calls in terms of the loop variable, the passes' tables concatenated into one array", () => {
    const { printed, constants } = print([[pass(0), pass(1), pass(2)]]);
    const [group] = printed.steps[0]!.groups;
    expect(group!.loop).toEqual({ count: 3, variable: 'block' });
    expect(group!.calls[0]!.args).toEqual([
      { label: 'input', expr: 'input_0 + 4 * block' },
      { label: 'first', expr: '3 - 2 * block' },
      { label: 'count', expr: '8' },
      { label: 'table', expr: 'table + 2 * block' },
      { label: 'bias ', expr: 'NULL' },
    ]);
    expect(Array.from(constants.printed().arrays, (a) => [a.ident, a.body.replace(/\s+/g, ' ').trim()])).toEqual([
      ['table', '0.0f, 10.0f, 1.0f, 11.0f, 2.0f, 12.0f,'],
    ]);
    expect(printed.sources).toEqual(new Set(['eenn_block_f32.c']));
  });

  it('notes the model inputs and outputs each step uses, and says when a step computes nothing', () => {
    const { graph } = threeSteps();
    const r = graph.nodes[0]!.outputs[0]!;
    const y = graph.outputs[0]!;
    const { printed, storage } = print([
      [],
      [{ fn: 'eenn_neg_f32', source: 'eenn_neg_f32.c', args: [tensorArg('input', r, 2), tensorArg('output', y)] }],
    ]);
    expect(printed.steps[0]!.notes).toEqual(['nothing to compute']);
    expect(printed.steps[0]!.inputs).toEqual(new Set());
    const [call] = printed.steps[1]!.groups[0]!.calls;
    expect(call!.args.map((a) => a.expr)).toEqual([`EENN_ARENA_F32(EENN_OFFSET_${r.toUpperCase()}) + 2`, 'output_0']);
    expect(printed.steps[1]!.outputs).toEqual(new Set([0]));
    expect(storage.used).toEqual({ inputs: new Set(), outputs: new Set([0]) });
    expect(printed.steps[1]!.comment).toBe(`[1] ${graph.nodes[1]!.name} (Neg): [1, 8] -> [1, 8], 8 MACs`);
  });
});
