/*
 * eenn_pool_s16.c - max pooling of int16 tensors (eenn_kernels_s16.h): eenn_max_pool2d_s8's and
 * eenn_global_max_pool_s8's index rules on two-byte elements, a window taking its in-bounds taps only; 2x2 windows of
 * stride 2 without padding take a loop of their own.
 */
#include "eenn_kernels_s16.h"

/** The least int16 value: the maximum of no taps yet. */
#define EENN_S16_MIN ((int32_t)-32768)

/* The most common window: 2x2, stride 2, no padding, every window inside the input. */
static void eenn_max_pool_2x2_s16(const int16_t *input, int16_t *output, int32_t channels, int32_t in_h, int32_t in_w,
                                  int32_t out_h, int32_t out_w)
{
    for (int32_t c = 0; c < channels; c++) {
        const int16_t *plane = input + c * in_h * in_w;
        for (int32_t oy = 0; oy < out_h; oy++) {
            const int16_t *top = plane + 2 * oy * in_w;
            const int16_t *bottom = top + in_w;
            for (int32_t ox = 0; ox < out_w; ox++) {
                const int16_t a = top[2 * ox] > top[2 * ox + 1] ? top[2 * ox] : top[2 * ox + 1];
                const int16_t b = bottom[2 * ox] > bottom[2 * ox + 1] ? bottom[2 * ox] : bottom[2 * ox + 1];
                *output++ = a > b ? a : b;
            }
        }
    }
}

void eenn_max_pool2d_s16(const int16_t *EENN_RESTRICT input, int16_t *EENN_RESTRICT output,
                         int32_t channels, int32_t in_h, int32_t in_w, int32_t out_h, int32_t out_w,
                         int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                         int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w)
{
    if (kernel_h == 2 && kernel_w == 2 && stride_h == 2 && stride_w == 2 && pad_top == 0 && pad_left == 0 &&
        dilation_h == 1 && dilation_w == 1 && 2 * out_h <= in_h && 2 * out_w <= in_w) {
        eenn_max_pool_2x2_s16(input, output, channels, in_h, in_w, out_h, out_w);
        return;
    }
    for (int32_t c = 0; c < channels; c++) {
        const int16_t *plane = input + c * in_h * in_w;
        for (int32_t oy = 0; oy < out_h; oy++) {
            for (int32_t ox = 0; ox < out_w; ox++) {
                int32_t best = EENN_S16_MIN;
                for (int32_t ky = 0; ky < kernel_h; ky++) {
                    const int32_t iy = oy * stride_h - pad_top + ky * dilation_h;
                    if (iy < 0 || iy >= in_h) {
                        continue;
                    }
                    for (int32_t kx = 0; kx < kernel_w; kx++) {
                        const int32_t ix = ox * stride_w - pad_left + kx * dilation_w;
                        if (ix >= 0 && ix < in_w && plane[iy * in_w + ix] > best) {
                            best = plane[iy * in_w + ix];
                        }
                    }
                }
                *output++ = (int16_t)best;
            }
        }
    }
}

void eenn_global_max_pool_s16(const int16_t *EENN_RESTRICT input, int16_t *EENN_RESTRICT output, int32_t channels, int32_t size)
{
    for (int32_t c = 0; c < channels; c++) {
        int32_t best = EENN_S16_MIN;
        for (int32_t i = 0; i < size; i++) {
            best = input[i] > best ? input[i] : best;
        }
        output[c] = (int16_t)best;
        input += size;
    }
}
