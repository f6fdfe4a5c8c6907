/*
 * eenn_resize_s8.c - int8 linear and cubic resampling (Resize, Upsample) of NCHW planes. The sampling positions
 * and Q10 weights of every output row and column were computed by the compiler from the operator's coordinate
 * mode (linear keeps the input's scale and zero point, cubic has its own).
 */
#include "eenn_kernels_s8.h"
#include "eenn_fixedpoint.h"

void eenn_resize_s8(const int8_t *EENN_RESTRICT input, int8_t *EENN_RESTRICT output, int32_t planes,
                    int32_t in_h, int32_t in_w, int32_t out_h, int32_t out_w,
                    int32_t taps_h, const int32_t *EENN_RESTRICT index_h, const int32_t *EENN_RESTRICT weight_h,
                    int32_t taps_w, const int32_t *EENN_RESTRICT index_w, const int32_t *EENN_RESTRICT weight_w,
                    int32_t input_offset, int32_t output_multiplier, int32_t output_shift, int32_t output_offset)
{
    for (int32_t p = 0; p < planes; p++) {
        const int8_t *plane = input + p * in_h * in_w;
        int8_t *out = output + p * out_h * out_w;
        for (int32_t oy = 0; oy < out_h; oy++) {
            for (int32_t ox = 0; ox < out_w; ox++) {
                int32_t acc = 0;
                for (int32_t i = 0; i < taps_h; i++) {
                    const int32_t wy = weight_h[oy * taps_h + i];
                    const int8_t *row = plane + index_h[oy * taps_h + i] * in_w;
                    for (int32_t j = 0; j < taps_w; j++) {
                        const int32_t x = (int32_t)row[index_w[ox * taps_w + j]] + input_offset;
                        acc += wy * weight_w[ox * taps_w + j] * x;
                    }
                }
                *out++ = eenn_clamp_s8(eenn_requantize(acc, output_multiplier, output_shift) + output_offset);
            }
        }
    }
}
