/*
 * eenn_fc_s16.c - fully connected layers of the int16 activations (eenn_kernels_s16.h): int16 input to int16 or
 * int8 output (int64 accumulator, eenn_requantize_s64), int8 input to int16 output (int32, eenn_requantize).
 */
#include "eenn_kernels_s16.h"

/* eenn_fc_s16 and eenn_fc_s16_s8: exactly one of out16 and out8 is given. */
static void eenn_fc_s16_any(const int16_t *input, const int8_t *weights, const int64_t *bias, int16_t *out16,
                            int8_t *out8, int32_t rows, int32_t in_features, int32_t out_features,
                            int32_t output_offset, const int32_t *output_multiplier, const int32_t *output_shift,
                            int32_t act_min, int32_t act_max)
{
    for (int32_t r = 0; r < rows; r++) {
        const int16_t *x = input + r * in_features;
        for (int32_t m = 0; m < out_features; m++) {
            const int8_t *w = weights + m * in_features;
            int64_t acc = bias != NULL ? bias[m] : 0;
            for (int32_t k = 0; k < in_features; k++) {
                acc += (int32_t)x[k] * (int32_t)w[k];
            }
            int64_t y = eenn_requantize_s64(acc, output_multiplier[m], output_shift[m]) + output_offset;
            y = y < act_min ? act_min : y > act_max ? act_max
                                                    : y;
            if (out16 != NULL) {
                out16[r * out_features + m] = (int16_t)y;
            } else {
                out8[r * out_features + m] = (int8_t)y;
            }
        }
    }
}

void eenn_fc_s16(const int16_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                 const int64_t *EENN_RESTRICT bias, int16_t *EENN_RESTRICT output,
                 int32_t rows, int32_t in_features, int32_t out_features,
                 const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                 int32_t act_min, int32_t act_max)
{
    eenn_fc_s16_any(input, weights, bias, output, NULL, rows, in_features, out_features, 0, output_multiplier,
                    output_shift, act_min, act_max);
}

void eenn_fc_s16_s8(const int16_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                    const int64_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                    int32_t rows, int32_t in_features, int32_t out_features, int32_t output_offset,
                    const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                    int32_t act_min, int32_t act_max)
{
    eenn_fc_s16_any(input, weights, bias, NULL, output, rows, in_features, out_features, output_offset,
                    output_multiplier, output_shift, act_min, act_max);
}

void eenn_fc_s8_s16(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                    const int32_t *EENN_RESTRICT bias, int16_t *EENN_RESTRICT output,
                    int32_t rows, int32_t in_features, int32_t out_features, int32_t input_offset,
                    const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                    int32_t act_min, int32_t act_max)
{
    for (int32_t r = 0; r < rows; r++) {
        const int8_t *x = input + r * in_features;
        for (int32_t m = 0; m < out_features; m++) {
            const int8_t *w = weights + m * in_features;
            int32_t acc = bias != NULL ? bias[m] : 0;
            for (int32_t k = 0; k < in_features; k++) {
                acc += ((int32_t)x[k] + input_offset) * w[k];
            }
            const int32_t y = eenn_requantize(acc, output_multiplier[m], output_shift[m]);
            output[r * out_features + m] = (int16_t)eenn_clamp_s32(y, act_min, act_max);
        }
    }
}
