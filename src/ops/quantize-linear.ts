// QuantizeLinear and DequantizeLinear (opsets 10-21) as ONNX defines them, on values computed at run time:
//   QuantizeLinear    y = saturate(roundHalfToEven(x / scale) + zeroPoint)   float32 -> uint8 / int8
//   DequantizeLinear  y = (x - zeroPoint) * scale                            uint8 / int8 / int32 -> float32
// per tensor or per axis (a 1-D scale along `axis`, default 1). The scale, zero point and axis are read and checked
// as the QDQ import reads them (src/quantize/qdq/params.ts), whose arithmetic this is: a model that states its own
// quantization never reaches these definitions in a build (the import turns it into a float graph); the float
// reference runs them where the scale and zero point are plain tensors (the ONNX backend cases), and shape
// inference and `eennc inspect` know their types. 16-bit, 4-bit, float8 and blocked quantization are E_UNSUPPORTED.

import { nodeError } from '../ir/diagnostics.js';
import { arrayFor, type DType, type Node, type Tensor } from '../ir/graph.js';
import { KIND_RANGE, kindOfDtype, readStatedQuant, roundHalfToEven, type StatedQuant } from './stated-quant.js';
import { attrInt } from './attrs.js';
import type { InputInfo, OpDef, OutputInfo, Value } from './types.js';

const LATEST = 21;

/** The oldest opset of both operators. */
const FIRST = 10;

/** Input indices of both operators: the value, its scale, its zero point. */
const VALUE = 0;
const SCALE = 1;
const ZERO_POINT = 2;

/** QuantizeLinear's `axis` and DequantizeLinear's (ONNX default 1, the channels of NCHW). */
const DEFAULT_AXIS = 1;

/** The integer type QuantizeLinear writes when neither a zero point nor `output_dtype` names one (ONNX: uint8). */
const DEFAULT_KIND = 'uint8' as const;

const HINT = 'eennc computes QuantizeLinear and DequantizeLinear with float32 scales and int8 or uint8 values (int32 for DequantizeLinear)';

/** The scale, zero point and axis of `node` read from its input values, checked as the QDQ import checks them. */
function statedOf(node: Node, inputs: (Value | undefined)[], rank: number): StatedQuant {
  const constants = (name: string): Tensor | undefined => {
    const index = node.inputs.indexOf(name);
    const value = index > 0 ? inputs[index] : undefined;
    return value && { name, shape: value.shape, dtype: value.dtype, data: value.data };
  };
  return readStatedQuant(constants, node, {
    scale: SCALE,
    zeroPoint: ZERO_POINT,
    rank,
    axis: attrInt(node, 'axis', DEFAULT_AXIS),
    kind: DEFAULT_KIND,
  });
}

/** Elements per step of the channel axis and the channel count, for the per-axis loops (1, 1 per tensor). */
function channelSteps(node: Node, shape: readonly number[], q: StatedQuant): { channels: number; inner: number } {
  if (q.axis === undefined) return { channels: 1, inner: 1 };
  const channels = shape[q.axis]!;
  if (channels !== q.scales.length) {
    throw nodeError('E_SHAPE', node, `the input has ${channels} channels along axis ${q.axis} but ${q.scales.length} scales`, HINT);
  }
  let inner = 1;
  for (let d = q.axis + 1; d < shape.length; d++) inner *= shape[d]!;
  return { channels, inner };
}

/** Shape checks both operators share: a float32 scale of rank 0 or 1, a zero point like it. */
function checkParameters(node: Node, inputs: (InputInfo | undefined)[]): void {
  const scale = inputs[SCALE];
  if (!scale) throw nodeError('E_MODEL', node, 'has no scale input', HINT);
  if (scale.dtype !== 'float32') throw nodeError('E_UNSUPPORTED', node, `the scale is ${scale.dtype}; only float32 scales are supported`, HINT);
  if (scale.shape.length > 1) throw nodeError('E_UNSUPPORTED', node, `the scale has rank ${scale.shape.length} (blocked quantization)`, HINT);
  const zeroPoint = inputs[ZERO_POINT];
  if (zeroPoint && zeroPoint.shape.join() !== scale.shape.join()) {
    throw nodeError('E_SHAPE', node, `the zero point has shape [${zeroPoint.shape.join(', ')}], the scale [${scale.shape.join(', ')}]`, HINT);
  }
}

/** ONNX TensorProto element types QuantizeLinear's `output_dtype` (opset 21) may name here; 0: not given. */
const OUTPUT_DTYPES: Readonly<Record<number, DType>> = { 0: DEFAULT_KIND, 2: 'uint8', 3: 'int8' };

/** The integer type QuantizeLinear writes: its zero point's, else `output_dtype`'s, else uint8. */
function quantizedDtype(node: Node, zeroPoint: InputInfo | undefined): DType {
  const given = node.attrs.output_dtype;
  const named = typeof given === 'number' ? OUTPUT_DTYPES[given] : DEFAULT_KIND;
  if (named === undefined) throw nodeError('E_UNSUPPORTED', node, `output_dtype ${String(given)} is not int8 or uint8`, HINT);
  const kind = kindOfDtype(node, zeroPoint?.dtype ?? named, 'the quantized type');
  if (kind === 'int32') throw nodeError('E_UNSUPPORTED', node, 'QuantizeLinear to int32 is not an ONNX type', HINT);
  return kind;
}

const quantizeLinear: OpDef = {
  op: 'QuantizeLinear',
  opsets: [FIRST, LATEST],
  inferShapes(node, inputs): OutputInfo[] {
    const x = inputs[VALUE];
    if (!x) throw nodeError('E_MODEL', node, 'has no input', HINT);
    if (x.dtype !== 'float32') throw nodeError('E_UNSUPPORTED', node, `quantizes a ${x.dtype} tensor; only float32 is supported`, HINT);
    checkParameters(node, inputs);
    return [{ shape: [...x.shape], dtype: quantizedDtype(node, inputs[ZERO_POINT]) }];
  },
  evaluate(node, inputs): Value[] {
    const x = inputs[VALUE]!;
    const q = statedOf(node, inputs, x.shape.length);
    const { channels, inner } = channelSteps(node, x.shape, q);
    const [low, high] = KIND_RANGE[q.kind];
    const out = arrayFor(q.kind, x.data.length);
    for (let i = 0; i < x.data.length; i++) {
      const c = Math.floor(i / inner) % channels;
      // x / scale in float32, rounded to nearest even (ONNX), then the zero point added and saturated. ONNX leaves
      // NaN undefined: it becomes the zero point (real 0). ±Infinity (also x / 0) saturates.
      const scaled = Math.fround(x.data[i]! / q.scales[c]!);
      const v = Number.isNaN(scaled) ? q.zeroPoints[c]! : roundHalfToEven(scaled) + q.zeroPoints[c]!;
      out[i] = v < low ? low : v > high ? high : v;
    }
    return [{ shape: [...x.shape], dtype: q.kind, data: out }];
  },
};

const dequantizeLinear: OpDef = {
  op: 'DequantizeLinear',
  opsets: [FIRST, LATEST],
  inferShapes(node, inputs): OutputInfo[] {
    const x = inputs[VALUE];
    if (!x) throw nodeError('E_MODEL', node, 'has no input', HINT);
    kindOfDtype(node, x.dtype, `the input "${node.inputs[VALUE] ?? ''}"`);
    checkParameters(node, inputs);
    const zeroPoint = inputs[ZERO_POINT];
    if (zeroPoint && zeroPoint.dtype !== x.dtype) {
      throw nodeError(
        'E_MODEL',
        node,
        `the input is ${x.dtype} but its zero point is ${zeroPoint.dtype}`,
        'the zero point must have the type of the quantized tensor',
      );
    }
    return [{ shape: [...x.shape], dtype: 'float32' }];
  },
  evaluate(node, inputs): Value[] {
    const x = inputs[VALUE]!;
    const q = statedOf(node, inputs, x.shape.length);
    const { channels, inner } = channelSteps(node, x.shape, q);
    const out = new Float32Array(x.data.length);
    for (let i = 0; i < x.data.length; i++) {
      const c = Math.floor(i / inner) % channels;
      // (x - zp) in float32 first, then the product, each rounded once (onnxruntime's order; exact for 8 bits).
      out[i] = Math.fround(Math.fround(x.data[i]! - q.zeroPoints[c]!) * q.scales[c]!);
    }
    return [{ shape: [...x.shape], dtype: 'float32', data: out }];
  },
};

export const ops: OpDef[] = [quantizeLinear, dequantizeLinear];
