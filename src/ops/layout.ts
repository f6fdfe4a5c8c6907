// Data movement: Flatten, Reshape, Transpose, Squeeze, Unsqueeze, Concat, Split, Tile, DepthToSpace,
// SpaceToDepth, Identity, Dropout (inference). Shapes that depend on constant inputs (Reshape's shape, Squeeze's axes
// from opset 13, ...) need those inputs to be constants. MACs: none.

import { nodeError } from '../ir/diagnostics.js';
import { sizeOf, type Node } from '../ir/graph.js';
import { attrInt, attrInts, attrString, intsFromAttrOrInput, normalizeAxis, numbersOf } from './attrs.js';
import { formatShape } from './broadcast.js';
import { checkSameType, constantNumbers, newValue, requireInput, reshaped } from './operands.js';
import { movementOp, noMacs, permuted, type Operands } from './movement.js';
import type { InputInfo, OpDef, OutputInfo, Value } from './types.js';

const LATEST = 21;

/** An operator that only relabels the shape of input 0 (the data is shared, not copied). */
function reshapingOp(op: string, shapeOf: (node: Node, inputs: Operands, opset: number) => number[]): OpDef {
  return movementOp(op, [1, LATEST], shapeOf, (_node, x, shape) => reshaped(x, shape));
}

function flattenShape(node: Node, shape: readonly number[]): number[] {
  const rank = shape.length;
  const raw = attrInt(node, 'axis', 1);
  const axis = raw < 0 ? raw + rank : raw;
  if (axis < 0 || axis > rank) throw nodeError('E_SHAPE', node, `axis ${raw} is out of range for a tensor of rank ${rank}`);
  return [sizeOf(shape.slice(0, axis)), sizeOf(shape.slice(axis))];
}

const flatten = reshapingOp('Flatten', (node, inputs) => flattenShape(node, requireInput(node, inputs, 0).shape));

/**
 * Reshape's output shape: 0 copies the input dimension at that index (unless `allowzero=1`,
 * opset 14, where it means an empty dimension), -1 takes what is left.
 */
function reshapeShape(node: Node, inputs: readonly (InputInfo | Value | undefined)[]): number[] {
  const x = requireInput(node, inputs, 0);
  // An attribute before opset 5, input 1 from opset 5.
  const requested = intsFromAttrOrInput(node, 'shape', inputs, 1);
  if (!requested) throw nodeError('E_GRAPH', node, 'the target shape (input 1) is required');
  const allowZero = attrInt(node, 'allowzero', 0) === 1;
  const shape = requested.map((d, i) => {
    if (d === 0 && !allowZero) {
      if (i >= x.shape.length)
        throw nodeError('E_SHAPE', node, `shape ${formatShape(requested)} copies dimension ${i}, which input ${formatShape(x.shape)} lacks`);
      return x.shape[i]!;
    }
    return d;
  });
  const inferred = shape.filter((d) => d === -1).length;
  if (inferred > 1 || shape.some((d) => d < -1)) throw nodeError('E_SHAPE', node, `invalid target shape ${formatShape(requested)}`);
  const total = sizeOf(x.shape);
  if (inferred === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0 || total % known !== 0) {
      throw nodeError('E_SHAPE', node, `cannot reshape ${formatShape(x.shape)} (${total} elements) to ${formatShape(requested)}`);
    }
    shape[shape.indexOf(-1)] = total / known;
  }
  if (sizeOf(shape) !== total) {
    throw nodeError(
      'E_SHAPE',
      node,
      `cannot reshape ${formatShape(x.shape)} (${total} elements) to ${formatShape(requested)} (${sizeOf(shape)} elements)`,
    );
  }
  return shape;
}

const reshape = reshapingOp('Reshape', reshapeShape);

/** Transpose's permutation: the attribute, or reversed axes by default; must be a permutation of 0..rank-1. */
function permutationOf(node: Node, rank: number): number[] {
  const perm = attrInts(node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const seen = new Set(perm);
  if (perm.length !== rank || seen.size !== rank || perm.some((p) => p < 0 || p >= rank)) {
    throw nodeError('E_SHAPE', node, `perm ${formatShape(perm)} is not a permutation of the ${rank} axes`);
  }
  return perm;
}

const transpose = movementOp(
  'Transpose',
  [1, LATEST],
  (node, inputs) => {
    const x = requireInput(node, inputs, 0);
    return permutationOf(node, x.shape.length).map((p) => x.shape[p]!);
  },
  (node, x, shape) => permuted(x, x.shape, permutationOf(node, x.shape.length), shape),
);

/** Axes normalized against `rank`; E_SHAPE on repeats or out-of-range values. */
function uniqueAxes(node: Node, axes: readonly number[], rank: number): number[] {
  const normalized = axes.map((a) => normalizeAxis(node, a, rank));
  if (new Set(normalized).size !== normalized.length) throw nodeError('E_SHAPE', node, `axes ${formatShape(axes)} repeat an axis`);
  return normalized;
}

function squeezeShape(node: Node, inputs: readonly (InputInfo | Value | undefined)[]): number[] {
  const x = requireInput(node, inputs, 0);
  const axes = intsFromAttrOrInput(node, 'axes', inputs, 1);
  if (!axes) return x.shape.filter((d) => d !== 1);
  const drop = uniqueAxes(node, axes, x.shape.length);
  for (const a of drop) {
    if (x.shape[a] !== 1) throw nodeError('E_SHAPE', node, `cannot squeeze axis ${a} of ${formatShape(x.shape)}: its size is not 1`);
  }
  return x.shape.filter((_, i) => !drop.includes(i));
}

function unsqueezeShape(node: Node, inputs: readonly (InputInfo | Value | undefined)[], opset: number): number[] {
  const x = requireInput(node, inputs, 0);
  const axes = intsFromAttrOrInput(node, 'axes', inputs, 1);
  if (!axes) throw nodeError('E_GRAPH', node, opset < 13 ? 'attribute "axes" is required' : 'input 1 (axes) is required');
  const rank = x.shape.length + axes.length;
  const insert = uniqueAxes(node, axes, rank);
  const shape: number[] = [];
  let next = 0;
  for (let i = 0; i < rank; i++) shape.push(insert.includes(i) ? 1 : x.shape[next++]!);
  return shape;
}

/** Concat's axis (required from opset 4; opset 1 defaulted to 1) and output shape. */
function concatLayout(node: Node, parts: readonly (InputInfo | Value)[]): { axis: number; shape: number[] } {
  if (parts.length === 0) throw nodeError('E_GRAPH', node, 'needs at least one input');
  const rank = parts[0]!.shape.length;
  const axis = normalizeAxis(node, attrInt(node, 'axis', 1), rank);
  const shape = [...parts[0]!.shape];
  shape[axis] = 0;
  for (const part of parts) {
    const fits = part.shape.length === rank && part.shape.every((d, i) => i === axis || d === shape[i]);
    if (!fits) {
      throw nodeError(
        'E_SHAPE',
        node,
        `cannot concatenate ${parts.map((p) => formatShape(p.shape)).join(', ')} along axis ${axis}`,
        'all dimensions but the concatenation axis must match',
      );
    }
    shape[axis]! += part.shape[axis]!;
  }
  return { axis, shape };
}

const concat: OpDef = {
  op: 'Concat',
  opsets: [1, LATEST],
  inferShapes(node, inputs) {
    const parts = inputs.filter((i): i is InputInfo => i !== undefined);
    const { shape } = concatLayout(node, parts);
    return [{ shape, dtype: checkSameType(node, parts) }];
  },
  evaluate(node, inputs) {
    const parts = inputs.filter((i): i is Value => i !== undefined);
    const { axis, shape } = concatLayout(node, parts);
    const y = newValue(parts[0]!.dtype, shape);
    const outer = sizeOf(shape.slice(0, axis));
    const rowLength = sizeOf(shape.slice(axis));
    let column = 0;
    for (const part of parts) {
      const block = sizeOf(part.shape.slice(axis));
      for (let o = 0; o < outer; o++) y.data.set(part.data.subarray(o * block, (o + 1) * block), o * rowLength + column);
      column += block;
    }
    return [y];
  },
  macs: noMacs,
};

/**
 * Split's part sizes along `axis`: the `split` attribute (opsets 2 to 12) or input (1 and from 13);
 * otherwise equal parts, one per output, where from opset 18 `num_outputs` lets the last be smaller.
 */
function splitLayout(node: Node, inputs: readonly (InputInfo | Value | undefined)[]): { axis: number; sizes: number[] } {
  const x = requireInput(node, inputs, 0);
  const axis = normalizeAxis(node, attrInt(node, 'axis', 0), x.shape.length);
  const dim = x.shape[axis]!;
  const count = node.outputs.length;
  let sizes = intsFromAttrOrInput(node, 'split', inputs, 1);
  if (!sizes) {
    const numOutputs = attrInt(node, 'num_outputs');
    if (numOutputs !== undefined) {
      const chunk = Math.ceil(dim / numOutputs);
      sizes = Array.from({ length: numOutputs }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
    } else {
      if (dim % count !== 0) throw nodeError('E_SHAPE', node, `cannot split dimension ${dim} into ${count} equal parts`);
      sizes = new Array<number>(count).fill(dim / count);
    }
  }
  if (sizes.length !== count || sizes.reduce((a, b) => a + b, 0) !== dim || sizes.some((s) => s < 0)) {
    throw nodeError('E_SHAPE', node, `split ${formatShape(sizes)} does not divide dimension ${dim} into ${count} outputs`);
  }
  return { axis, sizes };
}

const split: OpDef = {
  op: 'Split',
  opsets: [1, LATEST],
  inferShapes(node, inputs) {
    const x = requireInput(node, inputs, 0);
    const { axis, sizes } = splitLayout(node, inputs);
    return sizes.map((s) => ({ shape: x.shape.map((d, i) => (i === axis ? s : d)), dtype: x.dtype }));
  },
  evaluate(node, inputs) {
    const x = requireInput(node, inputs, 0);
    const { axis, sizes } = splitLayout(node, inputs);
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    const rowLength = x.shape[axis]! * inner;
    let column = 0;
    return sizes.map((s) => {
      const y = newValue(
        x.dtype,
        x.shape.map((d, i) => (i === axis ? s : d)),
      );
      const block = s * inner;
      for (let o = 0; o < outer; o++) y.data.set(x.data.subarray(o * rowLength + column, o * rowLength + column + block), o * block);
      column += block;
      return y;
    });
  },
  macs: noMacs,
};

function tileRepeats(node: Node, inputs: readonly (InputInfo | Value | undefined)[]): number[] {
  const x = requireInput(node, inputs, 0);
  const repeats = constantNumbers(node, requireInput(node, inputs, 1), 'repeats');
  if (repeats.length !== x.shape.length || repeats.some((r) => r < 0)) {
    throw nodeError('E_SHAPE', node, `repeats ${formatShape(repeats)} must hold one non-negative count per axis of ${formatShape(x.shape)}`);
  }
  return repeats;
}

const tile = movementOp(
  'Tile',
  [6, LATEST],
  (node, inputs) => {
    const repeats = tileRepeats(node, inputs);
    return requireInput(node, inputs, 0).shape.map((d, i) => d * repeats[i]!);
  },
  (node, x, _shape, inputs) => {
    const repeats = tileRepeats(node, inputs);
    // Tile axis by axis from the last: each step repeats contiguous blocks of the current array.
    let current = x;
    for (let axis = x.shape.length - 1; axis >= 0; axis--) {
      const times = repeats[axis]!;
      if (times === 1) continue;
      const shape = current.shape.map((d, i) => (i === axis ? d * times : d));
      const next = newValue(x.dtype, shape);
      const outer = sizeOf(current.shape.slice(0, axis));
      const block = sizeOf(current.shape.slice(axis));
      for (let o = 0; o < outer; o++) {
        const row = current.data.subarray(o * block, (o + 1) * block);
        for (let t = 0; t < times; t++) next.data.set(row, (o * times + t) * block);
      }
      current = next;
    }
    return current === x ? reshaped(x, x.shape) : current;
  },
);

/**
 * DepthToSpace / SpaceToDepth as a reshape to 6-D, a transpose and a reshape back. DepthToSpace's
 * DCR mode (default) reads channels as [b, b, C'], CRD mode as [C', b, b].
 */
function blockRearrangement(node: Node, shape: readonly number[], toSpace: boolean): { view: number[]; perm: number[]; out: number[] } {
  const b = attrInt(node, 'blocksize');
  if (shape.length !== 4 || !b || b < 1)
    throw nodeError('E_SHAPE', node, `expected a 4-D [N,C,H,W] input and a blocksize, got ${formatShape(shape)}`);
  const [n, c, h, w] = shape as [number, number, number, number];
  if (toSpace) {
    if (c % (b * b) !== 0) throw nodeError('E_SHAPE', node, `channels ${c} are not a multiple of blocksize^2 = ${b * b}`);
    const depth = c / (b * b);
    const crd = attrString(node, 'mode', 'DCR') === 'CRD';
    return crd
      ? { view: [n, depth, b, b, h, w], perm: [0, 1, 4, 2, 5, 3], out: [n, depth, h * b, w * b] }
      : { view: [n, b, b, depth, h, w], perm: [0, 3, 4, 1, 5, 2], out: [n, depth, h * b, w * b] };
  }
  if (h % b !== 0 || w % b !== 0) throw nodeError('E_SHAPE', node, `height ${h} and width ${w} must be multiples of blocksize ${b}`);
  return { view: [n, c, h / b, b, w / b, b], perm: [0, 3, 5, 1, 2, 4], out: [n, c * b * b, h / b, w / b] };
}

function blockOp(op: string, toSpace: boolean): OpDef {
  return movementOp(
    op,
    [1, LATEST],
    (node, inputs) => blockRearrangement(node, requireInput(node, inputs, 0).shape, toSpace).out,
    (node, x, shape) => {
      const { view, perm } = blockRearrangement(node, x.shape, toSpace);
      return permuted(x, view, perm, shape);
    },
  );
}

const identity = reshapingOp('Identity', (node, inputs) => [...requireInput(node, inputs, 0).shape]);

/**
 * Dropout at inference: the output is the input and the optional mask is all ones (bool from
 * opset 10, the input's type before). Training mode (opset 12 input 2) with a non-zero ratio drops
 * at random, which a deterministic compiler does not reproduce: it is rejected.
 */
const dropout: OpDef = {
  op: 'Dropout',
  opsets: [1, LATEST],
  inferShapes(node, inputs, opset) {
    const x = requireInput(node, inputs, 0);
    const outputs: OutputInfo[] = [{ shape: [...x.shape], dtype: x.dtype }];
    if (node.outputs.length > 1 && node.outputs[1] !== '') outputs.push({ shape: [...x.shape], dtype: opset >= 10 ? 'bool' : x.dtype });
    const training = inputs[2];
    if (training?.data) rejectTraining(node, inputs, numbersOf(training.data));
    return outputs;
  },
  evaluate(node, inputs, opset) {
    const x = requireInput(node, inputs, 0);
    if (inputs[2]) rejectTraining(node, inputs, numbersOf(inputs[2].data));
    const results: Value[] = [reshaped(x, x.shape)];
    if (node.outputs.length > 1 && node.outputs[1] !== '') {
      const mask = newValue(opset >= 10 ? 'bool' : x.dtype, x.shape);
      mask.data.fill(1);
      results.push(mask);
    }
    return results;
  },
  macs: noMacs,
};

function rejectTraining(node: Node, inputs: readonly (InputInfo | Value | undefined)[], training: number[]): void {
  if (training[0] === 0) return;
  const ratio = inputs[1]?.data ? numbersOf(inputs[1].data)[0]! : inputs[1] ? NaN : 0.5;
  if (ratio !== 0) {
    throw nodeError(
      'E_UNSUPPORTED',
      node,
      'Dropout in training mode drops values at random',
      'export the model in eval mode (model.eval()) so Dropout is the identity',
    );
  }
}

export const ops: OpDef[] = [
  flatten,
  reshape,
  transpose,
  reshapingOp('Squeeze', squeezeShape),
  reshapingOp('Unsqueeze', unsqueezeShape),
  concat,
  split,
  tile,
  blockOp('DepthToSpace', true),
  blockOp('SpaceToDepth', false),
  identity,
  dropout,
];
