// NumPy .npy files (format versions 1, 2 and 3, C order): read into typed arrays, write float32 / int outputs.
// Used by src/data/samples.ts for inputs and calibration data, and by the CLI for outputs.

import { writeFileSync } from 'node:fs';
import { EennError } from '../ir/diagnostics.js';
import { readDataBytes } from './read-bytes.js';

export type NpyDType = 'float32' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';
export type NpyData = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export interface NpyArray {
  shape: number[];
  dtype: NpyDType;
  /** int64 is held in Float64Array (exact to 2^53), as in the IR. */
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** descr (without byte order) → dtype and element width. */
const DESCRIPTORS: Record<string, [NpyDType, number]> = {
  f4: ['float32', 4],
  f8: ['float64', 8],
  i8: ['int64', 8],
  i4: ['int32', 4],
  i2: ['int16', 2],
  i1: ['int8', 1],
  u1: ['uint8', 1],
  b1: ['bool', 1],
};

export function readNpy(path: string): NpyArray {
  return parseNpy(readDataBytes(path), path);
}

const SAVE_HINT = 'save the array with numpy.save (C order, little-endian float32, float64, uint8, int8 or int64)';

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
  if (order[1] === '>' && known[1] > 1) throw fail('big-endian .npy data is not supported', 'save with dtype "<f4" (little-endian)');
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
  return { shape, dtype, data: typedView(body, dtype, count) };
}

function typedView(body: Uint8Array, dtype: NpyDType, count: number): NpyData {
  switch (dtype) {
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
    case 'uint8':
    case 'bool':
      return body;
    case 'int64': {
      const words = new Int32Array(body.buffer, 0, count * 2);
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = words[2 * i + 1]! * 4294967296 + (words[2 * i]! >>> 0);
      return out;
    }
  }
}

const DESCR_OF: Record<string, string> = {
  Float32Array: '<f4',
  Float64Array: '<f8',
  Int32Array: '<i4',
  Int16Array: '<i2',
  Int8Array: '|i1',
  Uint8Array: '|u1',
};

/** Write a C-order .npy (version 1.0) of the typed array's own dtype. */
export function writeNpy(path: string, shape: readonly number[], data: NpyData): void {
  try {
    writeFileSync(path, encodeNpy(shape, data));
  } catch (err) {
    throw new EennError({
      code: 'E_FILE',
      file: path,
      message: `cannot write the data file: ${(err as Error).message}`,
      hint: 'check that the folder exists and can be written, or give another --output path',
    });
  }
}

export function encodeNpy(shape: readonly number[], data: NpyData): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`internal: shape [${shape.join(', ')}] holds ${count} values, got ${data.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${DESCR_OF[data.constructor.name]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
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
