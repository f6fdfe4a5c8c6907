// The contract checks model.c carries (src/codegen/contract-checks.ts): a small int8 model's model.c states its
// scratch sizes, constants and required correctness switches as _Static_asserts; it compiles as generated, and
// stops compiling when eenn_config.h switches off the exact output stage a layer needs or when a header's macro no
// longer says what the compiler computed; a float32 model's model.c likewise for the float kernels' scratch.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { emitModel } from '../../src/codegen/emit-model.js';
import { intArg, nullArg, scratchArg } from '../../src/kernels/call.js';
import type { LoweredStep } from '../../src/codegen/kernel-call.js';
import type { Graph } from '../../src/ir/graph.js';
import { contractChecks } from '../../src/codegen/contract-checks.js';
import { planMemory } from '../../src/schedule/memory-plan.js';
import type { Step } from '../../src/schedule/schedule.js';
import { Int8GraphBuilder } from '../codegen/int8-builder.js';
import { HOST_CFLAGS } from '../codegen/host-run.js';
import { GraphBuilder, seededRandom } from '../schedule/graph-builder.js';

/**
 * Input [1, 3, 8, 8] -> 3x3 conv -> depthwise 3x3 -> 1x1 conv -> fully connected. With `exact`, the 1x1 conv's
 * output scale is so small that its requantization shifts left: it needs the exact output stage.
 */
function model(exact: boolean): Graph {
  const q = new Int8GraphBuilder(exact ? 'exact' : 'bounded', seededRandom(11));
  const x = q.input('x', [1, 3, 8, 8]);
  const a = q.conv(x, 8, [3, 3], { pads: [1, 1, 1, 1] }, [1, 8, 8, 8], { act: 'relu' });
  const d = q.conv(a, 8, [3, 3], { pads: [1, 1, 1, 1], group: 8 }, [1, 8, 8, 8]);
  const p = q.conv(d, 4, [1, 1], {}, [1, 4, 8, 8], exact ? { q: { scale: 1e-6, zeroPoint: 0 } } : {});
  const flat = q.pass('Flatten', [p], { axis: 1 })[0]!;
  q.output(q.gemm(flat, 10));
  return q.build();
}

describe('model.c ties its sizes and switches to the kernel headers', () => {
  const root = mkdtempSync(join(tmpdir(), 'eenn-contract-checks-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** Writes the model's project to a folder of its own; returns the folder. */
  function write(name: string, graph: Graph): string {
    const dir = join(root, name);
    for (const [path, text] of emitModel(graph, planMemory(graph), { modelName: name, precision: 'int8' }).files) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  }

  /** gcc's verdict on model.c: undefined when it compiles, else its error text. */
  async function compile(dir: string): Promise<string | undefined> {
    const result = await execa('gcc', [...HOST_CFLAGS, '-fsyntax-only', '-I', dir, join(dir, 'model.c')], { reject: false });
    return result.exitCode === 0 ? undefined : result.stderr;
  }

  function edit(dir: string, path: string, from: string | RegExp, to: string): void {
    const file = join(dir, path);
    const text = readFileSync(file, 'utf8');
    const edited = text.replace(from, to);
    expect(edited).not.toBe(text);
    writeFileSync(file, edited);
  }

  it('states each scratch size, constant and required switch once, naming the step and node', () => {
    const c = readFileSync(join(write('listed', model(true)), 'model.c'), 'utf8');
    const asserts = c.split('\n').filter((line) => line.startsWith('_Static_assert('));
    expect(asserts).toContainEqual(
      expect.stringMatching(/^_Static_assert\(EENN_CONV_S8_SCRATCH_BYTES\(27\) <= \d+, "step 0 \\".*\\": scratch of eenn_conv2d_s8"\);$/),
    );
    expect(asserts).toContainEqual(expect.stringMatching(/^_Static_assert\(EENN_DEPTHWISE_S8_SCRATCH_BYTES\(8, 8, 3, 3, 1, 1, 1, 1\) <= \d+, /));
    expect(asserts).toContainEqual(
      expect.stringMatching(
        /^_Static_assert\(EENN_CONV_S8_EXACT, "step \d+ \\".*\\" needs the exact output stage: EENN_CONV_S8_EXACT must be 1"\);$/,
      ),
    );
    expect(asserts.filter((a) => a.startsWith('_Static_assert(EENN_PAIR_CHUNK_S8 == 16,'))).toHaveLength(1);
    expect(new Set(asserts).size).toBe(asserts.length);
  }, 60_000);

  it('compiles as generated, and not with the exact output stage switched off', async () => {
    const dir = write('exact', model(true));
    expect(readFileSync(join(dir, 'kernels/eenn_config.h'), 'utf8')).toMatch(/#define EENN_CONV_S8_EXACT 1 /);
    expect(await compile(dir)).toBeUndefined();
    edit(dir, 'kernels/eenn_config.h', /#define EENN_CONV_S8_EXACT 1 /, '#define EENN_CONV_S8_EXACT 0 ');
    expect(await compile(dir)).toContain('needs the exact output stage: EENN_CONV_S8_EXACT must be 1');
  }, 120_000);

  it('asks nothing of the exact stage when no layer needs it', async () => {
    const dir = write('bounded', model(false));
    expect(readFileSync(join(dir, 'model.c'), 'utf8')).not.toContain('_Static_assert(EENN_CONV_S8_EXACT');
    expect(readFileSync(join(dir, 'kernels/eenn_config.h'), 'utf8')).toMatch(/#define EENN_CONV_S8_EXACT 0 /);
    expect(await compile(dir)).toBeUndefined();
  }, 120_000);

  it('stops compiling when a header macro no longer says what the compiler computed', async () => {
    const edits: [string, RegExp, string, string][] = [
      ['the im2col columns', /\(\(\(depth\) < 16 \? 16 : 4\)/, '(((depth) < 16 ? 16 : 8)', 'scratch of eenn_conv2d_s8'],
      [
        'the depthwise band',
        /#define EENN_DEPTHWISE_S8_BAND 8/,
        '#define EENN_DEPTHWISE_S8_BAND 4',
        'output rows eenn_depthwise_conv2d_s8 computes per pass',
      ],
      ['the paired chunk', /#define EENN_PAIR_CHUNK_S8 16/, '#define EENN_PAIR_CHUNK_S8 32', 'weights packed in pairs'],
    ];
    for (const [what, from, to, message] of edits) {
      const dir = write(`edited-${edits.findIndex((e) => e[0] === what)}`, model(false));
      edit(dir, 'kernels/eenn_kernels_s8.h', from, to);
      expect(await compile(dir), what).toContain(message);
    }
  }, 240_000);
});

/** Input [1, 4, 8, 8] -> Relu -> depthwise 3x3 (run over its input) -> 3x3 conv + max pool (fused): float32. */
function floatModel(): Graph {
  const b = new GraphBuilder();
  const weights = (name: string, shape: number[]) =>
    b.constant(
      name,
      shape,
      Float32Array.from({ length: shape.reduce((a, v) => a * v, 1) }, (_, i) => (i % 7) / 7 - 0.4),
    );
  const r = b.op('Relu', [b.input('x', [1, 4, 8, 8])]);
  const d = b.op('Conv', [r, weights('dw', [4, 1, 3, 3])], { group: 4, pads: [1, 1, 1, 1] });
  const c = b.op('Conv', [d, weights('cw', [8, 4, 3, 3])], { pads: [1, 1, 1, 1] });
  b.output(b.op('MaxPool', [c], { kernel_shape: [2, 2], strides: [2, 2] }));
  return b.build();
}

describe("float32 model.c ties the float kernels' scratch to their header", () => {
  const root = mkdtempSync(join(tmpdir(), 'eenn-contract-checks-f32-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('states the scratch of the in-place and conv + pool kernels, and stops compiling when the block changes', async () => {
    const graph = floatModel();
    const dir = join(root, 'float');
    for (const [path, text] of emitModel(graph, planMemory(graph), { modelName: 'float', precision: 'float32' }).files) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const c = readFileSync(join(dir, 'model.c'), 'utf8');
    expect(c).toMatch(/_Static_assert\(EENN_DEPTHWISE_IN_PLACE_F32_SCRATCH_FLOATS\(8, 8\) <= 64, /);
    expect(c).toMatch(/_Static_assert\(EENN_CONV_POOL_F32_SCRATCH_FLOATS\(8, 8, 8\) <= 256, /);
    const compile = async () => await execa('gcc', [...HOST_CFLAGS, '-fsyntax-only', '-I', dir, join(dir, 'model.c')], { reject: false });
    expect((await compile()).exitCode).toBe(0);
    const header = join(dir, 'kernels/eenn_kernels_f32.h');
    writeFileSync(header, readFileSync(header, 'utf8').replace('#define EENN_CONV_POOL_F32_BLOCK 4', '#define EENN_CONV_POOL_F32_BLOCK 8'));
    expect((await compile()).stderr).toContain('output channels eenn_conv2d_pool_f32 computes per pass');
  }, 120_000);
});

describe('contractChecks', () => {
  const graph = new GraphBuilder().build();
  const conv = (name: string, scratch: boolean): { step: Step; lowered: LoweredStep } => ({
    step: {
      index: 2,
      nodes: [{ name, op: 'QConv', domain: 'eenn.int8', inputs: [], outputs: [], attrs: {} }],
      scratchBytes: scratch ? 64 : undefined,
    },
    lowered: {
      calls: [
        {
          fn: 'eenn_conv2d_s8',
          source: 'eenn_conv2d_s8.c',
          args: [
            scratch ? scratchArg('scratch') : nullArg('scratch'),
            intArg('in_c', 4),
            intArg('groups', 1),
            intArg('kernel_h', 3),
            intArg('kernel_w', 3),
            intArg('out_c', 2),
            nullArg('bias'),
          ],
        },
      ],
    },
  });

  it('requires EENN_CONV_S8_DIRECT for a convolution without a scratch, and only then', () => {
    expect(contractChecks(graph, [conv('c', false)]).map((c) => c.expr)).toContain('EENN_CONV_S8_DIRECT');
    expect(contractChecks(graph, [conv('c', true)]).map((c) => c.expr)).not.toContain('EENN_CONV_S8_DIRECT');
    expect(contractChecks(graph, [conv('c', true)]).map((c) => c.expr)).toContain('EENN_CONV_S8_SCRATCH_BYTES(36) <= 64');
  });

  it('needs the exact stage when the requantization is not a constant (not decidable)', () => {
    expect(contractChecks(graph, [conv('c', true)]).map((c) => c.expr)).toContain('EENN_CONV_S8_EXACT');
  });

  it('escapes node names for the inside of a C string', () => {
    const [check] = contractChecks(graph, [conv('a"b\\c??/\nd', false)]);
    expect(check!.message).toBe('step 2 \\"a\\"b\\\\c?\\?/ d\\" calls eenn_conv2d_s8 without a scratch: EENN_CONV_S8_DIRECT must be 1');
  });
});
