/*
 * eenn_exit_codes.h - exit status of the eennc test firmware.
 *
 * The firmware's main() returns one of these; on Cortex-M the startup code passes it to the host through
 * semihosting (SYS_EXIT_EXTENDED), on the host it is the process exit status. src/toolchain/exit-codes.ts
 * mirrors this list to explain a failed run. Codes start at 10 so that they never collide with the emulator's
 * own failures (QEMU exits with 1 for a bad command line or an unknown semihosting exit reason).
 */
#ifndef EENN_EXIT_CODES_H
#define EENN_EXIT_CODES_H

#define EENN_EXIT_OK 0              /* every sample ran */
#define EENN_EXIT_INPUT_FILE 10     /* input.bin missing, unreadable or not a whole number of samples */
#define EENN_EXIT_OUTPUT_FILE 11    /* output.bin or stats.bin could not be written */
#define EENN_EXIT_MODEL_LAYOUT 12   /* model.h/model.c do not match the input/output sizes main.c was built for */
#define EENN_EXIT_MODEL_ERROR 13    /* eenn_run() returned a negative value */
#define EENN_EXIT_HARD_FAULT 14     /* the CPU took a HardFault (or an escalated MemManage/BusFault/UsageFault) */
#define EENN_EXIT_UNEXPECTED_IRQ 15 /* an exception or interrupt without a handler fired */
#define EENN_EXIT_ABORT 16          /* abort() or _exit() with a non-zero status from library code */

#endif /* EENN_EXIT_CODES_H */
