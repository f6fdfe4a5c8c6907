/*
 * eenn_crc32.c - CRC-32 (eenn_crc32.h) four bits at a time: 16 table entries (64 bytes of flash) and two
 * look-ups per byte, about a quarter of the instructions of the bit-by-bit loop.
 */
#include "eenn_crc32.h"

/* Bits of the CRC register shifted through per table look-up, and the mask that selects them. */
#define CRC32_NIBBLE_BITS 4u
#define CRC32_NIBBLE_MASK 0x0Fu

/* Entry i is the CRC register after shifting nibble i through (the reflected polynomial is 0xEDB88320). */
static const uint32_t crc32_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
    0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu, 0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu
};

uint32_t eenn_crc32_update(uint32_t state, const void *data, uint32_t bytes)
{
    const uint8_t *in = (const uint8_t *)data;
    uint32_t crc = state;
    for (uint32_t i = 0; i < bytes; i++) {
        crc ^= in[i];
        crc = (crc >> CRC32_NIBBLE_BITS) ^ crc32_nibble[crc & CRC32_NIBBLE_MASK];
        crc = (crc >> CRC32_NIBBLE_BITS) ^ crc32_nibble[crc & CRC32_NIBBLE_MASK];
    }
    return crc;
}

uint32_t eenn_crc32(const void *data, uint32_t bytes)
{
    return eenn_crc32_update(EENN_CRC32_INIT, data, bytes) ^ EENN_CRC32_FINAL_XOR;
}
