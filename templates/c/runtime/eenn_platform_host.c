/*
 * eenn_platform_host.c - eenn_platform.h for the native host build: stdio files, no tick counter, no stack
 * measurement. Used by the `host` target to check a generated model quickly without an emulator.
 */
#include "eenn_platform.h"

#include <stdio.h>

/* Open files by handle: main.c holds at most three at a time. */
#define EENN_HOST_MAX_FILES 8
static FILE *open_files[EENN_HOST_MAX_FILES];

static eenn_file_t open_with_mode(const char *path, const char *mode)
{
    for (int32_t handle = 0; handle < EENN_HOST_MAX_FILES; handle++) {
        if (open_files[handle] == NULL) {
            open_files[handle] = fopen(path, mode);
            return open_files[handle] != NULL ? handle : -1;
        }
    }
    return -1;
}

static FILE *file_of(eenn_file_t file)
{
    return (file >= 0 && file < EENN_HOST_MAX_FILES) ? open_files[file] : NULL;
}

eenn_file_t eenn_file_open_read(const char *path)
{
    return open_with_mode(path, "rb");
}

eenn_file_t eenn_file_open_write(const char *path)
{
    return open_with_mode(path, "wb");
}

int32_t eenn_file_length(eenn_file_t file)
{
    FILE *stream = file_of(file);
    if (stream == NULL) {
        return -1;
    }
    const long position = ftell(stream);
    if (position < 0 || fseek(stream, 0, SEEK_END) != 0) {
        return -1;
    }
    const long length = ftell(stream);
    if (fseek(stream, position, SEEK_SET) != 0 || length > INT32_MAX) {
        return -1;
    }
    return (int32_t)length;
}

int32_t eenn_file_read(eenn_file_t file, void *buffer, uint32_t bytes)
{
    FILE *stream = file_of(file);
    return (stream != NULL && fread(buffer, 1, bytes, stream) == bytes) ? 0 : -1;
}

int32_t eenn_file_write(eenn_file_t file, const void *buffer, uint32_t bytes)
{
    FILE *stream = file_of(file);
    return (stream != NULL && fwrite(buffer, 1, bytes, stream) == bytes) ? 0 : -1;
}

int32_t eenn_file_close(eenn_file_t file)
{
    FILE *stream = file_of(file);
    if (stream == NULL) {
        return -1;
    }
    open_files[file] = NULL;
    return fclose(stream) == 0 ? 0 : -1;
}

void eenn_log(const char *text)
{
    fprintf(stderr, "%s\n", text);
}

int32_t eenn_counter_available(void)
{
    return 0;
}

void eenn_counter_start(void)
{
}

uint64_t eenn_counter_read(void)
{
    return 0u;
}

int32_t eenn_stack_available(void)
{
    return 0;
}

uint32_t eenn_stack_used_bytes(void)
{
    return 0u;
}
