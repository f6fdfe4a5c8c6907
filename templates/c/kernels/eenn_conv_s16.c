/*
 * eenn_conv_s16.c - convolutions of the int16 activations (eenn_kernels_s16.h): int16 input to int16 or int8
 * output (int64 accumulator, eenn_requantize_s64), and int8 input to int16 output (int32 accumulator,
 * eenn_requantize). One general loop nest each: any groups, stride, dilation and padding; each output pixel first
 * finds its in-bounds taps, so that the multiply loops test no bounds (padded taps add nothing).
 */
#include "eenn_kernels_s16.h"

/** The output's element type: int16 or int8. */
typedef enum
{
    EENN_OUT_S16,
    EENN_OUT_S8
} eenn_out_width;

/* The taps [*first, *end) of a window axis whose tap k reads origin + k * dilation, that fall inside [0, size). */
static inline void eenn_window_taps_s16(int32_t origin, int32_t size, int32_t kernel, int32_t dilation, int32_t *first,
                                        int32_t *end)
{
    int32_t k0 = 0;
    int32_t k1 = kernel;
    if (origin < 0) {
        k0 = (-origin + dilation - 1) / dilation;
    }
    if (origin + (kernel - 1) * dilation >= size) {
        k1 = size > origin ? (size - origin + dilation - 1) / dilation : 0;
    }
    *first = k0;
    *end = k1 < k0 ? k0 : k1;
}

/* The in-bounds taps of one output pixel: rows [ky0, ky1) and columns [kx0, kx1) of the window at (iy0, ix0). */
typedef struct
{
    int32_t ky0, ky1, kx0, kx1;
} eenn_taps_s16;

static inline eenn_taps_s16 eenn_pixel_taps_s16(int32_t iy0, int32_t ix0, int32_t in_h, int32_t in_w, int32_t kernel_h,
                                                int32_t kernel_w, int32_t dilation_h, int32_t dilation_w)
{
    eenn_taps_s16 taps;
    eenn_window_taps_s16(iy0, in_h, kernel_h, dilation_h, &taps.ky0, &taps.ky1);
    eenn_window_taps_s16(ix0, in_w, kernel_w, dilation_w, &taps.kx0, &taps.kx1);
    return taps;
}

/* The sum of x * w over the in-bounds taps of one output of int16 input (without the bias). */
static int64_t eenn_conv_taps_s16(const int16_t *group_input, const int8_t *row, int32_t group_in,
                                  int32_t in_h, int32_t in_w, int32_t kernel_h, int32_t kernel_w,
                                  int32_t iy0, int32_t ix0, int32_t dilation_h, int32_t dilation_w, eenn_taps_s16 t)
{
    int64_t acc = 0;
    for (int32_t c = 0; c < group_in; c++) {
        const int16_t *channel = group_input + c * in_h * in_w;
        const int8_t *taps = row + c * kernel_h * kernel_w;
        for (int32_t ky = t.ky0; ky < t.ky1; ky++) {
            const int16_t *x = channel + (iy0 + ky * dilation_h) * in_w + ix0 + t.kx0 * dilation_w;
            const int8_t *w = taps + ky * kernel_w + t.kx0;
            for (int32_t kx = t.kx0; kx < t.kx1; kx++) {
                acc += (int32_t)*x * (int32_t)*w++;
                x += dilation_w;
            }
        }
    }
    return acc;
}

/* eenn_conv2d_s16 and eenn_conv2d_s16_s8: `output` holds int16 or int8 values as `width` says. */
static void eenn_conv2d_s16_any(const int16_t *input, const int8_t *weights, const int64_t *bias, void *output,
                                eenn_out_width width, int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                                int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                                int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                                int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                                int32_t output_offset, const int32_t *output_multiplier, const int32_t *output_shift,
                                int32_t act_min, int32_t act_max)
{
    const int32_t group_in = in_c / groups;
    const int32_t group_out = out_c / groups;
    const int32_t in_plane = in_h * in_w;
    const int32_t out_plane = out_h * out_w;
    int16_t *out16 = (int16_t *)output;
    int8_t *out8 = (int8_t *)output;
    int32_t at = 0;
    for (int32_t n = 0; n < batches; n++) {
        const int16_t *image = input + n * in_c * in_plane;
        for (int32_t m = 0; m < out_c; m++) {
            const int16_t *group_input = image + (m / group_out) * group_in * in_plane;
            const int8_t *row = weights + m * group_in * kernel_h * kernel_w;
            const int64_t b = bias != NULL ? bias[m] : 0;
            for (int32_t p = 0; p < out_plane; p++, at++) {
                const int32_t iy0 = (p / out_w) * stride_h - pad_top;
                const int32_t ix0 = (p % out_w) * stride_w - pad_left;
                const eenn_taps_s16 t = eenn_pixel_taps_s16(iy0, ix0, in_h, in_w, kernel_h, kernel_w, dilation_h, dilation_w);
                const int64_t acc = b + eenn_conv_taps_s16(group_input, row, group_in, in_h, in_w, kernel_h, kernel_w,
                                                           iy0, ix0, dilation_h, dilation_w, t);
                int64_t y = eenn_requantize_s64(acc, output_multiplier[m], output_shift[m]) + output_offset;
                y = y < act_min ? act_min : y > act_max ? act_max : y;
                if (width == EENN_OUT_S16) {
                    out16[at] = (int16_t)y;
                } else {
                    out8[at] = (int8_t)y;
                }
            }
        }
    }
}

void eenn_conv2d_s16(const int16_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                     const int64_t *EENN_RESTRICT bias, int16_t *EENN_RESTRICT output,
                     int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                     int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                     int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                     int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                     const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                     int32_t act_min, int32_t act_max)
{
    eenn_conv2d_s16_any(input, weights, bias, output, EENN_OUT_S16, batches, in_c, in_h, in_w, out_c, out_h, out_w,
                        groups, kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w, 0,
                        output_multiplier, output_shift, act_min, act_max);
}

void eenn_conv2d_s16_s8(const int16_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                        const int64_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                        int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                        int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                        int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                        int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                        int32_t output_offset,
                        const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                        int32_t act_min, int32_t act_max)
{
    eenn_conv2d_s16_any(input, weights, bias, output, EENN_OUT_S8, batches, in_c, in_h, in_w, out_c, out_h, out_w,
                        groups, kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w,
                        output_offset, output_multiplier, output_shift, act_min, act_max);
}

void eenn_conv2d_s8_s16(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                        const int32_t *EENN_RESTRICT bias, int16_t *EENN_RESTRICT output,
                        int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                        int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                        int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                        int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                        int32_t input_offset,
                        const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                        int32_t act_min, int32_t act_max)
{
    const int32_t group_in = in_c / groups;
    const int32_t group_out = out_c / groups;
    const int32_t in_plane = in_h * in_w;
    const int32_t out_plane = out_h * out_w;
    for (int32_t n = 0; n < batches; n++) {
        const int8_t *image = input + n * in_c * in_plane;
        for (int32_t m = 0; m < out_c; m++) {
            const int8_t *group_input = image + (m / group_out) * group_in * in_plane;
            const int8_t *row = weights + m * group_in * kernel_h * kernel_w;
            for (int32_t p = 0; p < out_plane; p++) {
                const int32_t iy0 = (p / out_w) * stride_h - pad_top;
                const int32_t ix0 = (p % out_w) * stride_w - pad_left;
                const eenn_taps_s16 t = eenn_pixel_taps_s16(iy0, ix0, in_h, in_w, kernel_h, kernel_w, dilation_h, dilation_w);
                int32_t acc = bias != NULL ? bias[m] : 0;
                for (int32_t c = 0; c < group_in; c++) {
                    const int8_t *channel = group_input + c * in_plane;
                    const int8_t *taps = row + c * kernel_h * kernel_w;
                    for (int32_t ky = t.ky0; ky < t.ky1; ky++) {
                        const int8_t *x = channel + (iy0 + ky * dilation_h) * in_w + ix0 + t.kx0 * dilation_w;
                        const int8_t *w = taps + ky * kernel_w + t.kx0;
                        for (int32_t kx = t.kx0; kx < t.kx1; kx++) {
                            acc += ((int32_t)*x + input_offset) * *w++;
                            x += dilation_w;
                        }
                    }
                }
                const int32_t y = eenn_requantize(acc, output_multiplier[m], output_shift[m]);
                output[(n * out_c + m) * out_plane + p] = (int16_t)eenn_clamp_s32(y, act_min, act_max);
            }
        }
    }
}
