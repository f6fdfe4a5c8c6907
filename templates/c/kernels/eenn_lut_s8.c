/*
 * eenn_lut_s8.c - int8 lookup table: every function of one int8 value (activations, changes of scale) is a
 * 256-entry table the compiler computed, so the firmware needs no floating point or libm for them.
 *
 * Four values per iteration, each read before the output at its index is written: the output may be the input.
 */
#include "eenn_kernels_s8.h"

void eenn_lut_s8(const int8_t *input, int8_t *output, int32_t size, const int8_t *EENN_RESTRICT table)
{
    /* table[x + 128] as centre[x]: the signed input indexes the table's middle directly. */
    const int8_t *centre = table + 128;
    int32_t i = 0;
    for (; i + 4 <= size; i += 4) {
        const int32_t x0 = input[i], x1 = input[i + 1], x2 = input[i + 2], x3 = input[i + 3];
        output[i] = centre[x0];
        output[i + 1] = centre[x1];
        output[i + 2] = centre[x2];
        output[i + 3] = centre[x3];
    }
    for (; i < size; i++) {
        output[i] = centre[input[i]];
    }
}
