/*
 * eenn_semihosting_guard.c - a board's firmware keeps working without a debugger. A semihosting call is a BKPT 0xAB
 * that the debugger (or QEMU) answers; on a chip with no debugger attached the BKPT escalates to a HardFault with
 * HFSR.DEBUGEVT set (Armv7-M ARM, C1.4; QEMU without semihosting sets HFSR.FORCED instead), no configurable fault
 * recorded, and the core would stop there. This HardFault handler replaces
 * eenn_startup.c's: it answers such a call itself, as a failure (r0 = -1: a file that cannot be opened, read or
 * written; an exit that returns and parks the core), and reports any other fault as eenn_startup.c does.
 * Armv7-M and v8-M Mainline only: Armv6-M has no HFSR, and its boards keep the default handler.
 */
#include <stdint.h>

#include "eenn_cortexm.h"
#include "eenn_isa.h"

#if EENN_ARM_MAINLINE

/* HardFault status: DEBUGEVT (bit 31) says a debug event (here a BKPT) escalated, FORCED (bit 30) that another
   exception did; write 1 to clear them. Configurable fault status (CFSR): 0 when no memory, bus or usage fault was
   recorded, so the frame was pushed and its PC fetched without one. Addresses and bits without a C suffix, so that
   the handler's assembly reads them too. */
#define HFSR_ADDRESS 0xE000ED2C
#define HFSR_ESCALATED 0xC0000000 /* DEBUGEVT | FORCED */
#define CFSR_ADDRESS 0xE000ED28
#define EENN_SCB_HFSR (*(volatile uint32_t *)HFSR_ADDRESS)

/* A macro's value as a string, for assembly text. */
#define EENN_STRING(x) #x
#define EENN_VALUE_STRING(x) EENN_STRING(x)

/* The Thumb encoding of BKPT 0xAB, the semihosting call. */
#define EENN_SEMIHOSTING_BKPT 0xBEABu
/* What the skipped call returns in r0: every semihosting call the firmware makes reads it as a failure. */
#define EENN_SEMIHOSTING_NO_HOST 0xFFFFFFFFu
/* Bytes of the BKPT instruction: the return address moves past it. */
#define EENN_BKPT_BYTES 2u
/* Word offsets in the exception frame the core pushed: r0, r1, r2, r3, r12, lr, pc, xpsr. */
#define FRAME_R0 0
#define FRAME_PC 6

/**
 * Called with the frame of an escalated exception that recorded no fault: a semihosting BKPT returns -1 to its
 * caller, anything else is reported as a fault. Returns through EXC_RETURN, which the naked handler left in lr.
 */
void eenn_semihosting_guard(uint32_t *frame) __attribute__((used));
void eenn_semihosting_guard(uint32_t *frame)
{
    const uint16_t *instruction = (const uint16_t *)(uintptr_t)frame[FRAME_PC];
    if (*instruction != EENN_SEMIHOSTING_BKPT) {
        eenn_fault_report(frame);
    }
    EENN_SCB_HFSR = HFSR_ESCALATED;
    frame[FRAME_R0] = EENN_SEMIHOSTING_NO_HOST;
    frame[FRAME_PC] += EENN_BKPT_BYTES;
}

/* An escalated exception with no fault recorded pushed its frame on a good stack: hand it to eenn_semihosting_guard,
   which returns from the exception. Any other fault may come from the stack itself (an overflow): move SP back to
   the top of the stack and report from there, as eenn_startup.c's handler does. */
void HardFault_Handler(void) __attribute__((naked));
void HardFault_Handler(void)
{
    /* clang-format off */
    __asm__ volatile(
        "mrs r0, msp\n\t"
        "ldr r1, =" EENN_VALUE_STRING(HFSR_ADDRESS) "\n\t"
        "ldr r1, [r1]\n\t"
        "tst r1, #" EENN_VALUE_STRING(HFSR_ESCALATED) "\n\t"
        "beq 1f\n\t"
        "ldr r1, =" EENN_VALUE_STRING(CFSR_ADDRESS) "\n\t"
        "ldr r1, [r1]\n\t"
        "cmp r1, #0\n\t"
        "bne 1f\n\t"
        "b eenn_semihosting_guard\n\t"
        "1:\n\t"
        "ldr r1, =__stack_top\n\t"
        "mov sp, r1\n\t"
        "bl eenn_fault_report\n\t"
        ".ltorg\n\t");
    /* clang-format on */
}

#endif /* EENN_ARM_MAINLINE */
