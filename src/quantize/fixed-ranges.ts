// Activation functions whose output range is known whatever their input (Sigmoid, Tanh, Softmax, HardSigmoid, a Clip
// with constant bounds): the quantize stage gives their int8 output that range instead of the calibrated one, as
// TFLite does, so a value the calibration data never reached is not clipped. A scale the model states itself (QDQ
// import) still wins; calibration is the fallback for every other tensor (rewrite/builder.ts asks here in between).

import { isDefaultDomain, type Graph, type Node } from '../ir/graph.js';
import type { ScaleZero } from '../ir/int8.js';
import { graphClipBounds } from '../ops/activation.js';
import { chooseQuantParams } from './quant-params.js';

/** Outputs in [0, 1) (Sigmoid, HardSigmoid, Softmax) in steps of 1/256 (TFLite): q = -128 is 0, q = 127 is 255/256. */
export const UNIT_INTERVAL_OUTPUT: ScaleZero = { scale: 1 / 256, zeroPoint: -128 };
/** Outputs in [-1, 1) (Tanh) in steps of 1/128 (TFLite): q = 0 is 0, q = 127 is 127/128. */
export const SYMMETRIC_UNIT_OUTPUT: ScaleZero = { scale: 1 / 128, zeroPoint: 0 };
/** Softmax output quantization (TFLite), which the QSoftmax kernel assumes: scale 1/256, zero point -128. */
export const SOFTMAX_OUTPUT: ScaleZero = UNIT_INTERVAL_OUTPUT;

/** Operators whose output quantization is the same for every input, by operator name. */
const FIXED_OUTPUTS: ReadonlyMap<string, ScaleZero> = new Map([
  ['Sigmoid', UNIT_INTERVAL_OUTPUT],
  ['HardSigmoid', UNIT_INTERVAL_OUTPUT],
  ['Softmax', SOFTMAX_OUTPUT],
  ['Tanh', SYMMETRIC_UNIT_OUTPUT],
]);

/**
 * How much wider than the calibrated range a Clip's bounds may be and still be its output range: Relu6 calibrated to
 * [0, 2] takes [0, 6] (values up to 6 can come, and the steps are 3x coarser), but a loose safety clamp such as
 * Clip(-1e4, 1e4) around values within [-3, 3] keeps the calibrated range (inside the bounds), or its int8 steps would
 * be thousands of times coarser than the data.
 */
export const MAX_CLIP_WIDENING = 8;

/**
 * The int8 quantization the output of `producer` has whatever its input, or undefined when it depends on the data
 * (then it is calibrated). A Clip (Relu6 is Clip(0, 6)) with constant finite bounds lo <= hi takes the range
 * [lo, hi] itself, unless it is more than MAX_CLIP_WIDENING times as wide as the `calibrated` range of its output
 * (then that range, held within [lo, hi]); one with a bound computed at run time, or open on one side, is calibrated.
 */
export function fixedOutputQuant(graph: Graph, producer: Node, calibrated?: { min: number; max: number }): ScaleZero | undefined {
  if (!isDefaultDomain(producer)) return undefined;
  const fixed = FIXED_OUTPUTS.get(producer.op);
  if (fixed) return fixed;
  if (producer.op !== 'Clip') return undefined;
  const bounds = graphClipBounds(graph, producer);
  if (!bounds) return undefined;
  const [lo, hi] = bounds;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) return undefined;
  if (calibrated && hi - lo > MAX_CLIP_WIDENING * (calibrated.max - calibrated.min)) {
    return chooseQuantParams({ min: Math.max(lo, calibrated.min), max: Math.min(hi, calibrated.max) }, producer.outputs[0]);
  }
  return chooseQuantParams({ min: lo, max: hi }, producer.outputs[0]);
}
