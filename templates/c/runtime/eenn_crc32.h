/*
 * eenn_crc32.h - CRC-32 as IEEE 802.3 and zlib define it (polynomial 0x04C11DB7, reflected, initial value and
 * final XOR 0xFFFFFFFF): eenn_crc32("123456789", 9) is 0xCBF43926. The progress record of intermittent builds
 * (eenn_intermittent.c) and the frames of the multi-device link (eenn_link.c) both check their bytes with it.
 */
#ifndef EENN_CRC32_H
#define EENN_CRC32_H

#include <stdint.h>

/** The CRC register before the first byte. */
#define EENN_CRC32_INIT 0xFFFFFFFFu

/** XORed into the register after the last byte to give the CRC. */
#define EENN_CRC32_FINAL_XOR 0xFFFFFFFFu

/**
 * The CRC register after `bytes` more bytes at `data`, starting from `state` (EENN_CRC32_INIT for the first
 * run); runs of a message may be fed one after another. The CRC is the last state XOR EENN_CRC32_FINAL_XOR.
 */
uint32_t eenn_crc32_update(uint32_t state, const void *data, uint32_t bytes);

/** CRC-32 of `bytes` bytes at `data` in one run. */
uint32_t eenn_crc32(const void *data, uint32_t bytes);

#endif /* EENN_CRC32_H */
