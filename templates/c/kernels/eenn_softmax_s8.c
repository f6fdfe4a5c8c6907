/*
 * eenn_softmax_s8.c - int8 softmax along contiguous rows through an exponential table (Q16) the compiler
 * computed from the input scale; the output has TFLite's softmax quantization (scale 1/256, zero point -128).
 */
#include "eenn_kernels_s8.h"

void eenn_softmax_s8(const int8_t *input, int8_t *output, int32_t rows, int32_t row_size,
                     const int32_t *EENN_RESTRICT table)
{
    for (int32_t r = 0; r < rows; r++) {
        const int8_t *x = input + r * row_size;
        int8_t *y = output + r * row_size;
        int32_t max = -128;
        for (int32_t i = 0; i < row_size; i++) {
            max = x[i] > max ? x[i] : max;
        }
        uint32_t sum = 0u;
        for (int32_t i = 0; i < row_size; i++) {
            sum += (uint32_t)table[max - x[i]];
        }
        /* Every input is read above before any output is written, so output may be input. */
        const uint32_t half = sum / 2u;
        for (int32_t i = 0; i < row_size; i++) {
            const uint32_t numerator = (uint32_t)table[max - x[i]] * 256u + half;
            y[i] = eenn_clamp_s8((int32_t)(numerator / sum) - 128);
        }
    }
}
