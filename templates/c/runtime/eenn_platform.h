/*
 * eenn_platform.h - what the test firmware's main.c needs from the machine it runs on.
 *
 * Two implementations: eenn_platform_cortexm.c (semihosting files, SysTick counter, painted stack) for Cortex-M
 * boards and emulators, and eenn_platform_host.c (stdio, no counter) for the native host build. main.c is the
 * same for both.
 */
#ifndef EENN_PLATFORM_H
#define EENN_PLATFORM_H

#include <stdint.h>

/** An open file on the host; negative when opening failed. */
typedef int32_t eenn_file_t;

/** Open `path` for reading (binary). Returns a handle, or a negative value when it cannot be opened. */
eenn_file_t eenn_file_open_read(const char *path);

/** Create or truncate `path` for writing (binary). Returns a handle, or a negative value on failure. */
eenn_file_t eenn_file_open_write(const char *path);

/** Length of an open file in bytes, or a negative value when unknown. */
int32_t eenn_file_length(eenn_file_t file);

/** Read exactly `bytes` bytes. Returns 0 on success, a negative value on a short read or an error. */
int32_t eenn_file_read(eenn_file_t file, void *buffer, uint32_t bytes);

/** Write exactly `bytes` bytes. Returns 0 on success, a negative value on error. */
int32_t eenn_file_write(eenn_file_t file, const void *buffer, uint32_t bytes);

/** Close a file. Returns 0 on success. */
int32_t eenn_file_close(eenn_file_t file);

/** Write a line of text for people (emulator console or stderr). `text` holds no newline. */
void eenn_log(const char *text);

/** 1 when eenn_counter_read() measures something, 0 when it always returns 0 (host). */
int32_t eenn_counter_available(void);

/**
 * Start the free-running tick counter (SysTick at the core clock on Cortex-M). Call once before any
 * eenn_counter_read(). Under QEMU with `-icount shift=N` the ticks measure executed instructions:
 * instructions = ticks * (1e9 / counter_hz) / 2^N.
 */
void eenn_counter_start(void);

/** Ticks since eenn_counter_start(), 64 bits wide (the 24-bit SysTick wraps are counted in its interrupt). */
uint64_t eenn_counter_read(void);

/** 1 when eenn_stack_used_bytes() measures something, 0 when it always returns 0 (host). */
int32_t eenn_stack_available(void);

/**
 * Stack high-water mark in bytes: the startup code paints the whole stack with a pattern before main(); this
 * scans for the deepest word that was overwritten since.
 */
uint32_t eenn_stack_used_bytes(void);

/*
 * Power-failure alarm, for the intermittent test firmware (Cortex-M only). eenn_alarm_start() restarts the tick
 * counter at 0 and has the SysTick interrupt call `handler` once `ticks` ticks have passed (at least `ticks`: the
 * 24-bit counter reaches long alarms in equal periods, rounded up); it returns the ticks it armed for. The
 * handler gets the program counter the interrupt stopped at. eenn_counter_read() goes on counting from the start.
 */
typedef void (*eenn_alarm_handler_t)(uint32_t interrupted_pc);
uint64_t eenn_alarm_start(uint64_t ticks, eenn_alarm_handler_t handler);

/** Reset the core and the system (SCB AIRCR SYSRESETREQ), as a power cycle would; RAM keeps its contents. */
void eenn_system_reset(void) __attribute__((noreturn));

#endif /* EENN_PLATFORM_H */
