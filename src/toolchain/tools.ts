// Finding the external programs eennc drives (gcc, size, make, QEMU) and saying which Debian package brings
// each one. Build, run and doctor all go through here, so a missing tool reads the same everywhere.

import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { EennError } from '../ir/diagnostics.js';

/** Debian packages eennc needs, by what they provide. */
export const PACKAGES = {
  armGcc: 'gcc-arm-none-eabi',
  newlib: 'libnewlib-arm-none-eabi',
  qemu: 'qemu-system-arm',
  hostGcc: 'gcc',
  make: 'make',
  binutils: 'binutils',
  onnxTestData: 'libonnx-testdata',
  fashionMnist: 'dataset-fashion-mnist',
} as const;

/** The Debian package that installs `program`, when we know it. */
export function packageFor(program: string): string | undefined {
  if (program.startsWith('arm-none-eabi-')) return PACKAGES.armGcc;
  if (program.startsWith('qemu-system-')) return PACKAGES.qemu;
  if (program === 'gcc' || program === 'cc') return PACKAGES.hostGcc;
  if (program === 'make') return PACKAGES.make;
  if (program === 'size' || program === 'objcopy' || program === 'addr2line') return PACKAGES.binutils;
  return undefined;
}

/** The apt command that installs `packages`. */
export function installCommand(packages: string[]): string {
  return `sudo apt-get install -y ${packages.join(' ')}`;
}

/**
 * Absolute path of `program` on the PATH, or undefined. Only a plain name is looked up (target files may not
 * name a path: src/target/arguments.ts); a name with a slash is never found.
 */
export function findProgram(program: string): string | undefined {
  if (program === '' || program.includes('/') || program.includes('\\')) return undefined;
  const candidates = (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, program));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  return undefined;
}

/**
 * Path of `program`, or E_TOOLCHAIN saying how to install it. `purpose` completes "needed to ...".
 */
export function requireProgram(program: string, purpose: string): string {
  const found = findProgram(program);
  if (found) return found;
  const pkg = packageFor(program);
  throw new EennError({
    code: 'E_TOOLCHAIN',
    message: `${program} not found on the PATH (needed to ${purpose})`,
    hint: pkg
      ? `install it with: ${installCommand([pkg])}; \`eennc doctor\` checks the whole toolchain`
      : 'run `eennc doctor` to check the toolchain',
  });
}
