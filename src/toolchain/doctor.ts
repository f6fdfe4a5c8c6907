// `eennc doctor`: checks every external piece eennc relies on (cross compiler, newlib, QEMU and its boards,
// host gcc, make, test data) and says exactly which Debian packages to install for what is missing.

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { loadAllTargets, type Target } from '../target/target.js';
import { findProgram, installCommand, PACKAGES } from './tools.js';
import { makeTempDir, removeTempDir } from '../util/temp-dirs.js';

export interface ToolCheck {
  name: string;
  ok: boolean;
  /** Required to build and run firmware; optional ones are only needed for tests and examples. */
  required: boolean;
  /** Version or location when ok, what is wrong otherwise. */
  detail: string;
  /** Debian package that provides it. */
  package: string;
  purpose: string;
}

export interface DoctorReport {
  /** Every required check passed. */
  ok: boolean;
  checks: ToolCheck[];
  /** Packages to install for the failed checks, required and optional. */
  missing_packages: string[];
  /** `sudo apt-get install -y ...` for missing_packages, or null when nothing is missing. */
  install_command: string | null;
}

/** A check that takes longer than this has hung (each is a --version, a machine list or a one-line link). */
const CHECK_LIMIT_MS = 120_000;

/** The test data packages and where they install. */
const TEST_DATA = [
  { name: 'ONNX backend test data', path: '/usr/share/libonnx-testdata/data', package: PACKAGES.onnxTestData, purpose: 'operator conformance tests' },
  { name: 'Fashion-MNIST', path: '/usr/share/datasets/fashion-mnist', package: PACKAGES.fashionMnist, purpose: 'examples and end-to-end tests' },
];

/** Run every check (in parallel) and say what to install. */
export async function runDoctor(): Promise<DoctorReport> {
  const targets = loadAllTargets();
  const embedded = targets.find((target) => target.kind === 'emulator');
  const checks = await Promise.all([
    checkProgram('arm-none-eabi-gcc', PACKAGES.armGcc, 'compile firmware for Cortex-M'),
    embedded ? checkNewlib(embedded) : Promise.resolve(undefined),
    checkQemu(targets),
    checkProgram('gcc', PACKAGES.hostGcc, 'build the host target and the C reference tests'),
    checkProgram('make', PACKAGES.make, 'build generated projects'),
    ...TEST_DATA.map((data) => Promise.resolve(checkPath(data.name, data.path, data.package, data.purpose))),
  ]);
  const done = checks.filter((check): check is ToolCheck => check !== undefined);
  const missing = [...new Set(done.filter((check) => !check.ok).map((check) => check.package))];
  return {
    ok: done.every((check) => check.ok || !check.required),
    checks: done,
    missing_packages: missing,
    install_command: missing.length > 0 ? installCommand(missing) : null,
  };
}

/** The report for people: one line per check, then the install line. */
export function formatDoctorReport(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((check) => check.name.length));
  const lines = report.checks.map((check) => {
    const mark = check.ok ? 'ok     ' : check.required ? 'MISSING' : 'missing';
    return `${mark}  ${check.name.padEnd(width)}  ${check.detail}${check.ok ? '' : ` (package ${check.package}, needed to ${check.purpose})`}`;
  });
  if (report.install_command) {
    lines.push('', `install what is missing with:`, `  ${report.install_command}`, `or run: npm run setup`);
  } else {
    lines.push('', 'everything eennc needs is installed');
  }
  return lines.join('\n');
}

async function checkProgram(program: string, pkg: string, purpose: string): Promise<ToolCheck> {
  const base = { name: program, required: true, package: pkg, purpose };
  const path = findProgram(program);
  if (!path) return { ...base, ok: false, detail: 'not found on the PATH' };
  const version = await firstLine(path, ['--version']);
  return { ...base, ok: true, detail: version ?? path };
}

/** newlib is there when a one-line program links for a Cortex-M target with newlib-nano. */
async function checkNewlib(target: Target): Promise<ToolCheck> {
  const base = { name: 'newlib (arm-none-eabi)', required: true, package: PACKAGES.newlib, purpose: 'link firmware (memcpy, libm)' };
  const cc = findProgram(target.compiler.cc);
  if (!cc) return { ...base, ok: false, detail: `cannot check without ${target.compiler.cc}` };
  const dir = await makeTempDir('eennc-doctor-');
  try {
    await writeFile(join(dir, 'probe.c'), '#include <string.h>\n#include <math.h>\nint main(void) { return (int)strlen("x") + (int)sqrtf(4.0f); }\n');
    const result = await execa(cc, [...target.compiler.flags, '--specs=nano.specs', '--specs=nosys.specs', 'probe.c', '-lm', '-o', 'probe.elf'], {
      timeout: CHECK_LIMIT_MS,
      cwd: dir,
      reject: false,
      all: true,
    });
    if (result.exitCode === 0) return { ...base, ok: true, detail: `links for ${target.name} with newlib-nano` };
    const reason = (result.all ?? '').split('\n').find((line) => /cannot find|No such file|error/.test(line)) ?? 'link failed';
    return { ...base, ok: false, detail: reason.trim() };
  } finally {
    await removeTempDir(dir);
  }
}

/** QEMU is there and knows every machine the targets use. */
async function checkQemu(targets: Target[]): Promise<ToolCheck> {
  const programs = [...new Set(targets.flatMap((target) => (target.emulator ? [target.emulator.program] : [])))];
  const program = programs[0] ?? 'qemu-system-arm';
  const base = { name: program, required: true, package: PACKAGES.qemu, purpose: 'run firmware and count instructions' };
  const path = findProgram(program);
  if (!path) return { ...base, ok: false, detail: 'not found on the PATH' };
  const version = (await firstLine(path, ['--version'])) ?? path;
  const machines = await execa(path, ['-machine', 'help'], { reject: false, timeout: CHECK_LIMIT_MS });
  const needed = [...new Set(targets.flatMap((target) => (target.emulator ? [target.emulator.machine] : [])))];
  const known = new Set((machines.stdout ?? '').split('\n').map((line) => line.trim().split(/\s+/)[0]));
  const absent = needed.filter((machine) => !known.has(machine));
  if (absent.length > 0) return { ...base, ok: false, detail: `${version}: no machine ${absent.join(', ')} (QEMU 7.2 or newer has them)` };
  return { ...base, ok: true, detail: `${version}; machines ${needed.join(', ')}` };
}

function checkPath(name: string, path: string, pkg: string, purpose: string): ToolCheck {
  const ok = existsSync(path);
  return { name, ok, required: false, detail: ok ? path : `${path} not found`, package: pkg, purpose };
}

async function firstLine(program: string, args: string[]): Promise<string | undefined> {
  const result = await execa(program, args, { reject: false, timeout: CHECK_LIMIT_MS });
  return result.exitCode === 0 ? (result.stdout ?? '').split('\n')[0]?.trim() || undefined : undefined;
}
