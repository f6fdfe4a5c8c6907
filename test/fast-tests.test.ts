// What npm run test:fast leaves out (vitest.fast.config.ts, SLOW_TESTS) is every test file that builds or runs
// firmware, compiles C or starts another program: a new test file of that kind that is not listed fails here, and
// so does a listed file that no longer exists.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SLOW_TESTS } from '../vitest.fast.config.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** What a slow test imports, itself or through a helper of test/: the firmware build and run, the C test harnesses, other programs. */
const SLOW_IMPORTS: readonly RegExp[] = [
  /\/src\/(run-graph|toolchain\/(index|build|run|doctor))\.js$/,
  /\/test\/(codegen\/(host-run|int8-run|backend-qemu-helpers)|ops\/unary-end-to-end|cli\/cli-helpers|fuzz\/(run-cli|sandbox))\.js$/,
  /^(node:)?child_process$/,
  /^execa$/,
];

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return testFiles(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

/** The modules `file` imports: absolute paths (as .js) for relative imports, the specifier itself for packages. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map(([, spec]) => (spec!.startsWith('.') ? resolve(dirname(file), spec!) : spec!));
}

/** The slow imports of `file` and of the helpers of test/ it imports, each as "helper: import". */
function slowImports(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  return importsOf(file).flatMap((spec) => {
    const found = SLOW_IMPORTS.some((pattern) => pattern.test(spec))
      ? [`${relative(ROOT, file)}: ${spec.startsWith('/') ? relative(ROOT, spec) : spec}`]
      : [];
    const helper = spec.replace(/\.js$/, '.ts');
    const inTests = helper.startsWith(join(ROOT, 'test') + '/') && existsSync(helper);
    return inTests ? [...found, ...slowImports(helper, seen)] : found;
  });
}

describe('npm run test:fast', () => {
  const slow = new Set(SLOW_TESTS);
  const files = testFiles(join(ROOT, 'test')).map((path) => relative(ROOT, path));

  it('leaves out every test file that builds, compiles or starts a program', () => {
    const unlisted = files.filter((file) => !slow.has(file)).flatMap((file) => slowImports(join(ROOT, file)));
    expect(unlisted).toEqual([]);
  });

  it('lists only test files that exist', () => {
    expect(SLOW_TESTS.filter((file) => !files.includes(file))).toEqual([]);
  });

  it('finds what it looks for: the firmware build test imports the toolchain', () => {
    expect(slowImports(join(ROOT, 'test/toolchain/build-run.test.ts'))).toContain('test/toolchain/build-run.test.ts: src/toolchain/build.js');
  });
});
