// Tensor bytes stored outside the model (TensorProto data_location EXTERNAL): a model is untrusted input, so only a
// regular file inside the model's folder is read, and only the byte range the tensor's shape needs.

import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync, type Stats } from 'node:fs';
import { isAbsolute, resolve, win32 } from 'node:path';
import { EennError } from '../ir/diagnostics.js';
import type { DType } from '../ir/graph.js';
import { isInside } from '../util/paths.js';
import type { TensorProto, TensorSource } from './onnx-proto.js';

const SAVE_HINT =
  "keep the external data files in the model's folder and their locations relative to it, " +
  'as onnx.save_model(..., save_as_external_data=True) writes them';

/** True when `path` lies strictly inside folder `base` (both absolute). */
/** A byte offset or length as written in external_data: decimal digits only, a safe integer. */
function byteField(text: string | undefined, fallback: number, refuse: (message: string) => EennError, key: string): number {
  if (text === undefined) return fallback;
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(value)) throw refuse(`its ${key} "${text}" is not a non-negative whole number of bytes`);
  return value;
}

/**
 * The `byteLength` bytes of tensor `proto` (shape and dtype for messages) from its external data file. Everything
 * the model says is checked before the file is opened; nothing about a file outside the folder reaches a message.
 */
export function readExternalData(proto: TensorProto, byteLength: number, shape: readonly number[], dtype: DType, source: TensorSource): Uint8Array {
  const name = proto.name ?? '';
  const entries = new Map((proto.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const refuse = (message: string, hint = SAVE_HINT) =>
    new EennError({ code: 'E_MODEL', file: source.file, message: `external data of tensor "${name}": ${message}`, hint });
  const location = entries.get('location');
  if (!location) throw refuse('no location is given');
  if (location.includes('\0') || isAbsolute(location) || win32.isAbsolute(location)) {
    throw refuse(`the location "${location}" is an absolute path; only files inside the model's folder are read`);
  }
  const base = resolve(source.baseDir);
  const path = resolve(base, location);
  if (!isInside(base, path)) throw refuse(`the location "${location}" leads out of the model's folder; only files inside it are read`);
  const offset = byteField(entries.get('offset'), 0, refuse, 'offset');
  const length = byteField(entries.get('length'), byteLength, refuse, 'length');
  if (length !== byteLength) {
    throw refuse(
      `its length is ${length} bytes, but its shape [${shape.join(', ')}] of ${dtype} needs ${byteLength} bytes`,
      'the model is malformed; re-export it',
    );
  }

  const missing = () =>
    new EennError({
      code: 'E_FILE',
      file: source.file,
      message: `external data file "${location}" of tensor "${name}" cannot be read (looked for ${path})`,
      hint: SAVE_HINT,
    });
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw missing();
  }
  if (!isInside(realpathSync(base), real)) {
    throw refuse(`the location "${location}" is a symbolic link that leads out of the model's folder; only files inside it are read`);
  }
  const requireRegular = (stats: Stats) => {
    if (!stats.isFile()) {
      throw refuse(`"${location}" is not a regular file (a directory, device, pipe or socket); only regular files are read`);
    }
  };
  let fd: number;
  try {
    requireRegular(lstatSync(real));
    // O_NONBLOCK: should the file have been swapped for a named pipe since the check, opening it does not wait.
    fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (err) {
    throw err instanceof EennError ? err : missing();
  }
  try {
    const stats = fstatSync(fd);
    requireRegular(stats);
    if (offset + length > stats.size) {
      throw refuse(
        `the ${length} bytes at offset ${offset} go beyond the end of "${location}" (${stats.size} bytes)`,
        'the external data file is truncated or belongs to another model; copy it again with the model',
      );
    }
    const bytes = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const got = readSync(fd, bytes, done, length - done, offset + done);
      if (got === 0) throw refuse(`"${location}" ended after ${offset + done} bytes while being read`, 'copy the external data file again');
      done += got;
    }
    return bytes;
  } finally {
    closeSync(fd);
  }
}
