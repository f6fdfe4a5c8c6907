// IDX files, the format of MNIST and Fashion-MNIST (images idx3, labels idx1), gzip-compressed or not.

import { EennError } from '../ir/diagnostics.js';
import { readDataBytes } from './read-bytes.js';

export interface IdxArray {
  shape: number[];
  /** Only unsigned bytes (type 0x08) are read: MNIST-style images and labels. */
  data: Uint8Array;
}

export function readIdx(path: string): IdxArray {
  return parseIdx(readDataBytes(path), path);
}

/** True when the bytes start like an IDX file of unsigned bytes (0x00 0x00 0x08 rank). */
export function looksLikeIdx(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0x08 && bytes[3]! >= 1 && bytes[3]! <= 4;
}

export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new EennError({
      code: 'E_DATA',
      file,
      message: 'not an IDX file (bad magic number)',
      hint: 'give an IDX file as Fashion-MNIST ships it, a .npy file or a raw float32 .bin file',
    });
  }
  if (bytes[2] !== 0x08) {
    throw new EennError({
      code: 'E_DATA',
      file,
      message: `IDX element type 0x${bytes[2]!.toString(16)} is not supported (only unsigned bytes)`,
      hint: 'convert the data to .npy (numpy.save) in float32, uint8 or int8',
    });
  }
  const rank = bytes[3]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i, false)); // IDX sizes are big-endian
  const start = 4 + 4 * rank;
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - start < count) {
    throw new EennError({
      code: 'E_DATA',
      file,
      message: `the IDX data is truncated: shape [${shape.join(', ')}] needs ${count} bytes, the file has ${bytes.length - start}`,
      hint: 'the file is incomplete: download or write it again',
    });
  }
  return { shape, data: new Uint8Array(bytes.subarray(start, start + count)) };
}
