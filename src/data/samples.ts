// Input samples for `run`, `test`, calibration and augmentation: .npy, raw float32 .bin, and IDX (MNIST /
// Fashion-MNIST, .gz or not), turned into float32 samples of one model input's shape; loadArray also serves the
// labels reader (labels.ts).

import { EennError } from '../ir/diagnostics.js';
import { arrayFor, sizeOf, type DType, type TensorData } from '../ir/graph.js';
import { looksLikeIdx, parseIdx } from './idx.js';
import { parseNpy, type NpyData, type NpyDType } from './npy.js';
import { readDataBytes } from './read-bytes.js';

export interface SampleOptions {
  /** Every value is multiplied by this (e.g. 1/255 for uint8 pixels). */
  scale?: number;
  /** Read at most this many samples. */
  count?: number;
  /**
   * A NaN or infinite value (after scaling) is an E_DATA error naming its sample: int8 builds cannot compute with
   * them. Without it, such samples are counted in `nonFinite`.
   */
  requireFinite?: boolean;
  /** The model input the file feeds, named in messages (a model of several inputs). */
  inputName?: string;
}

export interface Samples {
  count: number;
  /** count × size(inputShape) values, sample after sample. */
  data: Float32Array;
  /** Samples holding a NaN or infinite value, and the first of them (counted from 0); absent when there are none. */
  nonFinite?: { samples: number; first: number };
}

type Loaded = { shape: number[]; dtype: NpyDType; data: NpyData; kind: 'npy' | 'idx' | 'raw' };

/** Detect the format from the content (npy magic, IDX magic) and the name (.bin/.raw: float32 values). */
export function loadArray(path: string): Loaded {
  const bytes = readDataBytes(path);
  if (bytes[0] === 0x93 && bytes[1] === 0x4e) return { ...parseNpy(bytes, path), kind: 'npy' };
  if (looksLikeIdx(bytes) && !/\.(bin|raw|f32)$/i.test(path)) return { ...parseIdx(bytes, path), dtype: 'uint8', kind: 'idx' };
  if (/\.(bin|raw|f32)$/i.test(path)) {
    if (bytes.length % 4 !== 0) {
      throw new EennError({
        code: 'E_DATA',
        file: path,
        message: `a raw .bin file holds float32 values, but its size (${bytes.length} bytes) is not a multiple of 4`,
        hint: 'a .bin file holds float32 little-endian values, sample after sample; write other data as .npy (numpy.save)',
      });
    }
    const aligned = new Uint8Array(bytes); // a copy, aligned for Float32Array
    return { shape: [bytes.length / 4], dtype: 'float32', data: new Float32Array(aligned.buffer, 0, bytes.length / 4), kind: 'raw' };
  }
  throw new EennError({
    code: 'E_DATA',
    file: path,
    message: 'unknown data format',
    hint: 'use .npy (numpy.save), a raw little-endian float32 .bin file, or an IDX file (MNIST format, .gz allowed)',
  });
}

const withoutOnes = (dims: readonly number[]) => dims.filter((d) => d !== 1);
const sameDims = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Samples for a model input of shape `inputShape` (batch dimension included, e.g. [1, 1, 28, 28]).
 * The file holds one input of exactly that shape, or N of them as [N, ...] (dimensions of size 1 may be left out,
 * so [N, 28, 28] images fit [1, 1, 28, 28]); raw .bin files hold N inputs back to back.
 */
export function readSamples(path: string, inputShape: readonly number[], options: SampleOptions = {}): Samples {
  const loaded = loadArray(path);
  const size = inputShape.reduce((a, b) => a * b, 1);
  const count = samplesIn(loaded, path, inputShape, options);
  const scale = options.scale ?? 1;
  const data = new Float32Array(count * size);
  const source = loaded.data;
  for (let i = 0; i < data.length; i++) data[i] = source[i]! * scale;
  const samples: Samples = { count, data };
  const nonFinite = findNonFinite(data, size);
  if (nonFinite.length > 0) {
    const first = nonFinite[0]!;
    if (options.requireFinite) throw nonFiniteError(path, first, data.subarray(first * size, (first + 1) * size), nonFinite.length - 1);
    samples.nonFinite = { samples: nonFinite.length, first };
  }
  return samples;
}

/** A model input that a data file feeds: its name (for messages), shape and element type. */
export interface InputOf {
  name: string;
  shape: readonly number[];
  dtype: DType;
}

/** Samples of one model input in its own element type (TypedSamples.data holds count × size values). */
export interface TypedSamples {
  count: number;
  data: TensorData;
  nonFinite?: { samples: number; first: number };
}

/**
 * Samples for model input `input` in its own element type. A float32 input reads as readSamples does (any numeric
 * file, times --scale). Any other input takes the file's values only where they are exact in its type: an integer
 * input takes integer values in its range (from an integer file, or a float file whose every value is whole), a bool
 * input 0 and 1, a float64 input any number; anything else is an E_DATA error naming the file, the input and the value.
 */
export function readTypedSamples(path: string, input: InputOf, options: SampleOptions = {}): TypedSamples {
  if (input.dtype === 'float32') return readSamples(path, input.shape, { ...options, inputName: input.name });
  const loaded = loadArray(path);
  const count = samplesIn(loaded, path, input.shape, { ...options, inputName: input.name });
  const size = sizeOf(input.shape);
  const data = arrayFor(input.dtype, count * size);
  const source = loaded.data;
  const scale = options.scale ?? 1;
  if (input.dtype === 'float64') {
    for (let i = 0; i < data.length; i++) data[i] = source[i]! * scale;
    const nonFinite = findNonFinite(data, size);
    if (nonFinite.length === 0) return { count, data };
    const first = nonFinite[0]!;
    if (options.requireFinite) {
      throw nonFiniteError(path, first, Float32Array.from(data.subarray(first * size, (first + 1) * size)), nonFinite.length - 1);
    }
    return { count, data, nonFinite: { samples: nonFinite.length, first } };
  }
  const [low, high] = INTEGER_RANGE[input.dtype];
  for (let i = 0; i < data.length; i++) {
    const v = source[i]!;
    if (Number.isInteger(v) && v >= low && v <= high) {
      data[i] = v;
      continue;
    }
    const sample = Math.floor(i / size);
    const why = Number.isInteger(v) ? `outside the range of ${input.dtype} (${low} to ${high})` : `not a whole number`;
    throw new EennError({
      code: 'E_DATA',
      file: path,
      message:
        `model input "${input.name}" is ${input.dtype}, but sample ${sample} (counting from 0) of this ${loaded.dtype} data holds ${v} ` +
        `at value ${i - sample * size}, ${why}; eennc converts data only where the value stays exact`,
      hint:
        input.dtype === 'bool'
          ? 'give the input 0/1 or bool values (numpy: array.astype(bool))'
          : `give the input whole numbers in its range, e.g. saved as ${input.dtype} (numpy: array.astype(np.${input.dtype}))`,
    });
  }
  return { count, data };
}

/** The values an integer (or bool) input takes exactly. */
const INTEGER_RANGE: Record<Exclude<DType, 'float32' | 'float64'>, [number, number]> = {
  int64: [-(2 ** 53), 2 ** 53],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int16: [-32768, 32767],
  int8: [-128, 127],
  uint16: [0, 65535],
  uint8: [0, 255],
  bool: [0, 1],
};

/** How many samples of `inputShape` a loaded file holds (at most options.count); E_DATA where it holds no whole number. */
function samplesIn(loaded: Loaded, path: string, inputShape: readonly number[], options: SampleOptions): number {
  const size = inputShape.reduce((a, b) => a * b, 1);
  const total = loaded.data.length;
  const input = options.inputName === undefined ? 'the model input' : `model input "${options.inputName}"`;
  const expected = `[${inputShape.join(', ')}] (${size} values per sample)`;
  let count: number;
  if (loaded.kind === 'raw') {
    if (total % size !== 0) {
      throw new EennError({
        code: 'E_DATA',
        file: path,
        message:
          `the file holds ${total} float32 values, not a whole number of samples of ${input} of shape ${expected}: ` +
          `expected a multiple of ${size * 4} bytes`,
        hint: 'the file must hold whole samples of the model input; give it as .npy with shape [N, ...input] to have it checked',
      });
    }
    count = total / size;
  } else if (sameDims(loaded.shape, inputShape) || sameDims(withoutOnes(loaded.shape), withoutOnes(inputShape))) {
    count = 1;
  } else if (loaded.shape.length >= 1 && sameDims(withoutOnes(loaded.shape.slice(1)), withoutOnes(inputShape))) {
    count = loaded.shape[0]!;
  } else {
    throw new EennError({
      code: 'E_DATA',
      file: path,
      message: `data of shape [${loaded.shape.join(', ')}] does not fit ${input} ${expected}`,
      hint: `save the samples as [N, ${inputShape.join(', ')}] or [N, ${inputShape.slice(1).join(', ')}]`,
    });
  }
  if (options.count !== undefined) {
    if (!Number.isSafeInteger(options.count) || options.count < 1) {
      throw new EennError({
        code: 'E_USAGE',
        file: path,
        message: `the number of samples to read must be a whole number of at least 1, not ${options.count}`,
        hint: 'give a count such as 100',
      });
    }
    count = Math.min(count, options.count);
  }
  return count;
}

/** Indexes of the samples (of `size` values each) that hold a NaN or an infinite value. */
function findNonFinite(data: ArrayLike<number>, size: number): number[] {
  const found: number[] = [];
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      const sample = Math.floor(i / size);
      found.push(sample);
      i = (sample + 1) * size - 1; // on to the next sample
    }
  }
  return found;
}

/**
 * E_DATA for a sample holding NaN or infinite values (an int8 model cannot compute with them): `sample` counted from
 * 0, `values` its values, `more` how many other samples hold some too.
 */
export function nonFiniteError(file: string | undefined, sample: number, values: Float32Array, more = 0): EennError {
  const at = values.findIndex((v) => !Number.isFinite(v));
  const others = more > 0 ? ` (and ${more} more sample${more === 1 ? '' : 's'})` : '';
  return new EennError({
    code: 'E_DATA',
    file,
    message:
      `sample ${sample} (counting from 0) holds ${values[at]} at value ${at} of ${values.length}${others}; ` +
      'an int8 model cannot compute with NaN or infinite inputs',
    hint: 'clean the data first (drop those samples, or replace the values, e.g. with numpy.nan_to_num), ' + 'or build with --precision float32',
  });
}
