// Class labels for `accuracy`, `test` and augmentation: integer .npy, IDX labels files, and raw .bin files whose
// label type is given (--labels-dtype: one byte or one little-endian int64 per label).

import { EennError } from '../ir/diagnostics.js';
import { readDataBytes } from './read-bytes.js';
import { loadArray } from './samples.js';

/** The label types of a raw .bin labels file (--labels-dtype). */
export const RAW_LABEL_DTYPES = ['uint8', 'int64'] as const;
export type RawLabelDType = (typeof RAW_LABEL_DTYPES)[number];

/** Bytes of one label of each raw type. */
const RAW_LABEL_BYTES: Record<RawLabelDType, number> = { uint8: 1, int64: 8 };

/** File names read as raw data (as for samples). */
const RAW_NAME = /\.(bin|raw)$/i;

export interface LabelOptions {
  /** The type of a raw .bin file's labels; required for such a file, refused for the others (their type is known). */
  dtype?: RawLabelDType;
}

const withoutOnes = (dims: readonly number[]) => dims.filter((d) => d !== 1);

/** Class labels from .npy (integer array), an IDX labels file (idx1), or a raw .bin file of `options.dtype` labels. */
export function readLabels(path: string, options: LabelOptions = {}): Int32Array {
  if (RAW_NAME.test(path)) return readRawLabels(path, options.dtype);
  if (options.dtype !== undefined) {
    throw new EennError({
      code: 'E_USAGE',
      file: path,
      message: `--labels-dtype ${options.dtype} is for raw .bin labels files; this file's type is written in it`,
      hint: 'leave out --labels-dtype for .npy and IDX labels files',
    });
  }
  const loaded = loadArray(path);
  if (loaded.dtype === 'float32' || loaded.dtype === 'float64') {
    throw new EennError({
      code: 'E_DATA',
      file: path,
      message: 'labels must be integers (.npy of int64/int32/uint8, an IDX labels file, or a raw .bin with --labels-dtype)',
      hint: 'save the class indices as integers, e.g. numpy.save(path, labels.astype(numpy.int64))',
    });
  }
  if (withoutOnes(loaded.shape).length > 1) {
    throw new EennError({
      code: 'E_DATA',
      file: path,
      message: `labels must be a 1-D array, got shape [${loaded.shape.join(', ')}]`,
      hint: 'save one class index per sample, e.g. numpy.save(path, labels.reshape(-1))',
    });
  }
  return Int32Array.from(loaded.data as ArrayLike<number>);
}

/** One label per byte (uint8) or per 8 little-endian bytes (int64); E_DATA for a size or value that does not fit. */
function readRawLabels(path: string, dtype: RawLabelDType | undefined): Int32Array {
  if (dtype === undefined) {
    throw new EennError({
      code: 'E_DATA',
      file: path,
      message: 'a raw .bin labels file does not say how its labels are stored',
      hint:
        'give --labels-dtype uint8 (one byte per label, e.g. labels.astype(numpy.uint8).tofile(path)) or ' +
        '--labels-dtype int64 (one little-endian int64 per label, labels.astype("<i8").tofile(path)), or save them with numpy.save as .npy',
    });
  }
  const bytes = readDataBytes(path);
  const width = RAW_LABEL_BYTES[dtype];
  if (bytes.length % width !== 0) {
    throw new EennError({
      code: 'E_DATA',
      file: path,
      message: `a raw labels file of ${dtype} holds ${width} bytes per label, but its size (${bytes.length} bytes) is not a multiple of ${width}`,
      hint: `check --labels-dtype: ${RAW_LABEL_DTYPES.map((t) => `${t} is ${RAW_LABEL_BYTES[t]} byte${RAW_LABEL_BYTES[t] === 1 ? '' : 's'} per label`).join(', ')}`,
    });
  }
  if (dtype === 'uint8') return Int32Array.from(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const labels = new Int32Array(bytes.length / width);
  for (let i = 0; i < labels.length; i++) {
    const value = view.getBigInt64(i * width, true);
    if (value < -(2n ** 31n) || value >= 2n ** 31n) {
      throw new EennError({
        code: 'E_DATA',
        file: path,
        message: `label ${i} (counting from 0) is ${value}, not a class index`,
        hint: 'check --labels-dtype: a file of one byte per label read as int64 gives such values; give --labels-dtype uint8',
      });
    }
    labels[i] = Number(value);
  }
  return labels;
}
