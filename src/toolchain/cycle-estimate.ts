// Estimates the cycles of one inference of a built firmware: runs it once more in QEMU with the debug log of
// src/target/qemu-trace.ts, reads the instructions eenn_run() executed and costs them with the core's cycle model
// (src/target/cycle-model.ts). For the benchmarks; a target without a cycle model gets none.

import { join } from 'node:path';
import { cycleModelFor, estimateCycles, type CycleEstimate } from '../target/cycle-model.js';
import { callWindow, disassemble, executedInstructions, readExecutedBlocksFile, traceArguments } from '../target/qemu-trace.js';
import type { Target } from '../target/target.js';
import { makeTempDir, removeTempDir } from '../util/temp-dirs.js';
import { runFirmware } from './run.js';

/** The function whose first call the estimate covers. */
const INFERENCE_FUNCTION = 'eenn_run';

/**
 * The cycle estimate of one inference of `elf` on the sample `inputBytes` (every model input of one sample, as
 * runFirmware takes them), or undefined where the target's core has no cycle model or no emulator.
 */
export async function estimateInferenceCycles(
  elf: string,
  target: Target,
  inputBytes: Uint8Array,
  options: { timeoutMs?: number } = {},
): Promise<CycleEstimate | undefined> {
  const model = cycleModelFor(target);
  if (!model || !target.emulator) return undefined;
  const disassembly = await disassemble(elf, target);
  const dir = await makeTempDir('eennc-trace-');
  try {
    const log = join(dir, 'qemu.log');
    await runFirmware(elf, target, inputBytes, { samples: 1, emulatorArgs: traceArguments(log), timeoutMs: options.timeoutMs ?? 300_000 });
    const blocks = await readExecutedBlocksFile(log, callWindow(disassembly, INFERENCE_FUNCTION));
    return estimateCycles(model, executedInstructions(blocks, disassembly));
  } finally {
    await removeTempDir(dir);
  }
}
