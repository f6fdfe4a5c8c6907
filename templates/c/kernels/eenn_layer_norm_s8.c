/*
 * eenn_layer_norm_s8.c - int8 LayerNormalization of contiguous rows, in integer arithmetic only.
 *
 * For a row of n values d_i = x_i - zero point, with S = sum d_i:
 *   W  = n * sum d_i^2 - S^2 = n^2 * variance (in input units squared), exact in int64
 *   D  = W + epsilon_q, epsilon_q = round(n^2 epsilon / s_in^2): n^2 (variance + epsilon) in input units
 *   (x_i - mean) / sqrt(variance + epsilon) = (n d_i - S) / sqrt(D), since the input scale cancels.
 * sqrt(D) is taken exactly as an integer: D is shifted left by an even k until it lies in [2^60, 2^62), so that
 * R = floor(sqrt(D << k)) has 31 significant bits and sqrt(D) = R / 2^(k/2); inv = floor((2^61 - 1) / R) is one
 * 64-bit division per row. Each value is then z_i = (n d_i - S) * inv / 2^(41 - k/2) rounded (Q20, |z| <= sqrt(n)),
 * and the output stage applies Scale and B per element: requantize(z, |Scale| / (s_out 2^20)), the sign of
 * Scale, round(B / s_out) and the output zero point.
 *
 * Every step is an integer operation (isqrt bit by bit, truncating division, arithmetic shifts), so the TypeScript
 * reference (src/quantize/int8/reduce.ts) computes the same bits on every target. Each row is read whole before
 * any of its outputs is written, so the output may be the input.
 */
#include "eenn_nn_support_s8.h"

/* Fraction bits of the normalized values z (LAYER_NORM_FRACTION_BITS of src/ir/int8.ts). */
#define EENN_LAYER_NORM_FRACTION_BITS 20
/* D is normalized into [2^60, 2^62) before its square root, which then has 31 significant bits. */
#define EENN_LAYER_NORM_NORMALIZED_MIN ((uint64_t)1 << 60)
/* Numerator of the per-row reciprocal: inv = (2^61 - 1) / R fits in 31 bits for R in [2^30, 2^31). */
#define EENN_LAYER_NORM_INVERSE_NUMERATOR (((uint64_t)1 << 61) - 1)

/* floor(sqrt(v)), bit by bit. */
static uint32_t eenn_isqrt_u64(uint64_t v)
{
    uint64_t root = 0;
    uint64_t bit = (uint64_t)1 << 62;
    while (bit > v) {
        bit >>= 2;
    }
    while (bit != 0) {
        if (v >= root + bit) {
            v -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    return (uint32_t)root;
}

void eenn_layer_norm_s8(const int8_t *input, int8_t *output, int32_t rows, int32_t row_size, int32_t input_offset,
                        int32_t epsilon_q, const int32_t *EENN_RESTRICT multiplier, const int32_t *EENN_RESTRICT shift,
                        const int32_t *EENN_RESTRICT bias, int32_t params, int32_t output_offset, int32_t act_min,
                        int32_t act_max)
{
    for (int32_t r = 0; r < rows; r++) {
        const int8_t *x = input + r * row_size;
        int8_t *y = output + r * row_size;
        int32_t sum = 0;
        int64_t squares = 0;
        for (int32_t i = 0; i < row_size; i++) {
            const int32_t d = x[i] + input_offset;
            sum += d;
            squares += d * d;
        }
        uint64_t spread = (uint64_t)((int64_t)row_size * squares - (int64_t)sum * sum) + (uint64_t)epsilon_q;
        int64_t inverse = 0;
        int32_t right_shift = 1;
        if (spread != 0) {
            int32_t half_shift = 0;
            while (spread < EENN_LAYER_NORM_NORMALIZED_MIN) {
                spread <<= 2;
                half_shift++;
            }
            inverse = (int64_t)(EENN_LAYER_NORM_INVERSE_NUMERATOR / eenn_isqrt_u64(spread));
            right_shift = 61 - EENN_LAYER_NORM_FRACTION_BITS - half_shift;
        }
        const int64_t round = (int64_t)1 << (right_shift - 1);
        int32_t p = 0;
        for (int32_t i = 0; i < row_size; i++) {
            const int32_t centered = row_size * (x[i] + input_offset) - sum;
            const int32_t z = (int32_t)(((int64_t)centered * inverse + round) >> right_shift);
            const int32_t m = multiplier[p];
            const int32_t scaled = m < 0 ? eenn_requantize(-z, -m, shift[p]) : eenn_requantize(z, m, shift[p]);
            y[i] = (int8_t)eenn_clamp_s32(scaled + bias[p] + output_offset, act_min, act_max);
            p = p + 1 == params ? 0 : p + 1;
        }
    }
}
