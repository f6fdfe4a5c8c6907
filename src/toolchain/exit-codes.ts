// Exit status of the test firmware, mirroring templates/c/runtime/eenn_exit_codes.h (a test keeps the two
// equal), with what each one means for a person reading a failed run.

export const FIRMWARE_EXIT = {
  OK: 0,
  INPUT_FILE: 10,
  OUTPUT_FILE: 11,
  MODEL_LAYOUT: 12,
  MODEL_ERROR: 13,
  HARD_FAULT: 14,
  UNEXPECTED_IRQ: 15,
  ABORT: 16,
} as const;

export type FirmwareExitName = keyof typeof FIRMWARE_EXIT;

const EXPLANATIONS: Record<FirmwareExitName, { message: string; hint: string }> = {
  OK: { message: 'finished', hint: '' },
  INPUT_FILE: {
    message: 'the firmware could not read its input file',
    hint: 'the input must hold whole samples of every model input, back to back',
  },
  OUTPUT_FILE: {
    message: 'the firmware could not write its output files',
    hint: 'check that the working directory is writable and the disk is not full',
  },
  MODEL_LAYOUT: {
    message: 'model.c does not have the inputs and outputs main.c was generated for',
    hint: 'regenerate the whole project so that model.c and main.c come from the same build',
  },
  MODEL_ERROR: {
    message: 'eenn_run() returned an error',
    hint: "see the model code's error codes in model.h",
  },
  HARD_FAULT: {
    message: 'the firmware crashed (hard fault)',
    hint: 'the fault report above gives the faulting PC; look it up with arm-none-eabi-addr2line -f -e IMAGE.elf PC',
  },
  UNEXPECTED_IRQ: {
    message: 'the firmware took an exception that has no handler',
    hint: 'the message above names the exception number',
  },
  ABORT: {
    message: 'the firmware called abort() or exit() with an error',
    hint: 'a library call failed; build with -O0 -g and run it under gdb to see where',
  },
};

/** What a firmware exit status means, or undefined for a status the firmware never uses (an emulator error). */
export function explainFirmwareExit(status: number): { name: FirmwareExitName; message: string; hint: string } | undefined {
  for (const name of Object.keys(FIRMWARE_EXIT) as FirmwareExitName[]) {
    if (FIRMWARE_EXIT[name] === status) return { name, ...EXPLANATIONS[name] };
  }
  return undefined;
}
