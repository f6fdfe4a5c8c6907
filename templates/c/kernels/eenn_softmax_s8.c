/*
 * eenn_softmax_s8.c - int8 softmax along contiguous rows through an exponential table (Q16) the compiler
 * computed from the input scale; the output has TFLite's softmax quantization (scale 1/256, zero point -128).
 *
 * Three passes over each row: its maximum (MVE: 16 values per VMAXV; DSP: the
 * bytewise maximum of 4 values at once, SSUB8 and SEL), the sum of table[max - x], then each output. Every
 * input of a row is read before any output of it is written, so the output may be the input.
 */
#include <string.h>

#include "eenn_nn_support_s8.h"

#if EENN_HAS_MVE
#define EENN_SOFTMAX_MVE 1
#elif EENN_HAS_DSP
#define EENN_SOFTMAX_DSP 1
#endif

/* The largest of n int8 values. */
static inline int32_t eenn_softmax_row_max(const int8_t *x, int32_t n)
{
    int32_t max = -128;
    int32_t i = 0;
#if defined(EENN_SOFTMAX_MVE)
    if (n >= 16) {
        int8x16_t lanes = vdupq_n_s8(-128);
        for (; i + 16 <= n; i += 16) {
            lanes = vmaxq_s8(lanes, vld1q_s8(x + i));
        }
        max = vmaxvq_s8((int8_t)max, lanes);
    }
#elif defined(EENN_SOFTMAX_DSP)
    uint32_t lanes = 0x80808080u;
    for (; i + 4 <= n; i += 4) {
        uint32_t word;
        memcpy(&word, x + i, 4);
        (void)__ssub8((int32_t)word, (int32_t)lanes); /* GE flags: word >= lanes per byte */
        lanes = __sel(word, lanes);
    }
    for (int32_t b = 0; b < 4; b++) {
        const int32_t v = (int8_t)(lanes >> (8 * b));
        max = v > max ? v : max;
    }
#endif
    for (; i < n; i++) {
        max = x[i] > max ? x[i] : max;
    }
    return max;
}

void eenn_softmax_s8(const int8_t *input, int8_t *output, int32_t rows, int32_t row_size,
                     const int32_t *EENN_RESTRICT table)
{
    for (int32_t r = 0; r < rows; r++) {
        const int8_t *x = input + r * row_size;
        int8_t *y = output + r * row_size;
        const int32_t max = eenn_softmax_row_max(x, row_size);
        uint32_t sum = 0u;
        for (int32_t i = 0; i < row_size; i++) {
            sum += (uint32_t)table[max - x[i]];
        }
        const uint32_t half = sum / 2u;
        for (int32_t i = 0; i < row_size; i++) {
            const uint32_t numerator = (uint32_t)table[max - x[i]] * 256u + half;
            y[i] = eenn_clamp_s8((int32_t)(numerator / sum) - 128);
        }
    }
}
