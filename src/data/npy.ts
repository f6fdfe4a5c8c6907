// NumPy .npy files (format versions 1, 2 and 3, C order): read into typed arrays, write float32 / int outputs.
// Used by src/data/samples.ts for inputs and calibration data, and by the CLI for outputs.

import { writeFileSync } from 'node:fs';
import { EennError } from '../ir/diagnostics.js';
import { readDataBytes } from './read-bytes.js';

export type NpyDType = 'float16' | 'float32' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint64' | 'uint32' | 'uint16' | 'uint8' | 'bool';
export type NpyData = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array;

export interface NpyArray {
  shape: number[];
  dtype: NpyDType;
  /**
   * int64 and uint64 are held in Float64Array, as in the IR (a value beyond 2^53 is refused: it has no exact double);
   * float16 in Float32Array (exact); bool in Uint8Array (0 or 1).
   */
  data: NpyData;
}

/** The largest integer a double holds exactly, and with it every smaller one (2^53). */
const EXACT_INTEGER_LIMIT = 2 ** 53;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** descr (without byte order) → dtype and element width. */
const DESCRIPTORS: Record<string, [NpyDType, number]> = {
  f2: ['float16', 2],
  f4: ['float32', 4],
  f8: ['float64', 8],
  i8: ['int64', 8],
  i4: ['int32', 4],
  i2: ['int16', 2],
  i1: ['int8', 1],
  u8: ['uint64', 8],
  u4: ['uint32', 4],
  u2: ['uint16', 2],
  u1: ['uint8', 1],
  b1: ['bool', 1],
};

export function readNpy(path: string): NpyArray {
  return parseNpy(readDataBytes(path), path);
}

const SAVE_HINT = 'save the array with numpy.save (C order, little-endian float16, float32, float64, int8 to int64, uint8 to uint64 or bool)';

export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const fail = (message: string, hint = SAVE_HINT) => new EennError({ code: 'E_DATA', file, message, hint });
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw fail('not a .npy file (no \\x93NUMPY magic)');
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw fail(`.npy format version ${major} is not supported (versions 1 to 3 are)`);
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart) throw fail('the .npy header is truncated');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerStart + headerLength > bytes.length) throw fail('the .npy header is truncated');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLength));

  const descr = /'descr'\s*:\s*(?:'([^']*)'|(\[))/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeText) throw fail(`the .npy header cannot be read: ${header.trim().slice(0, 200)}`);
  if (descr[2]) throw fail('.npy arrays with named fields (structured dtypes) are not supported');
  const order = /^([<>|=]?)(.*)$/.exec(descr[1]!)!;
  const known = DESCRIPTORS[order[2]!];
  if (!known) throw fail(`.npy dtype '${descr[1]}' is not supported`);
  if (order[1] === '>' && known[1] > 1) {
    throw fail(`big-endian .npy data ('${descr[1]}') is not supported`, `save it little-endian: array.astype('<${order[2]}')`);
  }
  if (fortran[1] === 'True') throw fail('Fortran-order .npy data is not supported', 'save a C-order array (np.ascontiguousarray)');
  const dims = shapeText[1]!.split(',').map((d) => d.trim());
  if (dims.length > 1 && dims[dims.length - 1] === '') dims.pop(); // "(3,)"
  const shape = dims[0] === '' && dims.length === 1 ? [] : dims.map((d) => (/^\d+L?$/.test(d) ? parseInt(d, 10) : NaN));
  const bad = shape.findIndex((d) => !Number.isSafeInteger(d));
  if (bad >= 0) throw fail(`the .npy header declares the shape (${shapeText[1]}): "${dims[bad]}" is not a non-negative whole number`);

  const [dtype, width] = known;
  const count = shape.reduce((a, b) => a * b, 1);
  const needed = count * width;
  const start = headerStart + headerLength;
  const held = bytes.length - start;
  if (held !== needed) {
    const sizes = `shape [${shape.join(', ')}] of ${dtype} needs ${needed.toLocaleString('en-US')} bytes, the file holds ${held.toLocaleString('en-US')}`;
    throw held < needed
      ? fail(`the .npy data is truncated: ${sizes}`, 'the file was cut short; save or copy it again')
      : fail(`the .npy data is longer than its header says: ${sizes}`);
  }
  const body = new Uint8Array(bytes.subarray(start, start + needed)); // a copy, aligned for the typed array
  const data = typedView(body, dtype, count);
  if (dtype === 'int64' || dtype === 'uint64') {
    const at = data.findIndex((v) => Math.abs(v) > EXACT_INTEGER_LIMIT);
    if (at >= 0) {
      throw fail(
        `value ${at} of the ${dtype} data is beyond 2^53 in magnitude, where eennc cannot hold every integer exactly`,
        'keep int64 values (token ids, indices, counts) within +-2^53',
      );
    }
  }
  if (dtype === 'bool' && data.some((v) => v > 1)) throw fail('the bool .npy data holds bytes other than 0 and 1');
  return { shape, dtype, data };
}

function typedView(body: Uint8Array, dtype: NpyDType, count: number): NpyData {
  switch (dtype) {
    case 'float16':
      return Float32Array.from(new Uint16Array(body.buffer, 0, count), halfToFloat);
    case 'float32':
      return new Float32Array(body.buffer, 0, count);
    case 'float64':
      return new Float64Array(body.buffer, 0, count);
    case 'int32':
      return new Int32Array(body.buffer, 0, count);
    case 'int16':
      return new Int16Array(body.buffer, 0, count);
    case 'int8':
      return new Int8Array(body.buffer, 0, count);
    case 'uint32':
      return new Uint32Array(body.buffer, 0, count);
    case 'uint16':
      return new Uint16Array(body.buffer, 0, count);
    case 'uint8':
    case 'bool':
      return body;
    case 'int64': {
      const words = new Int32Array(body.buffer, 0, count * 2);
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = words[2 * i + 1]! * 4294967296 + (words[2 * i]! >>> 0);
      return out;
    }
    case 'uint64': {
      const words = new Uint32Array(body.buffer, 0, count * 2);
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = words[2 * i + 1]! * 4294967296 + words[2 * i]!;
      return out;
    }
  }
}

/** An IEEE 754 half-precision value (its 16 bits) as a float (every half is a float32 exactly). */
function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const DESCR_OF: Record<string, string> = {
  Float32Array: '<f4',
  Float64Array: '<f8',
  Int32Array: '<i4',
  Int16Array: '<i2',
  Int8Array: '|i1',
  Uint32Array: '<u4',
  Uint16Array: '<u2',
  Uint8Array: '|u1',
};

/**
 * The dtypes encodeNpy writes other than as the typed array holds them: int64 (held in a Float64Array, written as
 * '<i8') and bool (a Uint8Array of 0 and 1, written as '|b1').
 */
export type NpyWrittenAs = 'int64' | 'bool';

/** Write a C-order .npy (version 1.0) of the typed array's own dtype, or of `as` (int64, bool). */
export function writeNpy(path: string, shape: readonly number[], data: NpyData, as?: NpyWrittenAs): void {
  try {
    writeFileSync(path, encodeNpy(shape, data, as));
  } catch (err) {
    throw new EennError({
      code: 'E_FILE',
      file: path,
      message: `cannot write the data file: ${(err as Error).message}`,
      hint: 'check that the folder exists and can be written, or give another --output path',
    });
  }
}

export function encodeNpy(shape: readonly number[], data: NpyData, as?: NpyWrittenAs): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`internal: shape [${shape.join(', ')}] holds ${count} values, got ${data.length}`);
  if (as === 'int64') data = new Uint8Array(BigInt64Array.from(data, (v) => BigInt(Math.trunc(v))).buffer);
  const descr = as === 'int64' ? '<i8' : as === 'bool' ? '|b1' : DESCR_OF[data.constructor.name];
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Pad with spaces so the data starts on a 64-byte boundary; the header ends with a newline (NEP 1).
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}
