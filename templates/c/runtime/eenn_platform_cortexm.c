/*
 * eenn_platform_cortexm.c - eenn_platform.h for Cortex-M: files through semihosting, ticks from SysTick,
 * stack use from the pattern painted by eenn_startup.c.
 */
#include "eenn_platform.h"

#include <stddef.h>

#include "eenn_cortexm.h"
#include "eenn_semihosting.h"

/* ---------------------------------------------------------------- files (semihosting) */

static eenn_file_t open_with_mode(const char *path, uint32_t mode)
{
    uint32_t length = 0;
    while (path[length] != '\0') {
        length++;
        /* Empty and opaque: keeps gcc from calling strlen (a few hundred bytes of newlib for one short name). */
        __asm__(""
                : "+r"(length));
    }
    /* SYS_OPEN block: {name, mode, length of name without the NUL}. */
    const uint32_t block[3] = { (uint32_t)(uintptr_t)path, mode, length };
    return eenn_semihosting_call(EENN_SYS_OPEN, block);
}

eenn_file_t eenn_file_open_read(const char *path)
{
    return open_with_mode(path, EENN_OPEN_READ_BINARY);
}

eenn_file_t eenn_file_open_write(const char *path)
{
    return open_with_mode(path, EENN_OPEN_WRITE_BINARY);
}

int32_t eenn_file_length(eenn_file_t file)
{
    const uint32_t block[1] = { (uint32_t)file };
    return eenn_semihosting_call(EENN_SYS_FLEN, block);
}

int32_t eenn_file_read(eenn_file_t file, void *buffer, uint32_t bytes)
{
    /* SYS_READ returns the number of bytes NOT read: 0 means all of them. */
    const uint32_t block[3] = { (uint32_t)file, (uint32_t)(uintptr_t)buffer, bytes };
    return eenn_semihosting_call(EENN_SYS_READ, block) == 0 ? 0 : -1;
}

int32_t eenn_file_write(eenn_file_t file, const void *buffer, uint32_t bytes)
{
    /* SYS_WRITE returns the number of bytes NOT written. */
    const uint32_t block[3] = { (uint32_t)file, (uint32_t)(uintptr_t)buffer, bytes };
    return eenn_semihosting_call(EENN_SYS_WRITE, block) == 0 ? 0 : -1;
}

int32_t eenn_file_close(eenn_file_t file)
{
    const uint32_t block[1] = { (uint32_t)file };
    return eenn_semihosting_call(EENN_SYS_CLOSE, block);
}

void eenn_log(const char *text)
{
    eenn_console_write(text);
    eenn_console_write("\n");
}

/* ---------------------------------------------------------------- tick counter (SysTick) */

/* Completed periods of systick_reload + 1 ticks; incremented by the SysTick interrupt at every reload. */
static volatile uint32_t systick_wraps;
/* The reload value the counter runs with: EENN_SYST_MAX_RELOAD, or an alarm's period. */
static volatile uint32_t systick_reload = EENN_SYST_MAX_RELOAD;
/* The alarm armed by eenn_alarm_start(): called when systick_wraps reaches alarm_periods. */
static volatile uint32_t alarm_periods;
static eenn_alarm_handler_t volatile alarm_handler;

/* Called by SysTick_Handler with the stack pointer at the interrupt: the hardware pushed r0-r3, r12, lr, pc, xpsr
   there, so frame[6] is the interrupted program counter. */
void eenn_systick_interrupt(const uint32_t *frame) __attribute__((used));
void eenn_systick_interrupt(const uint32_t *frame)
{
    const uint32_t wraps = systick_wraps + 1u;
    systick_wraps = wraps;
    const eenn_alarm_handler_t handler = alarm_handler;
    if (handler != 0 && wraps == alarm_periods) {
        alarm_handler = 0;
        handler(frame[6]);
    }
}

/* Replaces the weak default in eenn_startup.c's vector table. The firmware runs on the main stack only, so MSP
   points at the exception frame. Armv6-M Thumb, so that every core runs it. */
void SysTick_Handler(void) __attribute__((naked));
void SysTick_Handler(void)
{
    __asm__ volatile(
        "mrs r0, msp\n\t"
        "push {r0, lr}\n\t"
        "bl eenn_systick_interrupt\n\t"
        "pop {r0, pc}\n\t");
}

int32_t eenn_counter_available(void)
{
    return 1;
}

/** Run the counter from 0 with `reload` + 1 ticks per period, the interrupt counting the periods. */
static void counter_restart(uint32_t reload)
{
    EENN_SYST_CSR = 0u;
    EENN_SYST_RVR = reload;
    EENN_SYST_CVR = 0u; /* any write clears the counter; it reloads on the next tick */
    systick_wraps = 0u;
    systick_reload = reload;
    EENN_SYST_CSR = EENN_SYST_CSR_CLKSOURCE | EENN_SYST_CSR_TICKINT | EENN_SYST_CSR_ENABLE;
    /* Until the first reload the counter reads 0, which eenn_counter_read() would take for a full period:
       wait for it so that readings only ever grow. */
    while (EENN_SYST_CVR == 0u) {
    }
}

void eenn_counter_start(void)
{
    alarm_handler = 0;
    counter_restart(EENN_SYST_MAX_RELOAD);
}

uint64_t eenn_alarm_start(uint64_t ticks, eenn_alarm_handler_t handler)
{
    const uint64_t period_limit = (uint64_t)EENN_SYST_MAX_RELOAD + 1u;
    uint64_t periods = (ticks + period_limit - 1u) / period_limit;
    if (periods == 0u) {
        periods = 1u;
    }
    uint64_t period = (ticks + periods - 1u) / periods;
    if (period < 2u) {
        period = 2u; /* a reload value of 0 would stop the counter */
    }
    alarm_handler = 0;
    alarm_periods = (uint32_t)periods;
    counter_restart((uint32_t)(period - 1u));
    alarm_handler = handler;
    return periods * period;
}

void eenn_system_reset(void)
{
    __asm__ volatile("dsb" ::
                         : "memory");
    EENN_SCB_AIRCR = EENN_SCB_AIRCR_VECTKEY | EENN_SCB_AIRCR_SYSRESETREQ;
    __asm__ volatile("dsb" ::
                         : "memory");
    for (;;) {
    }
}

uint64_t eenn_counter_read(void)
{
    uint32_t wraps_before;
    uint32_t current;
    uint32_t wraps_after;
    /* The interrupt may land between reading the wrap count and the counter: read again until both reads of
       the wrap count agree, so `current` belongs to the period they name. */
    do {
        wraps_before = systick_wraps;
        current = EENN_SYST_CVR;
        wraps_after = systick_wraps;
    } while (wraps_before != wraps_after);
    /* SysTick counts down from RVR to 0, then reloads: RVR + 1 ticks per period. */
    const uint32_t reload = systick_reload;
    return (uint64_t)wraps_after * (reload + 1u) + (reload - current);
}

/* ---------------------------------------------------------------- stack high-water mark */

int32_t eenn_stack_available(void)
{
    return 1;
}

uint32_t eenn_stack_used_bytes(void)
{
    /* The stack grows down from __stack_top; the lowest word that no longer holds the paint is the deepest
       point it reached. */
    const volatile uint32_t *word = __stack_limit;
    while (word < __stack_top && *word == EENN_STACK_PAINT) {
        word++;
    }
    return (uint32_t)((uintptr_t)__stack_top - (uintptr_t)word);
}
