/*
 * eenn_lut_s8.c - int8 lookup table: every function of one int8 value (activations, changes of scale) is a
 * 256-entry table the compiler computed, so the firmware needs no floating point or libm for them.
 */
#include "eenn_kernels_s8.h"

void eenn_lut_s8(const int8_t *input, int8_t *output, int32_t size, const int8_t *EENN_RESTRICT table)
{
    for (int32_t i = 0; i < size; i++) {
        output[i] = table[(int32_t)input[i] + 128];
    }
}
