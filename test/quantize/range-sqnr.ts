// SQNR of data quantized to int8 over a calibrated range, as an activation is: the measure calibration tests judge
// a range by.

import type { Range } from '../../src/quantize/calibrate.js';
import { chooseQuantParams, INT8_MAX, INT8_MIN } from '../../src/quantize/quant-params.js';

/** SQNR (dB) of `data` quantized to int8 over `range` as an activation is (clamped, asymmetric). */
export function rangeSqnr(data: Float32Array, range: Range): number {
  const q = chooseQuantParams(range);
  let signal = 0;
  let noise = 0;
  for (const x of data) {
    const k = Math.min(INT8_MAX, Math.max(INT8_MIN, Math.round(x / q.scale) + q.zeroPoint));
    signal += x * x;
    noise += (x - (k - q.zeroPoint) * q.scale) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}
