/*
 * eenn_pool_s8.c - int8 max / average pooling (windowed 1-D and 2-D, global max), NCHW.
 *
 * Each window is clipped to the input once (no per-tap padding test). Max pooling compares raw int8 values
 * (input and output share one scale and zero point); average pooling sums raw values and divides with
 * rounding (eenn_rounding_divide_s32), so the output keeps the input's quantization as in TFLite.
 */
#include "eenn_kernels_s8.h"

/* Taps k in [0, kernel) with lo <= origin + k * dilation < hi, as [*first, *end). */
static inline void eenn_pool_taps_s8(int32_t origin, int32_t lo, int32_t hi, int32_t kernel, int32_t dilation,
                                     int32_t *first, int32_t *end)
{
    int32_t k0 = 0;
    int32_t k1 = kernel;
    if (origin < lo) {
        k0 = (lo - origin + dilation - 1) / dilation;
    }
    if (origin + (kernel - 1) * dilation >= hi) {
        k1 = hi - origin > 0 ? (hi - origin + dilation - 1) / dilation : 0;
    }
    if (k1 < k0) {
        k1 = k0;
    }
    *first = k0;
    *end = k1;
}

void eenn_max_pool2d_s8(const int8_t *EENN_RESTRICT input, int8_t *EENN_RESTRICT output,
                        int32_t channels, int32_t in_h, int32_t in_w, int32_t out_h, int32_t out_w,
                        int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                        int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w)
{
    for (int32_t c = 0; c < channels; c++) {
        const int8_t *in = input + c * in_h * in_w;
        for (int32_t oy = 0; oy < out_h; oy++) {
            const int32_t iy0 = oy * stride_h - pad_top;
            int32_t ky0, ky1;
            eenn_pool_taps_s8(iy0, 0, in_h, kernel_h, dilation_h, &ky0, &ky1);
            for (int32_t ox = 0; ox < out_w; ox++) {
                const int32_t ix0 = ox * stride_w - pad_left;
                int32_t kx0, kx1;
                eenn_pool_taps_s8(ix0, 0, in_w, kernel_w, dilation_w, &kx0, &kx1);
                int8_t best = -128;
                for (int32_t ky = ky0; ky < ky1; ky++) {
                    const int8_t *row = in + (iy0 + ky * dilation_h) * in_w + ix0;
                    for (int32_t kx = kx0; kx < kx1; kx++) {
                        const int8_t v = row[kx * dilation_w];
                        best = v > best ? v : best;
                    }
                }
                *output++ = best;
            }
        }
    }
}

void eenn_global_max_pool_s8(const int8_t *EENN_RESTRICT input, int8_t *EENN_RESTRICT output,
                             int32_t channels, int32_t size)
{
    for (int32_t c = 0; c < channels; c++) {
        int8_t best = -128;
        for (int32_t i = 0; i < size; i++) {
            best = input[i] > best ? input[i] : best;
        }
        output[c] = best;
        input += size;
    }
}

void eenn_avg_pool2d_s8(const int8_t *EENN_RESTRICT input, int8_t *EENN_RESTRICT output,
                        int32_t channels, int32_t in_h, int32_t in_w, int32_t out_h, int32_t out_w,
                        int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                        int32_t pad_top, int32_t pad_left, int32_t pad_bottom, int32_t pad_right,
                        int32_t count_include_pad, int32_t input_offset, int32_t act_min, int32_t act_max)
{
    for (int32_t c = 0; c < channels; c++) {
        const int8_t *in = input + c * in_h * in_w;
        for (int32_t oy = 0; oy < out_h; oy++) {
            const int32_t iy0 = oy * stride_h - pad_top;
            int32_t ky0, ky1, py0, py1;
            eenn_pool_taps_s8(iy0, 0, in_h, kernel_h, 1, &ky0, &ky1);
            eenn_pool_taps_s8(iy0, -pad_top, in_h + pad_bottom, kernel_h, 1, &py0, &py1);
            for (int32_t ox = 0; ox < out_w; ox++) {
                const int32_t ix0 = ox * stride_w - pad_left;
                int32_t kx0, kx1, px0, px1;
                eenn_pool_taps_s8(ix0, 0, in_w, kernel_w, 1, &kx0, &kx1);
                eenn_pool_taps_s8(ix0, -pad_left, in_w + pad_right, kernel_w, 1, &px0, &px1);
                int32_t sum = 0;
                for (int32_t ky = ky0; ky < ky1; ky++) {
                    const int8_t *row = in + (iy0 + ky) * in_w + ix0;
                    for (int32_t kx = kx0; kx < kx1; kx++) {
                        sum += row[kx];
                    }
                }
                int32_t count = (ky1 - ky0) * (kx1 - kx0);
                if (count_include_pad) {
                    /* Padded taps hold a real 0: the zero point, -input_offset. */
                    const int32_t padded = (py1 - py0) * (px1 - px0);
                    sum -= (padded - count) * input_offset;
                    count = padded;
                }
                const int32_t average = count > 0 ? eenn_rounding_divide_s32(sum, count) : 0;
                *output++ = (int8_t)eenn_clamp_s32(average, act_min, act_max);
            }
        }
    }
}
