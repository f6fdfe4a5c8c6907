// Reductions and LayerNormalization in int8 (int8 reference in ../int8/reduce.ts): ReduceSum and ReduceMean over
// any axes become QReduce (an int32 sum requantized to the output's scale); LayerNormalization becomes QLayerNorm,
// with Scale and B folded into per-element requantization parameters. The LayerNorm that exporters write before
// opset 17 as ReduceMean -> Sub -> Pow (or Mul) -> ReduceMean -> Add epsilon -> Sqrt -> Div [-> Mul Scale]
// [-> Add B] is recognised from its first ReduceMean and becomes one QLayerNorm too.

import { nodeError } from '../../ir/diagnostics.js';
import { sizeOf, type Node } from '../../ir/graph.js';
import { LAYER_NORM_FRACTION_BITS } from '../../ir/int8.js';
import { attrFloat, attrInt, attrInts, normalizeAxis, numbersOf } from '../../ops/attrs.js';
import { layerNormLayout } from '../../ops/normalization.js';
import { quantizeMultiplier } from '../multiplier.js';
import { constantFloats, int8Node, type RewriteContext } from './context.js';

/** Largest row QLayerNorm normalizes: row_size * sum d^2 and the centered values stay inside their integer widths. */
const MAX_LAYER_NORM_ROW = 65536;
const INT32_MAX = 2147483647;
/** Bound of QLayerNorm's bias (|requantized z| < 2^29, so scaled + bias + zero point stays inside int32). */
const BIAS_LIMIT = 2 ** 30;

/** The axes a Reduce* node folds (sorted, non-negative), read from its attribute or its constant input. */
function reducedAxes(ctx: RewriteContext, node: Node, rank: number): number[] {
  const axesInput = node.inputs[1] ? ctx.floatTensor(node.inputs[1]) : undefined;
  if (node.inputs[1] && !axesInput?.data) throw nodeError('E_UNSUPPORTED', node, `int8 ${node.op} needs constant axes`);
  const given = axesInput?.data ? numbersOf(axesInput.data) : attrInts(node, 'axes');
  const all = Array.from({ length: rank }, (_, i) => i);
  const axes = given && given.length > 0 ? given : attrInt(node, 'noop_with_empty_axes', 0) ? [] : all;
  return [...new Set(axes.map((a) => normalizeAxis(node, a, rank)))].sort((a, b) => a - b);
}

/** ReduceSum / ReduceMean over any axes: QReduce, the output at its own calibrated scale. */
export function reduce(ctx: RewriteContext, node: Node): void {
  const x = ctx.activation(node, node.inputs[0]!);
  const shape = x.tensor.shape;
  const axes = reducedAxes(ctx, node, shape.length);
  if (axes.length === 0) throw nodeError('E_UNSUPPORTED', node, `int8 ${node.op} with no axes (noop_with_empty_axes) is not supported`);
  const count = sizeOf(axes.map((a) => shape[a]!));
  if (count === 0) throw nodeError('E_UNSUPPORTED', node, `int8 ${node.op} over an empty axis is not supported`);
  if (count > (1 << 23)) throw nodeError('E_UNSUPPORTED', node, `int8 ${node.op} of ${count} elements per output overflows its int32 sum`);
  const out = node.outputs[0]!;
  const q = ctx.activationQuant(out);
  const ratio = (x.q.scale / q.scale) / (node.op === 'ReduceMean' ? count : 1);
  const { multiplier, shift } = quantizeMultiplier(ratio, `node "${node.name}" (${node.op}) output scale`);
  // A multiplier above 1 shifts the sum left first: the largest sum must not wrap.
  if (shift > 0 && count * 255 * 2 ** shift >= 2 ** 31) {
    throw nodeError('E_UNSUPPORTED', node, `int8 ${node.op}: the output scale ${q.scale} is too fine for sums of ${count} values at scale ${x.q.scale}`);
  }
  ctx.addActivation(out, ctx.floatTensor(out).shape, q);
  ctx.addNode(
    int8Node('QReduce', node.name, [x.tensor.name], [out], {
      axes,
      keepdims: attrInt(node, 'keepdims', 1) === 0 ? 0 : 1,
      multiplier,
      shift,
      act_min: -128,
      act_max: 127,
    }),
  );
}

/** The parts of a LayerNorm: input, output, normalized axis, epsilon, Scale and B (float, per element of their own shape). */
interface LayerNormParts {
  node: Node;
  input: string;
  output: string;
  axis: number;
  epsilon: number;
  scale: Float32Array;
  bias: Float32Array | undefined;
}

/** The QLayerNorm of one LayerNorm (src/ir/int8.ts). */
function addLayerNorm(ctx: RewriteContext, parts: LayerNormParts): void {
  const { node } = parts;
  const x = ctx.activation(node, parts.input);
  const shape = x.tensor.shape;
  const rowSize = sizeOf(shape.slice(parts.axis));
  if (rowSize > MAX_LAYER_NORM_ROW) throw nodeError('E_UNSUPPORTED', node, `int8 LayerNorm rows of ${rowSize} values are longer than ${MAX_LAYER_NORM_ROW}`);
  // Scale and B cover trailing axes of the row; of different sizes, both repeat as the longer one does.
  const params = Math.max(parts.scale.length, parts.bias?.length ?? 1);
  const spread = (v: Float32Array) => Float32Array.from({ length: params }, (_, i) => v[i % v.length]!);
  const scale = spread(parts.scale);
  const shiftB = parts.bias ? spread(parts.bias) : undefined;
  if (rowSize % params !== 0) throw nodeError('E_UNSUPPORTED', node, `Scale has ${params} values, which do not repeat evenly along rows of ${rowSize}`);
  const epsilonQ = Math.round((rowSize * rowSize * parts.epsilon) / (x.q.scale * x.q.scale));
  if (!(epsilonQ <= INT32_MAX)) {
    throw nodeError('E_UNSUPPORTED', node, `epsilon ${parts.epsilon} is too large against the input scale ${x.q.scale} for the int8 LayerNorm (epsilon_q > 2^31)`);
  }
  const q = ctx.activationQuant(parts.output);
  const multiplier: number[] = [];
  const shift: number[] = [];
  const bias: number[] = [];
  for (let i = 0; i < params; i++) {
    const gamma = scale[i]!;
    const m = quantizeMultiplier(Math.abs(gamma) / (q.scale * 2 ** LAYER_NORM_FRACTION_BITS), `node "${node.name}" (LayerNorm) Scale[${i}]`);
    if (m.shift > 0) throw nodeError('E_UNSUPPORTED', node, `Scale[${i}] = ${gamma} is too large against the output scale ${q.scale}`);
    multiplier.push(gamma < 0 ? -m.multiplier : m.multiplier);
    shift.push(m.shift);
    const b = Math.round((shiftB?.[i] ?? 0) / q.scale);
    // Beyond 2^30 the output saturates anyway; the bound keeps scaled + bias + zero point inside int32.
    bias.push(Math.max(-BIAS_LIMIT, Math.min(BIAS_LIMIT, b)));
  }
  ctx.addActivation(parts.output, ctx.floatTensor(parts.output).shape, q);
  ctx.addNode(
    int8Node('QLayerNorm', node.name, [x.tensor.name], [parts.output], {
      axis: parts.axis,
      row_size: rowSize,
      epsilon_q: epsilonQ,
      multiplier,
      shift,
      bias,
      act_min: -128,
      act_max: 127,
    }),
  );
}

/** The values of a constant Scale or B, with the shape's leading 1s dropped (they repeat along the row). */
function rowParameter(ctx: RewriteContext, node: Node, name: string | undefined, what: string): Float32Array | undefined {
  if (!name) return undefined;
  return constantFloats(ctx, node, name, what);
}

/** LayerNormalization (opset 17): QLayerNorm; Scale and B must be constants, Mean and InvStdDev are not produced. */
export function layerNorm(ctx: RewriteContext, node: Node): void {
  if (node.outputs.slice(1).some((o) => o !== '')) {
    throw nodeError('E_UNSUPPORTED', node, 'int8 LayerNormalization does not produce the Mean and InvStdDev outputs');
  }
  const { axis } = layerNormLayout(node, node.inputs.map((n) => (n === '' ? undefined : ctx.floatTensor(n))));
  addLayerNorm(ctx, {
    node,
    input: node.inputs[0]!,
    output: node.outputs[0]!,
    axis,
    epsilon: attrFloat(node, 'epsilon', 1e-5),
    scale: rowParameter(ctx, node, node.inputs[1], 'Scale')!,
    bias: rowParameter(ctx, node, node.inputs[2], 'B'),
  });
}

// ---------------------------------------------------------------- the decomposed LayerNorm

/** The single reader of `name` when it has exactly one and `name` is not a graph output. */
function onlyReader(ctx: RewriteContext, name: string): Node | undefined {
  const readers = ctx.readersOf(name);
  return readers.length === 1 && !ctx.graph.outputs.includes(name) ? readers[0] : undefined;
}

/** The other input of a binary node, when it is a constant; undefined otherwise. */
function constantOperand(ctx: RewriteContext, node: Node, known: string): Float32Array | undefined {
  if (node.inputs.length !== 2) return undefined;
  const other = node.inputs[0] === known ? node.inputs[1]! : node.inputs[0]!;
  if (other === known || !ctx.floatTensor(other).data) return undefined;
  const data = ctx.floatTensor(other).data!;
  return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
}

/** Whether `node` is a ReduceMean over exactly the axes `axes` with kept dimensions. */
function isMeanOver(ctx: RewriteContext, node: Node | undefined, axes: readonly number[], rank: number): node is Node {
  if (node?.op !== 'ReduceMean' || attrInt(node, 'keepdims', 1) !== 1) return false;
  try {
    return reducedAxes(ctx, node, rank).join() === axes.join();
  } catch {
    return false;
  }
}

/**
 * Matches the LayerNorm pattern that starts at ReduceMean `mean`; returns its parts and the nodes it covers, or
 * undefined when `mean` is an ordinary ReduceMean.
 */
function matchLayerNorm(ctx: RewriteContext, mean: Node): { parts: LayerNormParts; covered: Node[] } | undefined {
  const input = mean.inputs[0]!;
  const rank = ctx.floatTensor(input).shape.length;
  let axes: number[];
  try {
    axes = reducedAxes(ctx, mean, rank);
  } catch {
    return undefined;
  }
  // The normalized axes run to the last one.
  if (axes.length === 0 || axes.some((a, i) => a !== rank - axes.length + i) || attrInt(mean, 'keepdims', 1) !== 1) return undefined;
  const sub = onlyReader(ctx, mean.outputs[0]!);
  if (sub?.op !== 'Sub' || sub.inputs[0] !== input || sub.inputs[1] !== mean.outputs[0]) return undefined;
  const centered = sub.outputs[0]!;
  if (ctx.graph.outputs.includes(centered)) return undefined;
  const readers = ctx.readersOf(centered);
  if (readers.length !== 2) return undefined;
  const square = readers.find((r) => r.op === 'Pow' || r.op === 'Mul');
  const div = readers.find((r) => r.op === 'Div');
  if (!square || !div || div.inputs[0] !== centered) return undefined;
  if (square.op === 'Mul' ? square.inputs[0] !== centered || square.inputs[1] !== centered : constantOperand(ctx, square, centered)?.join() !== '2') {
    return undefined;
  }
  if (square.op === 'Pow' && square.inputs[0] !== centered) return undefined;
  const variance = onlyReader(ctx, square.outputs[0]!);
  if (!isMeanOver(ctx, variance, axes, rank) || variance.inputs[0] !== square.outputs[0]) return undefined;
  const addEpsilon = onlyReader(ctx, variance.outputs[0]!);
  const epsilon = addEpsilon?.op === 'Add' ? constantOperand(ctx, addEpsilon, variance.outputs[0]!) : undefined;
  if (!addEpsilon || !epsilon || epsilon.length !== 1) return undefined;
  const sqrt = onlyReader(ctx, addEpsilon.outputs[0]!);
  if (sqrt?.op !== 'Sqrt' || onlyReader(ctx, sqrt.outputs[0]!) !== div || div.inputs[1] !== sqrt.outputs[0]) return undefined;
  const covered = [sub, square, variance, addEpsilon, sqrt, div];
  const normalizedShape = ctx.floatTensor(input).shape.slice(rank - axes.length);
  const fitsRow = (values: Float32Array, name: string) => {
    const own = ctx.floatTensor(name).shape;
    const first = own.findIndex((d) => d !== 1);
    const trailing = first < 0 ? [] : own.slice(first);
    return trailing.length <= normalizedShape.length && trailing.every((d, i) => d === normalizedShape[normalizedShape.length - trailing.length + i]) && values.length > 0;
  };
  const otherName = (node: Node, known: string) => (node.inputs[0] === known ? node.inputs[1]! : node.inputs[0]!);
  let output = div.outputs[0]!;
  let scale: Float32Array = Float32Array.of(1);
  let bias: Float32Array | undefined;
  const mul = onlyReader(ctx, output);
  const gamma = mul?.op === 'Mul' ? constantOperand(ctx, mul, output) : undefined;
  if (mul && gamma && fitsRow(gamma, otherName(mul, output))) {
    covered.push(mul);
    output = mul.outputs[0]!;
    scale = gamma;
  }
  const add = onlyReader(ctx, output);
  const beta = add?.op === 'Add' ? constantOperand(ctx, add, output) : undefined;
  if (add && beta && fitsRow(beta, otherName(add, output))) {
    covered.push(add);
    output = add.outputs[0]!;
    bias = beta;
  }
  return { parts: { node: mean, input, output, axis: rank - axes.length, epsilon: epsilon[0]!, scale, bias }, covered };
}

/**
 * When ReduceMean `node` starts the decomposed LayerNorm, adds its QLayerNorm, folds the pattern's other nodes and
 * returns true; otherwise false.
 */
export function fuseLayerNorm(ctx: RewriteContext, node: Node): boolean {
  const match = matchLayerNorm(ctx, node);
  if (!match) return false;
  addLayerNorm(ctx, match.parts);
  for (const covered of match.covered) ctx.fold(covered);
  return true;
}
