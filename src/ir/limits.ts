// The sizes a model may declare, checked before anything is allocated: a microcontroller model never comes near
// them, and a file that declares more (a dimension of 2^32, a pad of 2^31, an Expand to 2^35 elements) is refused.

import { EennError } from './diagnostics.js';
import { bytesPerElement, type DType } from './graph.js';

export const LIMITS = {
  /**
   * The largest .onnx file (128 MiB): its constants cannot exceed constantBytes, and the decoder turns every value of
   * a typed field (float_data, int32_data) into a JavaScript number, eight bytes or more.
   */
  modelFileBytes: 128 * 1024 * 1024,
  /** The largest tensor, constant or computed, in bytes (64 MiB: 16 M float32 values). */
  tensorBytes: 64 * 1024 * 1024,
  /**
   * All constants of a model together (weights, biases, shapes), in bytes: 32 M float32 weights, whose int8 form
   * (32 MiB) is more flash than microcontrollers have. Every calibration thread holds a copy.
   */
  constantBytes: 128 * 1024 * 1024,
  /** All computed tensors of one inference together (the float reference of each calibration thread), in bytes. */
  activationBytes: 128 * 1024 * 1024,
} as const;

const MIB = 1024 * 1024;
const sizeText = (bytes: number) =>
  bytes >= MIB ? `${(bytes / MIB).toLocaleString('en-US', { maximumFractionDigits: 1 })} MiB` : `${bytes.toLocaleString('en-US')} bytes`;
const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

const TOO_BIG_HINT =
  'a microcontroller model needs far less; check the exported shapes and sizes ' +
  '(a dimension, pad or target shape may be wrong or deliberately huge)';

export interface Where {
  file?: string;
  node?: { name: string; op: string };
}

/**
 * The bytes a tensor of `shape` and `dtype` takes, after checking that every dimension is a non-negative whole number
 * and that the tensor stays within LIMITS.tensorBytes. `what` names it in errors ('tensor "w"', 'output "y"').
 */
export function checkedTensorBytes(what: string, shape: readonly number[], dtype: DType, where: Where = {}): number {
  const bad = shape.find((d) => !Number.isSafeInteger(d) || d < 0);
  if (bad !== undefined) {
    throw new EennError({
      code: 'E_MODEL',
      ...where,
      message: `${what} has the shape ${shapeText(shape)}: the dimension ${bad} is not a non-negative whole number below 2^53`,
      hint: 'the model is malformed; re-export it with valid shapes',
    });
  }
  let elements = 1;
  for (const d of shape) elements *= d;
  const bytes = elements * bytesPerElement(dtype);
  if (bytes > LIMITS.tensorBytes) {
    throw new EennError({
      code: 'E_MODEL',
      ...where,
      message:
        `${what} of shape ${shapeText(shape)} (${dtype}) would take ${sizeText(bytes)}; ` +
        `eennc accepts tensors of at most ${sizeText(LIMITS.tensorBytes)}`,
      hint: TOO_BIG_HINT,
    });
  }
  return bytes;
}

/** Refuse a running total (constants, or activations of one inference) beyond its limit. */
export function checkTotal(kind: 'constantBytes' | 'activationBytes', bytes: number, where: Where = {}): void {
  const limit = LIMITS[kind];
  if (bytes <= limit) return;
  const what = kind === 'constantBytes' ? 'the constants (weights) of the model' : 'the tensors one inference computes';
  throw new EennError({
    code: 'E_MODEL',
    ...where,
    message: `${what} take ${sizeText(bytes)} together; eennc accepts at most ${sizeText(limit)}`,
    hint: TOO_BIG_HINT,
  });
}
