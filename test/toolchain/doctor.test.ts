// `eennc doctor` (src/toolchain/doctor.ts) and `eennc targets`: what they report with the toolchain present and
// with it missing, and that --json prints one document.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { formatDoctorReport, runDoctor } from '../../src/toolchain/doctor.js';

/** Run the CLI and return its exit code and what it wrote to stdout. */
async function runCli(...args: string[]): Promise<{ code: number; stdout: string }> {
  const chunks: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    const code = await main(['node', 'eennc', ...args]);
    return { code, stdout: chunks.join('') };
  } finally {
    write.mockRestore();
    process.exitCode = undefined;
  }
}

describe('doctor', () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });

  it('finds the whole toolchain installed here', async () => {
    const report = await runDoctor();
    expect(report.checks.map((check) => check.name)).toEqual([
      'arm-none-eabi-gcc',
      'newlib (arm-none-eabi)',
      'qemu-system-arm',
      'gcc',
      'make',
      'ONNX backend test data',
      'Fashion-MNIST',
    ]);
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.install_command).toBeNull();
    expect(report.checks.find((check) => check.name === 'qemu-system-arm')?.detail).toMatch(/mps3-an547/);
  });

  it('names the packages to install when the tools are not on the PATH', async () => {
    process.env.PATH = '/nonexistent-eennc-path';
    const report = await runDoctor();
    expect(report.ok).toBe(false);
    expect(report.missing_packages).toEqual(
      expect.arrayContaining(['gcc-arm-none-eabi', 'libnewlib-arm-none-eabi', 'qemu-system-arm', 'gcc', 'make']),
    );
    expect(report.install_command).toMatch(/^sudo apt-get install -y gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm gcc make/);
    expect(formatDoctorReport(report)).toMatch(/MISSING\s+arm-none-eabi-gcc\s+not found on the PATH \(package gcc-arm-none-eabi/);
  });

  it('prints a JSON report with --json and exits 0 when all is there', async () => {
    const { code, stdout } = await runCli('doctor', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout).ok).toBe(true);
  });
});

describe('targets command', () => {
  it('lists every target as JSON with its limits and QEMU machine', async () => {
    const { code, stdout } = await runCli('targets', '--json');
    expect(code).toBe(0);
    const listed = JSON.parse(stdout) as { name: string; default: boolean; flash_bytes: number | null; machine: string | null }[];
    expect(listed.map((target) => target.name)).toContain('cortex-m55');
    expect(listed.find((target) => target.default)?.name).toBe('cortex-m4');
    expect(listed.find((target) => target.name === 'cortex-m0plus')).toMatchObject({ flash_bytes: 256 * 1024, machine: 'mps2-an385' });
    expect(listed.find((target) => target.name === 'host')).toMatchObject({ flash_bytes: null, machine: null });
  });

  it('prints a table for people', async () => {
    const { stdout } = await runCli('targets');
    expect(stdout).toMatch(/^TARGET\s+CPU\s+FEATURES\s+FLASH\s+RAM\s+RUNS ON$/m);
    expect(stdout).toMatch(/^cortex-m4 \(default\)\s+cortex-m4 \(armv7e-m\)\s+dsp,fpu\s+1 MiB\s+256 KiB\s+QEMU mps2-an386$/m);
  });
});
