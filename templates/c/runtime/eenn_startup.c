/*
 * eenn_startup.c - reset and fault handling for the eennc firmware on any Cortex-M (Armv6-M, v7-M, v8-M).
 *
 * The vector table, Reset_Handler (enable the FPU/MVE when the build uses them, set the stack limit on Armv8-M
 * Mainline, run the board's start-up, copy .data, clear .bss, paint the stack, call main, exit with its status) and
 * fault handlers that report the faulting PC and end the program through semihosting, so a crash never hangs the
 * emulator. No newlib crt0: the firmware runs on these few lines and eenn_platform_cortexm.c. A board's runtime
 * replaces the weak eenn_board_init, eenn_console_write and HardFault_Handler defined here (eenn_cortexm.h).
 */
#include <stdint.h>
#include <string.h>

#include "eenn_cortexm.h"
#include "eenn_exit_codes.h"
#include "eenn_semihosting.h"

int main(void);
void Reset_Handler(void) __attribute__((noreturn));
void _exit(int status) __attribute__((noreturn));

/* ---------------------------------------------------------------- exceptions without a handler */

/** Any exception or interrupt nobody asked for: say which one and stop. */
void Default_Handler(void);
void Default_Handler(void)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr"
                     : "=r"(ipsr));
    char text[] = "eenn: unexpected exception 000";
    const uint32_t number = ipsr & 0x1FFu;
    text[sizeof text - 4] = (char)('0' + number / 100u);
    text[sizeof text - 3] = (char)('0' + (number / 10u) % 10u);
    text[sizeof text - 2] = (char)('0' + number % 10u);
    eenn_console_write(text);
    eenn_console_write("\n");
    eenn_semihosting_exit(EENN_EXIT_UNEXPECTED_IRQ);
}

void NMI_Handler(void) __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler(void) __attribute__((weak, alias("Default_Handler")));
void BusFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void UsageFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SecureFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SVC_Handler(void) __attribute__((weak, alias("Default_Handler")));
void DebugMon_Handler(void) __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SysTick_Handler(void) __attribute__((weak, alias("Default_Handler")));
void HardFault_Handler(void) __attribute__((weak, naked, noreturn));

/* ---------------------------------------------------------------- vector table */

typedef void (*eenn_vector_t)(void);

/* The 16 system exception vectors; the firmware enables no peripheral interrupt, so no IRQ entries follow.
   Slot 0 is the initial stack pointer. Reserved slots are 0. */
__attribute__((section(".vectors"), used)) static const eenn_vector_t eenn_vector_table[16] = {
    (eenn_vector_t)(uintptr_t)__stack_top,
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    SecureFault_Handler, /* Armv8-M Mainline; reserved before */
    0,
    0,
    0,
    SVC_Handler,
    DebugMon_Handler,
    0,
    PendSV_Handler,
    SysTick_Handler,
};

/* ---------------------------------------------------------------- reset */

__attribute__((weak)) void eenn_board_init(void)
{
}

__attribute__((weak)) void eenn_console_write(const char *text)
{
    eenn_semihosting_write0(text);
}

void Reset_Handler(void)
{
#if EENN_HAS_FPU || EENN_HAS_MVE
    /* The build uses the FPU (and MVE, which shares its enable bits): grant CP10/CP11 full access before any
       floating-point or vector instruction, then let the change take effect. */
    EENN_SCB_CPACR |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::
                         : "memory");
#endif
#if EENN_ARMV8M_MAINLINE
    /* Armv8-M Mainline checks the main stack against MSPLIM: an overflow faults instead of corrupting data. */
    __asm__ volatile("msr msplim, %0"
                     :
                     : "r"(__stack_limit));
#endif
    eenn_board_init();

    memcpy(__data_start, __data_load, (size_t)((uintptr_t)__data_end - (uintptr_t)__data_start));
    memset(__bss_start, 0, (size_t)((uintptr_t)__bss_end - (uintptr_t)__bss_start));

    /* Paint the unused stack below this frame for eenn_stack_used_bytes(). A volatile pointer keeps the compiler
       from turning the loop into a memset call, whose own frame would lie in the area being painted. */
    uint32_t stack_pointer;
    __asm__ volatile("mov %0, sp"
                     : "=r"(stack_pointer));
    for (volatile uint32_t *word = __stack_limit; (uintptr_t)word < stack_pointer - 8u; word++) {
        *word = EENN_STACK_PAINT;
    }

    eenn_semihosting_exit(main());
}

/** Where library code ends the program (exit, abort): any failure becomes EENN_EXIT_ABORT. */
void _exit(int status)
{
    eenn_semihosting_exit(status == 0 ? EENN_EXIT_OK : EENN_EXIT_ABORT);
}

/* ---------------------------------------------------------------- faults */

/** Copy `text` to `out` and return the position after it. */
static char *put_text(char *out, const char *text)
{
    while (*text != '\0') {
        *out++ = *text++;
    }
    return out;
}

/** Write `value` as 8 hex digits at `out` and return the position after them. */
static char *put_hex(char *out, uint32_t value)
{
    for (int shift = 28; shift >= 0; shift -= 4) {
        const uint32_t nibble = (value >> shift) & 0xFu;
        *out++ = (char)(nibble < 10u ? '0' + nibble : 'a' + (nibble - 10u));
    }
    return out;
}

/**
 * Report a fault and stop. `frame` is the stack pointer at the time of the fault (the hardware pushed
 * r0-r3, r12, lr, pc, xpsr there); it is only read when it lies inside the stack.
 */
__attribute__((used)) void eenn_fault_report(const uint32_t *frame)
{
    char text[80];
    char *end = put_text(text, "eenn: hard fault");
    if (frame >= __stack_limit && frame + 8 <= __stack_top) {
        end = put_hex(put_text(end, " pc=0x"), frame[6]);
        end = put_hex(put_text(end, " lr=0x"), frame[5]);
    }
#if EENN_HAS_FAULT_STATUS
    end = put_hex(put_text(end, " cfsr=0x"), EENN_SCB_CFSR);
#endif
    *put_text(end, "\n") = '\0';
    eenn_console_write(text);
    eenn_semihosting_exit(EENN_EXIT_HARD_FAULT);
}

/* The stack may be what failed (an overflow): take the faulting SP, move SP back to the top of the stack, and
   report from there. Written in Armv6-M Thumb so that every core runs it. */
void HardFault_Handler(void)
{
    __asm__ volatile(
        "mrs r0, msp\n\t"
        "ldr r1, =__stack_top\n\t"
        "mov sp, r1\n\t"
        "bl eenn_fault_report\n\t"
        ".ltorg\n\t");
}
