/*
 * eenn_pool_f32.c - float32 max / average pooling (windowed 2-D and 3-D, global), NCHW.
 *
 * Each window is clipped to the input once (no per-tap padding test). Average pooling divides by the
 * tap count onnxruntime uses, so count_include_pad and ceil_mode match it.
 */
#include <math.h>
#include "eenn_kernels_f32.h"

/* Taps k in [0, kernel) with lo <= origin + k * dilation < hi, as [*first, *end). */
static inline void eenn_pool_taps(int32_t origin, int32_t lo, int32_t hi, int32_t kernel, int32_t dilation,
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

void eenn_max_pool2d_f32(const float *EENN_RESTRICT input, float *EENN_RESTRICT output,
                         int32_t channels, int32_t in_h, int32_t in_w, int32_t out_h, int32_t out_w,
                         int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                         int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w)
{
    for (int32_t c = 0; c < channels; c++) {
        const float *in = input + c * in_h * in_w;
        for (int32_t oy = 0; oy < out_h; oy++) {
            const int32_t iy0 = oy * stride_h - pad_top;
            int32_t ky0, ky1;
            eenn_pool_taps(iy0, 0, in_h, kernel_h, dilation_h, &ky0, &ky1);
            for (int32_t ox = 0; ox < out_w; ox++) {
                const int32_t ix0 = ox * stride_w - pad_left;
                int32_t kx0, kx1;
                eenn_pool_taps(ix0, 0, in_w, kernel_w, dilation_w, &kx0, &kx1);
                float best = -INFINITY;
                for (int32_t ky = ky0; ky < ky1; ky++) {
                    const float *row = in + (iy0 + ky * dilation_h) * in_w + ix0;
                    for (int32_t kx = kx0; kx < kx1; kx++) {
                        const float v = row[kx * dilation_w];
                        best = v > best ? v : best;
                    }
                }
                *output++ = best;
            }
        }
    }
}

void eenn_avg_pool2d_f32(const float *EENN_RESTRICT input, float *EENN_RESTRICT output,
                         int32_t channels, int32_t in_h, int32_t in_w, int32_t out_h, int32_t out_w,
                         int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                         int32_t pad_top, int32_t pad_left, int32_t pad_bottom, int32_t pad_right,
                         int32_t dilation_h, int32_t dilation_w, int32_t count_include_pad)
{
    for (int32_t c = 0; c < channels; c++) {
        const float *in = input + c * in_h * in_w;
        for (int32_t oy = 0; oy < out_h; oy++) {
            const int32_t iy0 = oy * stride_h - pad_top;
            int32_t ky0, ky1, py0, py1;
            eenn_pool_taps(iy0, 0, in_h, kernel_h, dilation_h, &ky0, &ky1);
            eenn_pool_taps(iy0, -pad_top, in_h + pad_bottom, kernel_h, dilation_h, &py0, &py1);
            for (int32_t ox = 0; ox < out_w; ox++) {
                const int32_t ix0 = ox * stride_w - pad_left;
                int32_t kx0, kx1, px0, px1;
                eenn_pool_taps(ix0, 0, in_w, kernel_w, dilation_w, &kx0, &kx1);
                eenn_pool_taps(ix0, -pad_left, in_w + pad_right, kernel_w, dilation_w, &px0, &px1);
                float sum = 0.0f;
                for (int32_t ky = ky0; ky < ky1; ky++) {
                    const float *row = in + (iy0 + ky * dilation_h) * in_w + ix0;
                    for (int32_t kx = kx0; kx < kx1; kx++) {
                        sum += row[kx * dilation_w];
                    }
                }
                const int32_t count = count_include_pad ? (py1 - py0) * (px1 - px0) : (ky1 - ky0) * (kx1 - kx0);
                *output++ = count > 0 ? sum / (float)count : 0.0f;
            }
        }
    }
}

void eenn_pool3d_f32(const float *EENN_RESTRICT input, float *EENN_RESTRICT output, int32_t channels,
                     int32_t in_d, int32_t in_h, int32_t in_w, int32_t out_d, int32_t out_h, int32_t out_w,
                     int32_t kernel_d, int32_t kernel_h, int32_t kernel_w,
                     int32_t stride_d, int32_t stride_h, int32_t stride_w,
                     int32_t pad_front, int32_t pad_top, int32_t pad_left,
                     int32_t pad_back, int32_t pad_bottom, int32_t pad_right,
                     int32_t dilation_d, int32_t dilation_h, int32_t dilation_w,
                     int32_t is_average, int32_t count_include_pad)
{
    for (int32_t c = 0; c < channels; c++) {
        const float *in = input + c * in_d * in_h * in_w;
        for (int32_t od = 0; od < out_d; od++) {
            const int32_t iz0 = od * stride_d - pad_front;
            int32_t kz0, kz1, pz0, pz1;
            eenn_pool_taps(iz0, 0, in_d, kernel_d, dilation_d, &kz0, &kz1);
            eenn_pool_taps(iz0, -pad_front, in_d + pad_back, kernel_d, dilation_d, &pz0, &pz1);
            for (int32_t oy = 0; oy < out_h; oy++) {
                const int32_t iy0 = oy * stride_h - pad_top;
                int32_t ky0, ky1, py0, py1;
                eenn_pool_taps(iy0, 0, in_h, kernel_h, dilation_h, &ky0, &ky1);
                eenn_pool_taps(iy0, -pad_top, in_h + pad_bottom, kernel_h, dilation_h, &py0, &py1);
                for (int32_t ox = 0; ox < out_w; ox++) {
                    const int32_t ix0 = ox * stride_w - pad_left;
                    int32_t kx0, kx1, px0, px1;
                    eenn_pool_taps(ix0, 0, in_w, kernel_w, dilation_w, &kx0, &kx1);
                    eenn_pool_taps(ix0, -pad_left, in_w + pad_right, kernel_w, dilation_w, &px0, &px1);
                    float best = -INFINITY;
                    float sum = 0.0f;
                    for (int32_t kz = kz0; kz < kz1; kz++) {
                        for (int32_t ky = ky0; ky < ky1; ky++) {
                            const float *row = in + ((iz0 + kz * dilation_d) * in_h + iy0 + ky * dilation_h) * in_w + ix0;
                            for (int32_t kx = kx0; kx < kx1; kx++) {
                                const float v = row[kx * dilation_w];
                                sum += v;
                                best = v > best ? v : best;
                            }
                        }
                    }
                    if (is_average) {
                        const int32_t count = count_include_pad ? (pz1 - pz0) * (py1 - py0) * (px1 - px0)
                                                                : (kz1 - kz0) * (ky1 - ky0) * (kx1 - kx0);
                        *output++ = count > 0 ? sum / (float)count : 0.0f;
                    } else {
                        *output++ = best;
                    }
                }
            }
        }
    }
}

void eenn_global_avg_pool_f32(const float *EENN_RESTRICT input, float *EENN_RESTRICT output,
                              int32_t channels, int32_t size)
{
    for (int32_t c = 0; c < channels; c++) {
        float sum = 0.0f;
        for (int32_t i = 0; i < size; i++) {
            sum += input[i];
        }
        output[c] = sum / (float)size;
        input += size;
    }
}

void eenn_global_max_pool_f32(const float *EENN_RESTRICT input, float *EENN_RESTRICT output,
                              int32_t channels, int32_t size)
{
    for (int32_t c = 0; c < channels; c++) {
        float best = -INFINITY;
        for (int32_t i = 0; i < size; i++) {
            best = input[i] > best ? input[i] : best;
        }
        output[c] = best;
        input += size;
    }
}
