// The only module that knows ONNX's protobuf encoding: decodes ModelProto / TensorProto bytes (onnx-proto),
// turns TensorProtos into typed arrays (raw, typed fields and external data), and encodes models for tests and tools.

import onnxProto from 'onnx-proto';
import { EennError } from '../ir/diagnostics.js';
import { arrayFor, bytesPerElement, type DType, type TensorData } from '../ir/graph.js';
import { readExternalData } from './external-data.js';
import { checkedTensorBytes } from '../ir/limits.js';

const { onnx } = onnxProto;

export type ModelProto = onnxProto.onnx.IModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** A decoded constant tensor. */
export interface DecodedTensor {
  name: string;
  shape: number[];
  dtype: DType;
  data: TensorData;
}

/** ONNX TensorProto.DataType numbers (onnx.proto3). */
export const OnnxDataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
} as const;

/** ONNX AttributeProto.AttributeType numbers. */
export const OnnxAttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  SPARSE_TENSOR: 11,
  TYPE_PROTO: 13,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSORS: 12,
  TYPE_PROTOS: 14,
} as const;

const dtypeByOnnx = new Map<number, DType>([
  [OnnxDataType.FLOAT, 'float32'],
  [OnnxDataType.DOUBLE, 'float64'],
  [OnnxDataType.INT64, 'int64'],
  [OnnxDataType.INT32, 'int32'],
  [OnnxDataType.INT16, 'int16'],
  [OnnxDataType.INT8, 'int8'],
  [OnnxDataType.UINT8, 'uint8'],
  [OnnxDataType.UINT16, 'uint16'],
  [OnnxDataType.BOOL, 'bool'],
]);
const onnxByDtype = new Map<DType, number>([...dtypeByOnnx].map(([k, v]) => [v, k]));

/** Lower-case ONNX name of an element type, for messages ("float16", "string"). */
export function onnxTypeName(elemType: number): string {
  const entry = Object.entries(OnnxDataType).find(([, v]) => v === elemType);
  return entry ? entry[0].toLowerCase() : `type ${elemType}`;
}

/** The IR dtype of an ONNX element type, or undefined when the IR has none (float16, string, uint16...). */
export function dtypeFromOnnx(elemType: number): DType | undefined {
  return dtypeByOnnx.get(elemType);
}

export function onnxFromDtype(dtype: DType): number {
  return onnxByDtype.get(dtype)!;
}

/** protobufjs hands 64-bit fields over as numbers or Long objects. */
export function longToNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** Decode a ModelProto; anything that is not one (or is cut short) is E_PARSE. */
export function decodeModel(bytes: Uint8Array, file: string): onnxProto.onnx.ModelProto {
  const notOnnxHint = 'check that the file is an ONNX model (.onnx) and was copied completely';
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new EennError({
      code: 'E_PARSE',
      file,
      hint: notOnnxHint,
      message: `not a valid ONNX model: the protobuf cannot be decoded (${why}); the file may be truncated or not ONNX`,
    });
  }
  // Random bytes sometimes decode as a protobuf; a real model has an IR version and a graph.
  if (longToNumber(model.irVersion) <= 0 || !model.graph) {
    throw new EennError({
      code: 'E_PARSE',
      file,
      hint: notOnnxHint,
      message: 'not a valid ONNX model: no IR version or no graph in the protobuf',
    });
  }
  return model;
}

/** Decode a serialized TensorProto (the .pb files of the ONNX test data). */
export function decodeTensorProto(bytes: Uint8Array, file: string): onnxProto.onnx.TensorProto {
  try {
    return onnx.TensorProto.decode(bytes);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new EennError({
      code: 'E_PARSE',
      file,
      message: `not a valid ONNX TensorProto (${why})`,
      hint: 'check that the file is a serialized onnx.TensorProto (a .pb file of the ONNX test data) and was copied completely',
    });
  }
}

export interface TensorSource {
  /** File the tensor comes from, for error messages. */
  file: string;
  /** Folder that external data locations are relative to (the model's folder). */
  baseDir: string;
}

/** Convert a TensorProto into a typed array of the IR's dtype; its declared size is checked before anything is read. */
export function tensorFromProto(proto: TensorProto, source: TensorSource): DecodedTensor {
  const name = proto.name ?? '';
  const shape = (proto.dims ?? []).map(longToNumber);
  const elemType = proto.dataType ?? 0;
  const dtype = dtypeFromOnnx(elemType);
  if (!dtype) {
    throw new EennError({
      code: 'E_UNSUPPORTED',
      file: source.file,
      message: `tensor "${name}" has element type ${onnxTypeName(elemType)}, which eennc does not support`,
      hint: 'convert the model to float32 (weights and activations) before compiling',
    });
  }
  const byteLength = checkedTensorBytes(`tensor "${name}"`, shape, dtype, { file: source.file });
  const count = byteLength / bytesPerElement(dtype);
  const external = proto.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL;
  const raw = external ? readExternalData(proto, byteLength, shape, dtype, source) : proto.rawData;
  let data: TensorData;
  if (raw && raw.length > 0) {
    data = fromRawBytes(raw, dtype, count, name, source.file);
  } else {
    data = fromTypedFields(proto, dtype, count, name, source.file);
  }
  return { name, shape, dtype, data };
}

/** raw_data is little-endian (ONNX spec); copy into an aligned buffer, then view it with the right type. */
function fromRawBytes(raw: Uint8Array, dtype: DType, count: number, name: string, file: string): TensorData {
  const width = bytesPerElement(dtype);
  if (raw.length !== count * width) {
    throw new EennError({
      code: 'E_PARSE',
      file,
      message: `tensor "${name}" holds ${raw.length} bytes of data, expected ${count * width} (${count} × ${width})`,
      hint: 'the model is damaged or its tensor does not match its shape; re-export it',
    });
  }
  const aligned = new Uint8Array(raw.length);
  aligned.set(raw);
  const buffer = aligned.buffer;
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer);
    case 'float64':
      return new Float64Array(buffer);
    case 'int32':
      return new Int32Array(buffer);
    case 'int16':
      return new Int16Array(buffer);
    case 'int8':
      return new Int8Array(buffer);
    case 'uint8':
      return aligned;
    case 'uint16':
      return new Uint16Array(buffer);
    case 'bool': {
      for (let i = 0; i < aligned.length; i++) aligned[i] = aligned[i] ? 1 : 0;
      return aligned;
    }
    case 'int64': {
      // int64 is held in Float64Array (exact to 2^53): value = high * 2^32 + unsigned low.
      const words = new Int32Array(buffer);
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = words[2 * i + 1]! * 4294967296 + (words[2 * i]! >>> 0);
      return out;
    }
  }
}

/** Typed fields: float_data (float), int32_data (int32/int16/int8/uint8/bool/float16), int64_data, double_data. */
function fromTypedFields(proto: TensorProto, dtype: DType, count: number, name: string, file: string): TensorData {
  let source: ArrayLike<number | { toNumber(): number }>;
  switch (dtype) {
    case 'float32':
      source = proto.floatData ?? [];
      break;
    case 'float64':
      source = proto.doubleData ?? [];
      break;
    case 'int64':
      source = proto.int64Data ?? [];
      break;
    default:
      source = proto.int32Data ?? [];
      break;
  }
  if (source.length !== count) {
    throw new EennError({
      code: 'E_PARSE',
      file,
      message: `tensor "${name}" holds ${source.length} values, its shape [${(proto.dims ?? []).map(longToNumber).join(', ')}] needs ${count}`,
      hint: 'the model is damaged or its tensor does not match its shape (was it saved with external data that is not there?); re-export it',
    });
  }
  const out = arrayFor(dtype, count);
  if (dtype === 'int64') {
    for (let i = 0; i < count; i++) out[i] = longToNumber(source[i]);
  } else if (dtype === 'bool') {
    for (let i = 0; i < count; i++) out[i] = source[i] ? 1 : 0;
  } else {
    for (let i = 0; i < count; i++) out[i] = source[i] as number;
  }
  return out;
}

/** A TensorProto with raw_data for an IR tensor (int64 from Float64Array). */
export function tensorToProto(name: string, shape: readonly number[], dtype: DType, data: TensorData): TensorProto {
  let raw: Uint8Array;
  if (dtype === 'int64') {
    const words = new Int32Array(data.length * 2);
    for (let i = 0; i < data.length; i++) {
      // INT64_MAX (an exporter's "to the end" Slice bound) reads as 2^63 in a Float64Array: saturate to the largest
      // double below 2^63, never wrap to INT64_MIN.
      const v = Math.min(Math.max(data[i]!, -(2 ** 63)), 2 ** 63 - 2 ** 10);
      const high = Math.floor(v / 4294967296);
      words[2 * i] = v - high * 4294967296;
      words[2 * i + 1] = high;
    }
    raw = new Uint8Array(words.buffer);
  } else {
    raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  }
  return { name, dims: [...shape], dataType: onnxFromDtype(dtype), rawData: raw };
}

/** Serialize a model (tests build small and deliberately broken models with this). */
export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

export function encodeTensor(tensor: TensorProto): Uint8Array {
  return onnx.TensorProto.encode(onnx.TensorProto.create(tensor)).finish();
}
