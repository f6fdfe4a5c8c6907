/*
 * eenn_cortexm.h - names shared by the Cortex-M startup code and platform layer: the symbols the linker
 * script (eenn_linker.ld) defines and the few core registers we touch (Armv6-M/v7-M/v8-M system control space).
 */
#ifndef EENN_CORTEXM_H
#define EENN_CORTEXM_H

#include <stdint.h>

#include "eenn_isa.h"

/* Memory layout from eenn_linker.ld. The stack sits at the bottom of the data region so that an overflow runs
   off the region (a bus fault, or the MSPLIM check on Armv8-M) instead of silently into .data/.bss. */
extern uint32_t __stack_limit[]; /* lowest stack address */
extern uint32_t __stack_top[];   /* initial SP, one past the highest stack word */
extern uint32_t __data_load[];   /* where .data's initial values sit in the code region */
extern uint32_t __data_start[];
extern uint32_t __data_end[];
extern uint32_t __bss_start[];
extern uint32_t __bss_end[];
extern uint32_t __eenn_noinit_start[]; /* state an intermittent build keeps in SRAM (not zeroed at reset) */
extern uint32_t __eenn_noinit_end[];

/* Hooks eenn_startup.c defines weakly, so that a board's runtime (runtime/eenn_stm32f4.c, a serial console, the
   semihosting guard) replaces them: the chip's start-up before .data is copied (clocks, flash wait states; the
   default does nothing), where text for people goes (the default is the semihosting console), and the report of a
   fault that ends the program (its stacked registers at `frame`). */
void eenn_board_init(void);
void eenn_console_write(const char *text);
void eenn_fault_report(const uint32_t *frame) __attribute__((noreturn));

/* Word written over the whole stack before main(); eenn_stack_used_bytes() looks for the first word changed. */
#define EENN_STACK_PAINT 0xEE57AC4Bu

/* SysTick (Armv7-M ARM B3.3, same addresses on v6-M and v8-M). */
#define EENN_SYST_CSR (*(volatile uint32_t *)0xE000E010u) /* control and status */
#define EENN_SYST_RVR (*(volatile uint32_t *)0xE000E014u) /* reload value */
#define EENN_SYST_CVR (*(volatile uint32_t *)0xE000E018u) /* current value (counts down) */
#define EENN_SYST_CSR_ENABLE (1u << 0)
#define EENN_SYST_CSR_TICKINT (1u << 1)
#define EENN_SYST_CSR_CLKSOURCE (1u << 2) /* 1: the processor clock */
#define EENN_SYST_MAX_RELOAD 0x00FFFFFFu  /* the counter is 24 bits wide */

/* Application interrupt and reset control: writing VECTKEY with SYSRESETREQ resets the system. */
#define EENN_SCB_AIRCR (*(volatile uint32_t *)0xE000ED0Cu)
#define EENN_SCB_AIRCR_VECTKEY (0x05FAu << 16)
#define EENN_SCB_AIRCR_SYSRESETREQ (1u << 2)

/* Coprocessor access control: CP10/CP11 (FPU and MVE) full access is bits 20..23. */
#define EENN_SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
/* Configurable fault status, shown in the fault report. Armv6-M and Armv8-M Baseline do not have it. */
#if EENN_ARM_MAINLINE
#define EENN_HAS_FAULT_STATUS 1
#define EENN_SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#else
#define EENN_HAS_FAULT_STATUS 0
#endif

#endif /* EENN_CORTEXM_H */
