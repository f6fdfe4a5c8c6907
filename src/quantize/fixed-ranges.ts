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
 * The int8 quantization the output of `producer` has whatever its input, or undefined when it depends on the data
 * (then it is calibrated). A Clip (Relu6 is Clip(0, 6)) with constant finite bounds lo <= hi takes the range
 * [lo, hi] itself; one with a bound computed at run time, or open on one side, is calibrated.
 */
export function fixedOutputQuant(graph: Graph, producer: Node): ScaleZero | undefined {
  if (!isDefaultDomain(producer)) return undefined;
  const fixed = FIXED_OUTPUTS.get(producer.op);
  if (fixed) return fixed;
  if (producer.op !== 'Clip') return undefined;
  const bounds = graphClipBounds(graph, producer);
  if (!bounds) return undefined;
  const [lo, hi] = bounds;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) return undefined;
  return chooseQuantParams({ min: lo, max: hi }, producer.outputs[0]);
}
