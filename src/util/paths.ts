// Whether one path lies inside a folder: the one test behind "only files inside the model's folder are read",
// "a linker script beside its target file" and "never replace a folder holding the model". Callers resolve links
// (realpath) first where a link could lead out.

import { isAbsolute, relative, sep } from 'node:path';

/** `path` lies strictly inside `folder` (not the folder itself). */
export function isInside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** `path` is `folder` or lies inside it. */
export function isSameOrInside(folder: string, path: string): boolean {
  return relative(folder, path) === '' || isInside(folder, path);
}
