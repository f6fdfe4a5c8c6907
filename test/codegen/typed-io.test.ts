// float32 builds of models whose inputs, outputs or intermediates are not float32: int64, int32, uint8, bool and
// float64 tensors at the model's edges and inside, through the typed kernels (templates/c/kernels/eenn_*_typed.c).
// Each model is built with eennc for the host, fed the raw little-endian bytes of its inputs (int64 as int64_t, bool
// one byte), and its raw outputs compared with hand-computed values; one int8/bool model runs on cortex-m4 (QEMU)
// to show the typed kernels compile for Arm with -Werror.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../src/compile.js';
import { encodeGraph } from '../../src/frontend/save.js';
import { EennError } from '../../src/ir/diagnostics.js';
import type { DType, Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { runFirmware } from '../../src/toolchain/index.js';
import { makeTempDir, removeTempDir } from '../../src/util/temp-dirs.js';
import { decodeOutput, encodeInput } from '../../src/io-codec.js';
import { buildGraph, typedArray, type GraphSpec } from '../frontend/build-graph.js';

let dir = '';
beforeAll(async () => {
  dir = await makeTempDir('eennc-typed-io-');
});
afterAll(async () => {
  await removeTempDir(dir);
});

/** A graph from `spec` whose tensors (inputs, intermediates, outputs) have the given types and shapes. */
function typedGraph(spec: GraphSpec, types: Record<string, [DType, number[]]>): Graph {
  const graph = buildGraph(spec);
  for (const [name, [dtype, shape]] of Object.entries(types)) graph.tensors.set(name, { name, dtype, shape });
  return graph;
}

const value = (dtype: DType, shape: number[], values: number[]): Value => ({ shape, dtype, data: typedArray(dtype, values) });

/** Build `graph` with eennc (float32) for `target`, run one sample of `inputs`, return the outputs by name. */
async function run(name: string, graph: Graph, inputs: Record<string, Value>, target = 'host'): Promise<Record<string, number[]>> {
  const model = join(dir, `${name}.onnx`);
  writeFileSync(model, encodeGraph(graph));
  const compiled = await compileModel({ model, target, precision: 'float32', outDir: join(dir, name) });
  const bytes = Buffer.concat(compiled.graph.inputs.map((i) => encodeInput(compiled.graph.tensors.get(i)!, inputs[i]!).bytes));
  const result = await runFirmware(compiled.image!.elfPath, compiled.target, new Uint8Array(bytes), { samples: 1, timeoutMs: 60_000 });
  const raw = result.outputs[0]!;
  const outputs: Record<string, number[]> = {};
  let at = 0;
  compiled.graph.outputs.forEach((o, k) => {
    const t = compiled.graph.tensors.get(o)!;
    const n = compiled.outputBytes[k]!;
    outputs[o] = [...decodeOutput(t, raw.slice(at, at + n)).raw];
    at += n;
  });
  return outputs;
}

describe('float32 builds with tensors of other element types (host)', () => {
  it('int64 in and out: Add, Mul and Div of int64 beyond 32 bits, integer division toward zero', async () => {
    const graph = typedGraph(
      {
        inputs: { x: ['int64', [4]] },
        constants: { big: ['int64', [1], [2 ** 40]], three: ['int64', [1], [3]] },
        nodes: [
          ['Add', ['x', 'big'], ['sum']],
          ['Mul', ['x', 'three'], ['product']],
          ['Div', ['x', 'three'], ['quotient']],
        ],
        outputs: ['sum', 'product', 'quotient'],
      },
      { sum: ['int64', [4]], product: ['int64', [4]], quotient: ['int64', [4]] },
    );
    const out = await run('int64-arith', graph, { x: value('int64', [4], [7, -7, 2 ** 33, -1]) });
    expect(out.sum).toEqual([2 ** 40 + 7, 2 ** 40 - 7, 2 ** 40 + 2 ** 33, 2 ** 40 - 1]);
    expect(out.product).toEqual([21, -21, 3 * 2 ** 33, -3]);
    expect(out.quotient).toEqual([2, -2, Math.trunc(2 ** 33 / 3), 0]);
  });

  it('int32 Mod: Python sign with fmod=0, C sign with fmod=1, x mod 0 is 0', async () => {
    const graph = typedGraph(
      {
        opset: 13,
        inputs: { a: ['int32', [5]], b: ['int32', [5]] },
        nodes: [
          ['Mod', ['a', 'b'], ['python']],
          ['Mod', ['a', 'b'], ['c'], { fmod: 1 }],
        ],
        outputs: ['python', 'c'],
      },
      { python: ['int32', [5]], c: ['int32', [5]] },
    );
    const out = await run('int32-mod', graph, { a: value('int32', [5], [-7, 7, -7, 7, 5]), b: value('int32', [5], [2, -2, -2, 2, 0]) });
    expect(out.python).toEqual([1, -1, -1, 1, 0]);
    expect(out.c).toEqual([-1, 1, -1, 1, 0]);
  });

  it('uint8 in, Add wrapping around as numpy, Cast to float32 out', async () => {
    const graph = typedGraph(
      {
        inputs: { x: ['uint8', [4]] },
        constants: { hundred: ['uint8', [1], [100]] },
        nodes: [
          ['Add', ['x', 'hundred'], ['wrapped']],
          ['Cast', ['wrapped'], ['real'], { to: 1 }],
        ],
        outputs: ['wrapped', 'real'],
      },
      { wrapped: ['uint8', [4]], real: ['float32', [4]] },
    );
    const out = await run('uint8-wrap', graph, { x: value('uint8', [4], [0, 155, 156, 255]) });
    expect(out.wrapped).toEqual([100, 255, 0, 99]);
    expect(out.real).toEqual([100, 255, 0, 99]);
  });

  it('bool: Greater of float32 to bool, And with a bool input, Not, Where choosing float32 values', async () => {
    const graph = typedGraph(
      {
        inputs: { x: ['float32', [4]], mask: ['bool', [4]] },
        constants: { zero: ['float32', [1], [0]], minus: ['float32', [1], [-1]] },
        nodes: [
          ['Greater', ['x', 'zero'], ['positive']],
          ['And', ['positive', 'mask'], ['both']],
          ['Not', ['both'], ['neither']],
          ['Where', ['both', 'x', 'minus'], ['chosen']],
        ],
        outputs: ['neither', 'chosen'],
      },
      { positive: ['bool', [4]], both: ['bool', [4]], neither: ['bool', [4]], chosen: ['float32', [4]] },
    );
    const out = await run('bool-logic', graph, { x: value('float32', [4], [1.5, -2, 3, 0]), mask: value('bool', [4], [1, 1, 0, 1]) });
    expect(out.neither).toEqual([0, 1, 1, 1]);
    expect(out.chosen).toEqual([1.5, -1, -1, -1]);
  });

  it('float64 in and out: Cast from float32, Mul in double', async () => {
    const graph = typedGraph(
      {
        inputs: { x: ['float32', [2]], y: ['float64', [2]] },
        nodes: [
          ['Cast', ['x'], ['wide'], { to: 11 }],
          ['Mul', ['wide', 'y'], ['product']],
        ],
        outputs: ['product'],
      },
      { wide: ['float64', [2]], product: ['float64', [2]] },
    );
    const out = await run('float64', graph, { x: value('float32', [2], [0.1, 3]), y: value('float64', [2], [1 / 3, 1e-300]) });
    expect(out.product).toEqual([Math.fround(0.1) * (1 / 3), 3e-300]);
  });

  it('Gather on int64 indices fed at run time: negative ones count from the end, out of range ones clamp', async () => {
    const graph = typedGraph(
      {
        inputs: { ids: ['int64', [5]] },
        constants: { table: ['float32', [3, 2], [10, 11, 20, 21, 30, 31]] },
        nodes: [['Gather', ['table', 'ids'], ['rows'], { axis: 0 }]],
        outputs: ['rows'],
      },
      { rows: ['float32', [5, 2]] },
    );
    const out = await run('gather-runtime', graph, { ids: value('int64', [5], [2, 0, -1, 7, -9]) });
    expect(out.rows).toEqual([30, 31, 10, 11, 30, 31, 30, 31, 10, 11]);
  });

  it('ArgMax of float32 to int64, the last of equal ones with select_last_index', async () => {
    const graph = typedGraph(
      {
        inputs: { x: ['float32', [2, 3]] },
        nodes: [
          ['ArgMax', ['x'], ['first'], { axis: 1, keepdims: 0 }],
          ['ArgMax', ['x'], ['last'], { axis: 1, keepdims: 0, select_last_index: 1 }],
        ],
        outputs: ['first', 'last'],
      },
      { first: ['int64', [2]], last: ['int64', [2]] },
    );
    const out = await run('argmax', graph, { x: value('float32', [2, 3], [5, 1, 5, -1, -3, -2]) });
    expect(out.first).toEqual([0, 0]);
    expect(out.last).toEqual([2, 0]);
  });

  it('an operator without a kernel for the type is refused naming it, not compiled wrongly', async () => {
    const graph = typedGraph(
      {
        inputs: { x: ['int32', [4]] },
        nodes: [['Exp', ['x'], ['y']]],
        outputs: ['y'],
      },
      { y: ['int32', [4]] },
    );
    const model = join(dir, 'refused.onnx');
    writeFileSync(model, encodeGraph(graph));
    const err = await compileModel({ model, target: 'host', precision: 'float32', outDir: join(dir, 'refused'), link: false }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EennError);
    expect((err as EennError).code).toBe('E_UNSUPPORTED');
  });
});

describe('float32 builds with int8 and bool tensors on cortex-m4 (QEMU)', () => {
  it('int8 in, Equal to bool, Where of int8, Cast to int64 out: compiled with -Werror for Arm', async () => {
    const graph = typedGraph(
      {
        inputs: { x: ['int8', [6]] },
        constants: { three: ['int8', [1], [3]], floor: ['int8', [1], [-128]] },
        nodes: [
          ['Equal', ['x', 'three'], ['hit']],
          ['Where', ['hit', 'floor', 'x'], ['masked']],
          ['Cast', ['masked'], ['wide'], { to: 7 }],
        ],
        outputs: ['hit', 'masked', 'wide'],
      },
      { hit: ['bool', [6]], masked: ['int8', [6]], wide: ['int64', [6]] },
    );
    const out = await run('int8-bool-m4', graph, { x: value('int8', [6], [3, -3, 127, -128, 3, 0]) }, 'cortex-m4');
    expect(out.hit).toEqual([1, 0, 0, 0, 1, 0]);
    expect(out.masked).toEqual([-128, -3, 127, -128, -128, 0]);
    expect(out.wide).toEqual([-128, -3, 127, -128, -128, 0]);
  });
});
