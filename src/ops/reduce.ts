// Reductions: ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2,
// ReduceSumSquare, ReduceLogSum, ReduceLogSumExp, and ArgMax / ArgMin.
// Axes are an attribute until opset 17 (ReduceSum: 12) and an optional input after; no axes means
// every axis unless `noop_with_empty_axes=1`. MACs: one per input element.

import { nodeError } from '../ir/diagnostics.js';
import { sizeOf, type Node } from '../ir/graph.js';
import { attrInt, intsFromAttrOrInput, normalizeAxis } from './attrs.js';
import { broadcastOffsets, formatShape } from './broadcast.js';
import { checkType, isIntegerType, newValue, requireInput, NUMERIC_TYPES } from './operands.js';
import type { InputInfo, OpDef, OutputInfo, Value } from './types.js';

const LATEST = 21;

/** Which axes a reduction folds, and the output shape with and without the kept 1s. */
interface ReduceLayout {
  /** True when the reduction is the identity (no axes and noop_with_empty_axes=1). */
  noop: boolean;
  /** The input shape with each reduced axis set to 1. */
  keptShape: number[];
  outShape: number[];
}

function reduceLayout(node: Node, inputs: readonly (InputInfo | Value | undefined)[]): ReduceLayout {
  const x = requireInput(node, inputs, 0);
  const rank = x.shape.length;
  const axes = intsFromAttrOrInput(node, 'axes', inputs, 1) ?? [];
  const keepDims = attrInt(node, 'keepdims', 1) === 1;
  if (axes.length === 0 && attrInt(node, 'noop_with_empty_axes', 0) === 1) {
    return { noop: true, keptShape: [...x.shape], outShape: [...x.shape] };
  }
  const reduced = axes.length === 0 ? x.shape.map((_, i) => i) : axes.map((a) => normalizeAxis(node, a, rank));
  if (new Set(reduced).size !== reduced.length) throw nodeError('E_SHAPE', node, `axes ${formatShape(axes)} repeat an axis`);
  const keptShape = x.shape.map((d, i) => (reduced.includes(i) ? 1 : d));
  const outShape = keepDims ? keptShape : x.shape.filter((_, i) => !reduced.includes(i));
  return { noop: false, keptShape, outShape };
}

/**
 * A reduction as fold + finish over float64 accumulators: `step` folds one element in, `finish`
 * turns the accumulator into the output (count = elements per output).
 */
interface Reducer {
  init: number;
  step: (acc: number, x: number) => number;
  finish?: (acc: number, count: number) => number;
}

const SUM: Reducer = { init: 0, step: (a, x) => a + x };
const MAX: Reducer = { init: -Infinity, step: (a, x) => (x > a || Number.isNaN(x) ? x : a) };
const MIN: Reducer = { init: Infinity, step: (a, x) => (x < a || Number.isNaN(x) ? x : a) };

/** Folds every element of `x` into its output slot (`slots[i]`), in float64. */
function accumulate(reducer: Reducer, x: Value, slots: Int32Array, outputs: number, transform?: (x: number, slot: number) => number): Float64Array {
  const acc = new Float64Array(outputs).fill(reducer.init);
  const data = x.data;
  for (let i = 0; i < data.length; i++) {
    const slot = slots[i]!;
    acc[slot] = reducer.step(acc[slot]!, transform ? transform(data[i]!, slot) : data[i]!);
  }
  return acc;
}

function reduceOp(op: string, reducer: Reducer, options: { transform?: (x: number) => number; logSumExp?: boolean } = {}): OpDef {
  return {
    op,
    opsets: [1, LATEST],
    inferShapes(node, inputs) {
      const x = requireInput(node, inputs, 0);
      checkType(node, x.dtype, NUMERIC_TYPES);
      return [{ shape: reduceLayout(node, inputs).outShape, dtype: x.dtype }];
    },
    evaluate(node, inputs) {
      const x = requireInput(node, inputs, 0);
      const layout = reduceLayout(node, inputs);
      const y = newValue(x.dtype, layout.outShape);
      if (layout.noop) {
        y.data.set(x.data);
        return [y];
      }
      const slots = broadcastOffsets(layout.keptShape, x.shape);
      const outputs = y.data.length;
      const count = x.data.length / Math.max(1, outputs);
      let acc: Float64Array;
      if (options.logSumExp) {
        // log(sum(exp(x - max))) + max keeps large inputs finite.
        const max = accumulate(MAX, x, slots, outputs);
        acc = accumulate(SUM, x, slots, outputs, (v, slot) => Math.exp(v - max[slot]!));
        for (let i = 0; i < outputs; i++) acc[i] = Math.log(acc[i]!) + max[i]!;
      } else {
        acc = accumulate(reducer, x, slots, outputs, options.transform);
      }
      const finish = reducer.finish;
      const integral = isIntegerType(x.dtype);
      for (let i = 0; i < outputs; i++) {
        const v = finish ? finish(acc[i]!, count) : acc[i]!;
        y.data[i] = integral ? Math.trunc(v) : v;
      }
      return [y];
    },
    macs: (_node, inputs) => sizeOf(inputs[0]?.shape ?? []),
  };
}

/** ArgMax / ArgMin along `axis`: the first extreme index, or the last with `select_last_index=1`. int64 out. */
function argOp(op: string, better: (candidate: number, best: number) => boolean): OpDef {
  const layoutOf = (node: Node, shape: readonly number[]) => {
    const axis = normalizeAxis(node, attrInt(node, 'axis', 0), shape.length);
    const keepDims = attrInt(node, 'keepdims', 1) === 1;
    const outShape = keepDims ? shape.map((d, i) => (i === axis ? 1 : d)) : shape.filter((_, i) => i !== axis);
    return { axis, outShape };
  };
  return {
    op,
    opsets: [1, LATEST],
    inferShapes(node, inputs): OutputInfo[] {
      const x = requireInput(node, inputs, 0);
      checkType(node, x.dtype, NUMERIC_TYPES);
      return [{ shape: layoutOf(node, x.shape).outShape, dtype: 'int64' }];
    },
    evaluate(node, inputs) {
      const x = requireInput(node, inputs, 0);
      const { axis, outShape } = layoutOf(node, x.shape);
      const last = attrInt(node, 'select_last_index', 0) === 1;
      const length = x.shape[axis]!;
      const inner = sizeOf(x.shape.slice(axis + 1));
      const outer = sizeOf(x.shape.slice(0, axis));
      const y = newValue('int64', outShape);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const base = o * length * inner + i;
          let best = x.data[base]!;
          let index = 0;
          for (let k = 1; k < length; k++) {
            const v = x.data[base + k * inner]!;
            if (better(v, best) || (last && v === best)) {
              best = v;
              index = k;
            }
          }
          y.data[o * inner + i] = index;
        }
      }
      return [y];
    },
    macs: (_node, inputs) => sizeOf(inputs[0]?.shape ?? []),
  };
}

export const ops: OpDef[] = [
  reduceOp('ReduceSum', SUM),
  reduceOp('ReduceMean', { ...SUM, finish: (a, n) => a / n }),
  reduceOp('ReduceMax', MAX),
  reduceOp('ReduceMin', MIN),
  reduceOp('ReduceProd', { init: 1, step: (a, x) => a * x }),
  reduceOp('ReduceL1', SUM, { transform: Math.abs }),
  reduceOp('ReduceL2', { ...SUM, finish: (a) => Math.sqrt(a) }, { transform: (x) => x * x }),
  reduceOp('ReduceSumSquare', SUM, { transform: (x) => x * x }),
  reduceOp('ReduceLogSum', { ...SUM, finish: (a) => Math.log(a) }),
  reduceOp('ReduceLogSumExp', SUM, { logSumExp: true }),
  argOp('ArgMax', (v, best) => v > best),
  argOp('ArgMin', (v, best) => v < best),
];
