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
    eenn_semihosting_write0(text);
    eenn_semihosting_write0("\n");
}

/* ---------------------------------------------------------------- tick counter (SysTick) */

/* Completed 2^24-tick periods; incremented by the SysTick interrupt at every reload. */
static volatile uint32_t systick_wraps;

/* Replaces the weak default in eenn_startup.c's vector table. */
void SysTick_Handler(void)
{
    systick_wraps++;
}

int32_t eenn_counter_available(void)
{
    return 1;
}

void eenn_counter_start(void)
{
    EENN_SYST_CSR = 0u;
    EENN_SYST_RVR = EENN_SYST_MAX_RELOAD;
    EENN_SYST_CVR = 0u; /* any write clears the counter; it reloads on the next tick */
    systick_wraps = 0u;
    EENN_SYST_CSR = EENN_SYST_CSR_CLKSOURCE | EENN_SYST_CSR_TICKINT | EENN_SYST_CSR_ENABLE;
    /* Until the first reload the counter reads 0, which eenn_counter_read() would take for a full period:
       wait for it so that readings only ever grow. */
    while (EENN_SYST_CVR == 0u) {
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
    return (uint64_t)wraps_after * (EENN_SYST_MAX_RELOAD + 1u) + (EENN_SYST_MAX_RELOAD - current);
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
