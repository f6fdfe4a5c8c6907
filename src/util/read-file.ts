// Reads a file that a user or a model names, as untrusted input: a regular file only (a named pipe would block for
// ever, a device never ends), opened without waiting, and no larger than the caller's limit.

import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { EennError } from '../ir/diagnostics.js';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many symbolic links',
  ENOTDIR: 'a part of the path is not a folder',
  ENAMETOOLONG: 'the path is too long',
};

/** The bytes of `path`, a `what` ("model", "data file") of at most `maxBytes`; E_FILE with a hint otherwise. */
export function readRegularFile(path: string, what: string, maxBytes: number): Buffer {
  return withRegularFile(path, what, maxBytes, (fd, size) => {
    const bytes = Buffer.alloc(size);
    let done = 0;
    while (done < bytes.length) {
      const got = readSync(fd, bytes, done, bytes.length - done, done);
      if (got === 0) break; // the file shrank while being read; what was read is checked by its parser
      done += got;
    }
    return bytes.subarray(0, done);
  });
}

/**
 * Throws what readRegularFile would for a file that cannot be read at all (missing, a folder, a device, too
 * large), without reading it: commands check their inputs this way before long work such as a firmware build.
 */
export function checkRegularFile(path: string, what: string, maxBytes: number): void {
  withRegularFile(path, what, maxBytes, () => undefined);
}

type Refuse = (why: string, hint?: string) => EennError;

/** Opens `path` without waiting, checks it is a regular file of at most `maxBytes`, and hands it to `use`. */
function withRegularFile<T>(path: string, what: string, maxBytes: number, use: (fd: number, size: number, refuse: Refuse) => T): T {
  const refuse: Refuse = (why, hint = `check that the path names the ${what} and that it can be read`) =>
    new EennError({ code: 'E_FILE', file: path, message: `cannot read the ${what}: ${why}`, hint });
  let fd: number;
  try {
    // O_NONBLOCK: opening a named pipe returns at once instead of waiting for a writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw refuse(REASONS[code] ?? (code || (err as Error).message));
  }
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) throw refuse('it is a folder');
    if (!stats.isFile()) throw refuse('it is not a regular file (a device, pipe or socket)');
    if (stats.size > maxBytes) {
      throw refuse(
        `it holds ${stats.size.toLocaleString('en-US')} bytes; eennc reads ${what}s of at most ${maxBytes.toLocaleString('en-US')}`,
        `a microcontroller ${what} is far smaller; check that this is the right file`,
      );
    }
    return use(fd, stats.size, refuse);
  } catch (err) {
    if (err instanceof EennError) throw err;
    throw refuse((err as NodeJS.ErrnoException).code ?? (err as Error).message);
  } finally {
    closeSync(fd);
  }
}
