// The quantization a QuantizeLinear / DequantizeLinear node states (scale, zero point, axis, integer kind), read and
// checked from its operands, and ONNX's rounding: shared by the float reference of these operators (quantize-linear.ts)
// and the QDQ import (src/quantize/qdq/), which turns a model's own quantization into scales.

import { nodeError } from '../ir/diagnostics.js';
import type { DType, Node, Tensor, TensorData } from '../ir/graph.js';

/** Integer types a stated quantization may use. */
export type QuantKind = 'int8' | 'uint8' | 'int32';

export interface StatedQuant {
  /** One scale per channel along `axis`, or one for the whole tensor. Finite; may still hold 0 (dead channels). */
  scales: Float32Array;
  /** In the integer type `kind`, one per scale. */
  zeroPoints: Int32Array;
  /** Normalized channel axis when per channel; undefined when per tensor. */
  axis: number | undefined;
  kind: QuantKind;
}

/** The integer range of each kind. */
export const KIND_RANGE: Record<QuantKind, [number, number]> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int32: [-2147483648, 2147483647],
};

/** ONNX TensorProto element types named by QuantizeLinear's `output_dtype` (opset 21). */
const OUTPUT_DTYPES: Record<number, string> = {
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  17: 'float8e4m3fn',
  18: 'float8e4m3fnuz',
  19: 'float8e5m2',
  20: 'float8e5m2fnuz',
  21: 'uint4',
  22: 'int4',
};

export const UNSUPPORTED_HINT =
  'eennc imports 8-bit quantization (int8 or uint8 activations and weights, int32 bias); ' +
  're-quantize the model to 8 bits (onnxruntime quantize_static with QInt8 / QUInt8)';

/** What to do about quantization parameters that contradict each other or the tensor they describe. */
export const QDQ_MODEL_HINT =
  "the model's quantization parameters are inconsistent: quantize it again (onnxruntime " +
  'quantize_static), or give eennc the float model and --calib DATA to quantize it itself';

/** The integer kind of a tensor dtype, or a node error for 16-bit and other types. */
export function kindOfDtype(node: Node, dtype: DType, what: string): QuantKind {
  if (dtype === 'int8' || dtype === 'uint8' || dtype === 'int32') return dtype;
  throw nodeError('E_UNSUPPORTED', node, `${what} is ${dtype}; only int8, uint8 and int32 quantization is supported`, UNSUPPORTED_HINT);
}

/** The constant tensors a node's quantization parameters are read from (the model's, and those folded since). */
export type ConstantLookup = (name: string) => Tensor | undefined;

/** A constant input of `node`, or a node error saying the quantization must be fixed in the model. */
export function constantInput(constants: ConstantLookup, node: Node, index: number, what: string): Tensor & { data: TensorData } {
  const name = node.inputs[index] ?? '';
  const t = name === '' ? undefined : constants(name);
  if (!t?.data) {
    throw nodeError(
      'E_UNSUPPORTED',
      node,
      `${what} ("${name}") is computed at run time; eennc needs quantization parameters that are constants`,
      'dynamic quantization (DynamicQuantizeLinear, scales computed in the graph) is not supported: quantize the model statically',
    );
  }
  return t as Tensor & { data: TensorData };
}

export interface StatedQuantRequest {
  /** Input indices of the scale and the zero point (-1 or beyond the inputs: no zero point). */
  scale: number;
  zeroPoint: number;
  /** Rank of the quantized tensor when it is a constant (per channel allowed); undefined for activations. */
  rank?: number;
  /** The channel axis when the scale is a vector: the node's `axis` attribute (default 1) or one fixed by the op. */
  axis?: number;
  /** The integer kind when the zero point is omitted (the quantized tensor's dtype; uint8 by ONNX default). */
  kind: QuantKind;
}

/**
 * Scale, zero point and axis of one quantized operand of `node`, with every check the model's numbers must
 * pass: scales finite and not negative (E_MODEL; zero is left for the caller, which allows it on dead
 * channels), 8-bit or int32 zero points (16-bit and float8 E_UNSUPPORTED), one zero point per scale.
 */
export function readStatedQuant(constants: ConstantLookup, node: Node, request: StatedQuantRequest): StatedQuant {
  if (typeof node.attrs.block_size === 'number' && node.attrs.block_size > 0) {
    throw nodeError('E_UNSUPPORTED', node, `blocked quantization (block_size ${node.attrs.block_size}) is not supported`, UNSUPPORTED_HINT);
  }
  const scaleTensor = constantInput(constants, node, request.scale, 'the scale');
  if (scaleTensor.dtype !== 'float32') {
    throw nodeError(
      'E_UNSUPPORTED',
      node,
      `the scale "${scaleTensor.name}" is ${scaleTensor.dtype}; only float32 scales are supported`,
      UNSUPPORTED_HINT,
    );
  }
  const scales = Float32Array.from(scaleTensor.data as ArrayLike<number>);
  for (let c = 0; c < scales.length; c++) {
    const s = scales[c]!;
    if (!Number.isFinite(s) || s < 0) {
      throw nodeError(
        'E_MODEL',
        node,
        `the scale "${scaleTensor.name}" holds ${s}${scales.length > 1 ? ` for channel ${c}` : ''}; a scale must be positive`,
        'the model file is damaged or was quantized from a range with NaN or infinite values; re-run the quantizer',
      );
    }
  }
  if (scales.length === 0) throw nodeError('E_MODEL', node, `the scale "${scaleTensor.name}" is empty`, QDQ_MODEL_HINT);

  const zpName = request.zeroPoint >= 0 ? (node.inputs[request.zeroPoint] ?? '') : '';
  let kind: QuantKind | undefined;
  let zeroPoints = new Int32Array(scales.length);
  if (zpName !== '') {
    const zp = constantInput(constants, node, request.zeroPoint, 'the zero point');
    kind = kindOfDtype(node, zp.dtype, `the zero point "${zp.name}"`);
    if (zp.data.length !== scales.length) {
      throw nodeError('E_MODEL', node, `the zero point "${zp.name}" has ${zp.data.length} values for ${scales.length} scales`, QDQ_MODEL_HINT);
    }
    zeroPoints = Int32Array.from(zp.data as ArrayLike<number>);
  }
  const outputDtype = node.attrs.output_dtype;
  if (typeof outputDtype === 'number' && outputDtype !== 0) {
    const named = OUTPUT_DTYPES[outputDtype] ?? `element type ${outputDtype}`;
    if (named !== 'int8' && named !== 'uint8') {
      throw nodeError('E_UNSUPPORTED', node, `the quantized type is ${named}; only int8 and uint8 are supported`, UNSUPPORTED_HINT);
    }
    kind ??= named;
  }
  kind ??= request.kind;
  if (kind === 'int32' && zeroPoints.some((z) => z !== 0)) {
    throw nodeError('E_MODEL', node, 'an int32 quantization must have zero point 0', QDQ_MODEL_HINT);
  }

  let axis: number | undefined;
  if (scales.length > 1) {
    const rank = request.rank;
    if (rank === undefined) {
      throw nodeError(
        'E_UNSUPPORTED',
        node,
        `"${node.inputs[0] ?? ''}" is quantized per channel (${scales.length} scales); ` + 'int8 activations have one scale and zero point',
        'quantize activations per tensor (onnxruntime and PyTorch do by default)',
      );
    }
    const given = request.axis ?? 1;
    axis = given < 0 ? given + rank : given;
    if (axis < 0 || axis >= rank) throw nodeError('E_MODEL', node, `axis ${given} is out of range for a tensor of rank ${rank}`, QDQ_MODEL_HINT);
  }
  return { scales, zeroPoints, axis, kind };
}

/** round(x) with ties to even (ONNX QuantizeLinear, C's nearbyint in the default rounding mode). */
export function roundHalfToEven(x: number): number {
  const r = Math.round(x);
  return (Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r) + 0; // + 0: never -0
}
