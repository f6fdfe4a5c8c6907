/*
 * eenn_semihosting.h - the few Arm semihosting calls the test firmware needs.
 *
 * Semihosting lets code on the target ask the debugger or emulator for host services: files, console, exit.
 * A call is `BKPT 0xAB` on M-profile, the operation number in r0 and a pointer to a parameter block in r1; the
 * result comes back in r0 ("Semihosting for AArch32 and AArch64", Arm, release 2.0 and later).
 *
 * Why our own calls rather than newlib's rdimon (--specs=rdimon.specs, fopen/fread/fwrite): the firmware needs
 * open/read/write/close/length/exit, which are a few lines each; rdimon pulls in newlib stdio, malloc and its
 * exit path (which locked up on mps3-an547 under QEMU 7.2), costing several KiB of flash and RAM that would
 * be counted as if the model needed them. The same calls work on a real board with a debug probe that
 * implements semihosting (pyOCD, OpenOCD).
 */
#ifndef EENN_SEMIHOSTING_H
#define EENN_SEMIHOSTING_H

#include <stdint.h>

/* Operation numbers (semihosting spec, chapter 6). */
#define EENN_SYS_OPEN 0x01u
#define EENN_SYS_CLOSE 0x02u
#define EENN_SYS_WRITE0 0x04u
#define EENN_SYS_WRITE 0x05u
#define EENN_SYS_READ 0x06u
#define EENN_SYS_FLEN 0x0Cu
#define EENN_SYS_EXIT_EXTENDED 0x20u

/* SYS_OPEN modes (ISO C fopen modes in the order the spec lists them). */
#define EENN_OPEN_READ_BINARY 1u  /* "rb" */
#define EENN_OPEN_WRITE_BINARY 5u /* "wb" */

/* Exit reason for a normal end of the application (ADP_Stopped_ApplicationExit). */
#define EENN_ADP_STOPPED_APPLICATION_EXIT 0x20026u

/**
 * Issue one semihosting call.
 * @param operation  EENN_SYS_* number.
 * @param parameter  pointer to the call's parameter block (or to a string for SYS_WRITE0).
 * @return the host's result in r0; its meaning depends on the operation.
 */
static inline int32_t eenn_semihosting_call(uint32_t operation, const void *parameter)
{
    register uint32_t r0 __asm__("r0") = operation;
    register const void *r1 __asm__("r1") = parameter;
    __asm__ volatile("bkpt 0xAB"
                     : "+r"(r0)
                     : "r"(r1)
                     : "memory");
    return (int32_t)r0;
}

/**
 * End the program and hand `status` to the host as the emulator's exit status.
 * SYS_EXIT_EXTENDED takes a two-word block {reason, subcode}; with reason ADP_Stopped_ApplicationExit QEMU exits
 * with the subcode. (The plain 32-bit SYS_EXIT can only say "success" or "failure".)
 */
static inline void eenn_semihosting_exit(int32_t status) __attribute__((noreturn));
static inline void eenn_semihosting_exit(int32_t status)
{
    const uint32_t block[2] = { EENN_ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status };
    (void)eenn_semihosting_call(EENN_SYS_EXIT_EXTENDED, block);
    for (;;) {
        /* Only reached when no host answers the call; a debugger sees the core parked here. */
    }
}

/** Write a NUL-terminated string to the host console. */
static inline void eenn_semihosting_write0(const char *text)
{
    (void)eenn_semihosting_call(EENN_SYS_WRITE0, text);
}

#endif /* EENN_SEMIHOSTING_H */
