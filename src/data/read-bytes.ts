// The bytes of a data file (.npy, .bin, IDX), gunzipped when they are gzip data: a regular file of at most
// DATA_FILE_BYTES, and at most as much once decompressed.

import { gunzipSync } from 'node:zlib';
import { EennError } from '../ir/diagnostics.js';
import { readRegularFile } from '../util/read-file.js';

/** The largest data file eennc reads, before and after decompression (512 MiB: 130 M float32 values). */
export const DATA_FILE_BYTES = 512 * 1024 * 1024;

export function readDataBytes(path: string): Uint8Array {
  const bytes = readRegularFile(path, 'data file', DATA_FILE_BYTES);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return gunzipSync(bytes, { maxOutputLength: DATA_FILE_BYTES });
  } catch (err) {
    const tooLarge = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    throw new EennError({
      code: 'E_DATA',
      file: path,
      message: tooLarge
        ? `the gzip data decompresses to more than ${DATA_FILE_BYTES.toLocaleString('en-US')} bytes, more than eennc reads`
        : `the gzip data cannot be decompressed: ${(err as Error).message}`,
      hint: tooLarge
        ? 'give fewer samples (a few hundred are enough for calibration)'
        : 'the .gz file is damaged or truncated: download or write it again',
    });
  }
}
