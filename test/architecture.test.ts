// The layering of src/ (CONTRIBUTING.md, "The architecture in one page"): which folder may import which. A stage
// that reaches past its neighbours makes the pipeline harder to read and to change, so a new import across the
// layers fails here first.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Folders of src/ and what each may import besides itself. Files directly in src/ and src/cli may import anything. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  ir: [],
  util: ['ir'],
  data: ['ir', 'util'],
  ops: ['ir'],
  frontend: ['ir', 'ops', 'util', 'data'],
  quantize: ['ir', 'ops', 'util'],
  exits: ['ir', 'ops', 'util'],
  target: ['ir', 'util'],
  kernels: ['ir', 'ops'],
  schedule: ['ir', 'ops', 'kernels', 'target'],
  intermittent: ['ir', 'ops', 'util', 'kernels', 'schedule', 'target'],
  codegen: ['ir', 'ops', 'kernels', 'schedule', 'target', 'intermittent', 'devices'],
  toolchain: ['ir', 'util', 'target'],
  report: ['ir'],
  devices: ['ir', 'ops', 'schedule', 'target', 'util', 'exits', 'quantize', 'report'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|mjs)$/.test(name) ? [path] : [];
  });
}

/** The src/ folder (or '' for a file directly in src/) a path lies in. */
function layerOf(path: string): string {
  const parts = relative(SRC, path).split(/[\\/]/);
  return parts.length > 1 ? parts[0]! : '';
}

/** Every relative module a file imports (static imports, re-exports and dynamic imports). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) found.push(m[1]!);
  return found.map((spec) => resolve(dirname(file), spec));
}

describe('the layering of src/', () => {
  it('each folder imports only the folders below it', () => {
    const breaches: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const from = layerOf(file);
      const allowed = MAY_IMPORT[from];
      if (allowed === undefined) continue; // src/*.ts and src/cli: the top of the pipeline
      for (const target of importsOf(file)) {
        if (!target.startsWith(SRC)) continue;
        const to = layerOf(target);
        if (to !== from && !allowed.includes(to))
          breaches.push(`${relative(SRC, file)} imports ${relative(SRC, target)} (${from} may import ${allowed.join(', ') || 'nothing'})`);
      }
    }
    expect(breaches).toEqual([]);
  });

  it('every folder of src/ has a place in the table', () => {
    const folders = readdirSync(SRC).filter((name) => statSync(join(SRC, name)).isDirectory());
    expect(folders.filter((f) => f !== 'cli' && !(f in MAY_IMPORT))).toEqual([]);
  });
});
