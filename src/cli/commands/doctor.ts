// `eennc doctor`: checks the toolchain (arm-none-eabi-gcc, newlib, QEMU, gcc, make, test data) and prints the
// apt line that installs what is missing. Exits 1 when something required is missing.

import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('doctor')
    .description('check the toolchain and say how to install what is missing')
    .option('--json', 'print one JSON document on stdout')
    .action(async (options: { json?: boolean }) => {
      const { formatDoctorReport, runDoctor } = await import('../../toolchain/doctor.js');
      const report = await runDoctor();
      process.stdout.write(options.json ? JSON.stringify(report, null, 2) + '\n' : formatDoctorReport(report) + '\n');
      if (!report.ok) process.exitCode = 1;
    });
}
