// The toolchain layer: build a generated C project with the target's compiler, run the image in QEMU (or
// natively for the host) and read back outputs, exits, instruction counts and stack use; check the toolchain.

export { buildFirmware, measureImage, compilerErrors, type BuildOptions, type FirmwareImage } from './build.js';
export { runFirmware, ticksToInstructions, FIRMWARE_FILES, type RunOptions, type FirmwareRun } from './run.js';
export { runDoctor, formatDoctorReport, type DoctorReport, type ToolCheck } from './doctor.js';
export { explainFirmwareExit, FIRMWARE_EXIT } from './exit-codes.js';
export { findProgram, requireProgram, installCommand, packageFor, PACKAGES } from './tools.js';
export { startRelay, type Relay, type RelayCounts, type RelayFaults, type RelayOptions } from './link-relay.js';
