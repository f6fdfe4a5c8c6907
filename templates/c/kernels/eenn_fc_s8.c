/*
 * eenn_fc_s8.c - int8 fully connected layer (constant weights, packed) with per-output-feature requantization.
 *
 * Portable path: 4 output features at once from weights the compiler interleaved ([in_features][4] per block),
 * so each input value loaded and offset once feeds 4 multiply-accumulates and the weights stream from one
 * pointer. Output stage: eenn_requantize_s8.
 */
#include "eenn_kernels_s8.h"

void eenn_fc_s8(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                int32_t rows, int32_t in_features, int32_t out_features,
                int32_t input_offset, int32_t output_offset,
                const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                int32_t act_min, int32_t act_max)
{
    for (int32_t r = 0; r < rows; r++) {
        const int8_t *x = input + r * in_features;
        int8_t *out = output + r * out_features;
        int32_t n = 0;
        for (; n + 4 <= out_features; n += 4) {
            const int8_t *w = weights + n * in_features;
            int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (int32_t k = 0; k < in_features; k++) {
                const int32_t v = (int32_t)x[k] + input_offset;
                a0 += v * w[0];
                a1 += v * w[1];
                a2 += v * w[2];
                a3 += v * w[3];
                w += 4;
            }
            const int32_t acc[4] = { a0, a1, a2, a3 };
            for (int32_t i = 0; i < 4; i++) {
                const int32_t sum = bias != NULL ? eenn_add_wrap_s32(acc[i], bias[n + i]) : acc[i];
                out[n + i] = eenn_requantize_s8(sum, output_multiplier[n + i], output_shift[n + i], output_offset,
                                                act_min, act_max);
            }
        }
        for (; n < out_features; n++) {
            const int8_t *w = weights + n * in_features;
            int32_t acc = 0;
            for (int32_t k = 0; k < in_features; k++) {
                acc += ((int32_t)x[k] + input_offset) * w[k];
            }
            const int32_t sum = bias != NULL ? eenn_add_wrap_s32(acc, bias[n]) : acc;
            out[n] = eenn_requantize_s8(sum, output_multiplier[n], output_shift[n], output_offset, act_min, act_max);
        }
    }
}
