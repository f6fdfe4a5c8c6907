import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { arrayFor, sizeOf, type AttrValue, type DType, type Node } from '../../src/ir/graph.js';
import { ops } from '../../src/ops/layout.js';
import type { InputInfo, OutputInfo, Value } from '../../src/ops/types.js';

function def(op: string) {
  const found = ops.find((d) => d.op === op);
  if (!found) throw new Error(`no ${op}`);
  return found;
}
function value(dtype: DType, shape: number[], values?: number[]): Value {
  const data = arrayFor(dtype, sizeOf(shape));
  data.set(values ?? Array.from({ length: data.length }, (_, i) => i));
  return { dtype, shape, data };
}
const ints = (values: number[]) => value('int64', [values.length], values);
function nodeOf(op: string, inputs: (Value | undefined)[], attrs: Record<string, AttrValue>, outputs: number): Node {
  return {
    name: 'n',
    op,
    domain: '',
    attrs,
    inputs: inputs.map((v, i) => (v ? `in${i}` : '')),
    outputs: Array.from({ length: outputs }, (_, i) => `out${i}`),
  };
}
/** Shape inference as the frontend calls it: input 0 is an activation, the others are constants. */
function infer(op: string, inputs: (Value | undefined)[], opset = 17, attrs: Record<string, AttrValue> = {}, outputs = 1): OutputInfo[] {
  const infos = inputs.map(
    (v, i): InputInfo | undefined => v && { name: `in${i}`, shape: v.shape, dtype: v.dtype, data: i === 0 ? undefined : v.data },
  );
  return def(op).inferShapes(nodeOf(op, inputs, attrs, outputs), infos, opset);
}
function runAll(op: string, inputs: (Value | undefined)[], opset = 17, attrs: Record<string, AttrValue> = {}, outputs = 1): Value[] {
  const shapes = infer(op, inputs, opset, attrs, outputs);
  const results = def(op).evaluate(nodeOf(op, inputs, attrs, outputs), inputs, opset);
  results.forEach((r, i) => {
    expect(r.shape).toEqual(shapes[i]!.shape);
    expect(r.dtype).toBe(shapes[i]!.dtype);
  });
  return results;
}
const run = (op: string, inputs: (Value | undefined)[], opset = 17, attrs: Record<string, AttrValue> = {}) => runAll(op, inputs, opset, attrs)[0]!;
const list = (v: Value) => Array.from(v.data);

describe('Reshape', () => {
  const x = value('float32', [2, 3, 4]);

  it('copies dimensions for 0 and infers -1', () => {
    expect(run('Reshape', [x, ints([0, -1])]).shape).toEqual([2, 12]);
    expect(run('Reshape', [x, ints([-1, 0, 2])]).shape).toEqual([4, 3, 2]);
  });

  it('reads 0 as an empty dimension with allowzero', () => {
    expect(infer('Reshape', [value('float32', [0, 3]), ints([3, 0])], 14, { allowzero: 1 })[0]!.shape).toEqual([3, 0]);
  });

  it('keeps the data in order', () => {
    expect(list(run('Reshape', [x, ints([24])]))).toEqual(list(x));
  });

  it('explains a size mismatch', () => {
    expect(() => infer('Reshape', [x, ints([5, -1])])).toThrow(/cannot reshape \[2,3,4\] \(24 elements\) to \[5,-1\]/);
    expect(() => infer('Reshape', [x, ints([-1, -1])])).toThrow(/invalid target shape/);
  });

  it('needs the shape to be a constant', () => {
    const node = nodeOf('Reshape', [x, x], {}, 1);
    const err = (() => {
      try {
        def('Reshape').inferShapes(
          node,
          [
            { name: 'x', shape: [2, 3, 4], dtype: 'float32' },
            { name: 's', shape: [2], dtype: 'int64' },
          ],
          13,
        );
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(EennError);
    expect((err as EennError).code).toBe('E_SHAPE');
    expect((err as EennError).message).toContain('must be a constant');
  });
});

describe('Transpose', () => {
  it('reverses axes by default', () => {
    const y = run('Transpose', [value('float32', [2, 3])]);
    expect(y.shape).toEqual([3, 2]);
    expect(list(y)).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it('applies perm', () => {
    const y = run('Transpose', [value('float32', [2, 1, 3])], 17, { perm: [2, 0, 1] });
    expect(y.shape).toEqual([3, 2, 1]);
    expect(list(y)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(() => infer('Transpose', [value('float32', [2, 3])], 17, { perm: [0, 0] })).toThrow(/not a permutation/);
  });
});

describe('Squeeze, Unsqueeze, Flatten', () => {
  const x = value('float32', [1, 3, 1, 2]);

  it('Squeeze reads axes from the attribute before opset 13 and the input after', () => {
    expect(infer('Squeeze', [x], 11, { axes: [0] })[0]!.shape).toEqual([3, 1, 2]);
    expect(infer('Squeeze', [x, ints([-2])], 13)[0]!.shape).toEqual([1, 3, 2]);
    expect(infer('Squeeze', [x], 13)[0]!.shape).toEqual([3, 2]);
    expect(() => infer('Squeeze', [x, ints([1])], 13)).toThrow(/size is not 1/);
  });

  it('Unsqueeze inserts axes counted in the output rank', () => {
    expect(infer('Unsqueeze', [value('float32', [3, 4]), ints([0, -1])], 13)[0]!.shape).toEqual([1, 3, 4, 1]);
    expect(infer('Unsqueeze', [value('float32', [3, 4])], 11, { axes: [1] })[0]!.shape).toEqual([3, 1, 4]);
  });

  it('Flatten splits at axis', () => {
    expect(infer('Flatten', [value('float32', [2, 3, 4])])[0]!.shape).toEqual([2, 12]);
    expect(infer('Flatten', [value('float32', [2, 3, 4])], 13, { axis: -1 })[0]!.shape).toEqual([6, 4]);
    expect(infer('Flatten', [value('float32', [2, 3, 4])], 13, { axis: 0 })[0]!.shape).toEqual([1, 24]);
  });
});

describe('Concat and Split', () => {
  it('Concat joins along an inner axis', () => {
    const y = run('Concat', [value('float32', [2, 1], [1, 2]), value('float32', [2, 2], [3, 4, 5, 6])], 13, { axis: 1 });
    expect(y.shape).toEqual([2, 3]);
    expect(list(y)).toEqual([1, 3, 4, 2, 5, 6]);
    expect(() => infer('Concat', [value('float32', [2, 1]), value('float32', [3, 1])], 13, { axis: 1 })).toThrow(/cannot concatenate/);
  });

  it('Split divides equally or by sizes', () => {
    const x = value('float32', [2, 4]);
    const halves = runAll('Split', [x], 13, { axis: 1 }, 2);
    expect(halves.map(list)).toEqual([
      [0, 1, 4, 5],
      [2, 3, 6, 7],
    ]);
    const sized = runAll('Split', [x, ints([1, 3])], 13, { axis: -1 }, 2);
    expect(sized.map((v) => v.shape)).toEqual([
      [2, 1],
      [2, 3],
    ]);
    expect(list(sized[1]!)).toEqual([1, 2, 3, 5, 6, 7]);
    expect(runAll('Split', [x], 11, { axis: 1, split: [3, 1] }, 2).map((v) => v.shape)).toEqual([
      [2, 3],
      [2, 1],
    ]);
  });

  it('Split with num_outputs (opset 18) makes the last part smaller', () => {
    const parts = runAll('Split', [value('float32', [5])], 18, { num_outputs: 2 }, 2);
    expect(parts.map(list)).toEqual([
      [0, 1, 2],
      [3, 4],
    ]);
  });
});

describe('Tile, DepthToSpace, Identity, Dropout', () => {
  it('Tile repeats per axis', () => {
    const y = run('Tile', [value('float32', [2, 2], [1, 2, 3, 4]), ints([1, 2])]);
    expect(y.shape).toEqual([2, 4]);
    expect(list(y)).toEqual([1, 2, 1, 2, 3, 4, 3, 4]);
  });

  it('DepthToSpace and SpaceToDepth invert each other', () => {
    const x = value('float32', [1, 8, 2, 3]);
    const space = run('DepthToSpace', [x], 13, { blocksize: 2 });
    expect(space.shape).toEqual([1, 2, 4, 6]);
    expect(list(run('SpaceToDepth', [space], 13, { blocksize: 2 }))).toEqual(list(x));
    // DCR: output (0, 0, 0, 1) comes from channel 2 (block column 1).
    expect(space.data[1]).toBe(x.data[2 * 6]);
  });

  it('Identity and Dropout pass data through; the mask is all true', () => {
    const x = value('float32', [3], [1, 2, 3]);
    expect(list(run('Identity', [x]))).toEqual([1, 2, 3]);
    const [y, mask] = runAll('Dropout', [x], 13, {}, 2);
    expect(list(y!)).toEqual([1, 2, 3]);
    expect(mask!.dtype).toBe('bool');
    expect(list(mask!)).toEqual([1, 1, 1]);
  });

  it('Dropout rejects training mode with a non-zero ratio', () => {
    const x = value('float32', [3], [1, 2, 3]);
    expect(() => run('Dropout', [x, value('float32', [], [0.5]), value('bool', [], [1])], 13)).toThrow(/training mode/);
    expect(list(run('Dropout', [x, value('float32', [], [0]), value('bool', [], [1])], 13))).toEqual([1, 2, 3]);
  });

  it('counts no MACs', () => {
    expect(def('Transpose').macs!(nodeOf('Transpose', [], {}, 1), [], [{ shape: [9], dtype: 'float32' }])).toBe(0);
  });
});
