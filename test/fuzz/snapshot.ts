// A folder tree as names, types, sizes and mtimes (symlinks not followed), and what changed between two of them:
// how a fuzz case sees files created, deleted or modified outside the folders it may write.

import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join, sep } from 'node:path';

/** Relative path → "type size mtime" (or the link's target for a symlink). */
export type Snapshot = Map<string, string>;

export function snapshot(root: string): Snapshot {
  const entries: Snapshot = new Map();
  const walk = (rel: string) => {
    let names: string[];
    try {
      names = readdirSync(join(root, rel));
    } catch {
      return; // removed while walking, or not a readable folder
    }
    for (const name of names) {
      const path = rel === '' ? name : join(rel, name);
      const full = join(root, path);
      let stat;
      try {
        stat = lstatSync(full);
      } catch {
        continue;
      }
      if (stat.isSymbolicLink()) entries.set(path, `link -> ${readlinkSync(full)}`);
      else if (stat.isDirectory()) {
        entries.set(path, 'dir');
        walk(path);
      } else {
        const type = stat.isFile() ? 'file' : stat.isFIFO() ? 'fifo' : 'special';
        entries.set(path, `${type} ${stat.size} B, mtime ${stat.mtimeMs}`);
      }
    }
  };
  walk('');
  return entries;
}

export interface TreeChanges {
  created: string[];
  deleted: string[];
  modified: string[];
}

/** What differs between `before` and `after`, for paths `include` accepts. */
export function changes(before: Snapshot, after: Snapshot, include: (path: string) => boolean): TreeChanges {
  const result: TreeChanges = { created: [], deleted: [], modified: [] };
  for (const [path, was] of before) {
    if (!include(path)) continue;
    const now = after.get(path);
    if (now === undefined) result.deleted.push(path);
    else if (now !== was) result.modified.push(path);
  }
  for (const path of after.keys()) if (include(path) && !before.has(path)) result.created.push(path);
  return result;
}

export function isEmpty(c: TreeChanges): boolean {
  return c.created.length + c.deleted.length + c.modified.length === 0;
}

/** "created a, b; deleted c" with at most `limit` paths per kind, deepest detail cut off. */
export function describeChanges(c: TreeChanges, limit = 6): string {
  const part = (kind: string, paths: string[]) => {
    if (paths.length === 0) return [];
    const top = topLevel(paths);
    const shown = top.slice(0, limit).join(', ');
    return [`${kind} ${shown}${top.length > limit ? ` and ${top.length - limit} more` : ''}`];
  };
  return [...part('created', c.created), ...part('deleted', c.deleted), ...part('modified', c.modified)].join('; ');
}

/** Paths with those inside an already listed folder dropped (a deleted folder, not each of its files). */
function topLevel(paths: string[]): string[] {
  const sorted = [...paths].sort();
  const kept: string[] = [];
  for (const p of sorted) if (!kept.some((k) => p.startsWith(k + sep))) kept.push(p);
  return kept;
}

/** True when `path` is `prefix` or inside it. */
export function isUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix + sep);
}
