/*
 * eenn_conv_s16.c - convolutions of the int16 activations (eenn_kernels_s16.h): int16 input to int16 or int8
 * output (int64 accumulator, eenn_requantize_s64), and int8 input to int16 output (int32 accumulator,
 * eenn_requantize). One loop nest for both: any groups, stride, dilation and padding. Each output pixel first finds
 * its in-bounds taps; with a scratch it gathers its window of a group's channels into an int16 column (0 for padded
 * taps) once, then takes one plain dot product per output channel; without one (NULL) each output channel reads
 * the window in place. A depthwise layer of int16 input (one input channel per group) always reads in place,
 * channel by channel.
 */
#include "eenn_kernels_s16.h"
#include "eenn_nn_support_s8.h"

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

/** Products of an int16 and an int8 value summed in int32 at most this many at a time (a multiple of 4, the DSP
    loop's step): |x * w| <= 2^22, so the partial sum stays within 2^30 before it joins the int64 accumulator. */
#define EENN_S16_PARTIAL_TAPS 256

#if EENN_HAS_DSP
/* The column order the DSP dot product reads: each whole group of four values x0 x1 x2 x3 as x0 x2 x1 x3, so that
   one word holds the halves SXTB16 makes of four weights' bytes 0 and 2, the next those of bytes 1 and 3. */
static void eenn_pair_column_s16(int16_t *column, int32_t depth)
{
    for (int32_t i = 0; i + 4 <= depth; i += 4) {
        const int16_t x1 = column[i + 1];
        column[i + 1] = column[i + 2];
        column[i + 2] = x1;
    }
}
#endif

/* sum x[i] * w[i] over `depth` values of a column (in eenn_pair_column_s16's order on DSP), exact in int64. */
static int64_t eenn_dot_s16_s8(const int16_t *x, const int8_t *w, int32_t depth)
{
    int64_t acc = 0;
    while (depth > 0) {
        const int32_t n = depth < EENN_S16_PARTIAL_TAPS ? depth : EENN_S16_PARTIAL_TAPS;
        int32_t partial = 0;
        int32_t i = 0;
#if EENN_HAS_DSP
        for (; i + 4 <= n; i += 4) {
            const uint32_t weights = eenn_read_u32(w + i);
            partial = __smlad((int32_t)eenn_read_u32(x + i), __sxtb16((int32_t)weights), partial);
            partial = __smlad((int32_t)eenn_read_u32(x + i + 2), eenn_sxtb16_ror8_s8(weights), partial);
        }
#else
        for (; i + 4 <= n; i += 4) {
            partial += x[i] * w[i] + x[i + 1] * w[i + 1] + x[i + 2] * w[i + 2] + x[i + 3] * w[i + 3];
        }
#endif
        for (; i < n; i++) {
            partial += x[i] * w[i];
        }
        acc += partial;
        x += n;
        w += n;
        depth -= n;
    }
    return acc;
}

/* The input of a convolution: int16 values, or int8 values plus input_offset (one of the two pointers is NULL). */
typedef struct
{
    const int16_t *s16;
    const int8_t *s8;
    int32_t offset;
} eenn_conv_input_s16;

/* Value i of the input, widened (int8 values with the input offset added). */
static inline int32_t eenn_input_value_s16(eenn_conv_input_s16 in, int32_t i)
{
    return in.s16 != NULL ? in.s16[i] : in.s8[i] + in.offset;
}

/* Gathers the window (taps t, at iy0, ix0) of channels [first, first + count) into `column` in weight-row order:
   count * kernel_h * kernel_w values, 0 for each padded tap. */
static void eenn_gather_column_s16(eenn_conv_input_s16 in, int16_t *column, int32_t first, int32_t count,
                                   int32_t in_h, int32_t in_w, int32_t kernel_h, int32_t kernel_w,
                                   int32_t iy0, int32_t ix0, int32_t dilation_h, int32_t dilation_w, eenn_taps_s16 t)
{
    for (int32_t c = 0; c < count; c++) {
        const int32_t plane = (first + c) * in_h * in_w;
        for (int32_t ky = 0; ky < kernel_h; ky++) {
            if (ky < t.ky0 || ky >= t.ky1) {
                for (int32_t kx = 0; kx < kernel_w; kx++) {
                    *column++ = 0;
                }
                continue;
            }
            const int32_t line = plane + (iy0 + ky * dilation_h) * in_w + ix0;
            int32_t kx = 0;
            for (; kx < t.kx0; kx++) {
                *column++ = 0;
            }
            if (in.s16 != NULL) {
                const int16_t *x = in.s16 + line + kx * dilation_w;
                for (; kx < t.kx1; kx++, x += dilation_w) {
                    *column++ = *x;
                }
            } else {
                const int8_t *x = in.s8 + line + kx * dilation_w;
                for (; kx < t.kx1; kx++, x += dilation_w) {
                    *column++ = (int16_t)(*x + in.offset);
                }
            }
            for (; kx < kernel_w; kx++) {
                *column++ = 0;
            }
        }
    }
}

/* The sum of x * w over the in-bounds taps of channels [first, first + count) of one window, read in place. */
static int64_t eenn_window_dot_s16(eenn_conv_input_s16 in, const int8_t *row, int32_t first, int32_t count,
                                   int32_t in_h, int32_t in_w, int32_t kernel_h, int32_t kernel_w,
                                   int32_t iy0, int32_t ix0, int32_t dilation_h, int32_t dilation_w, eenn_taps_s16 t)
{
    int64_t acc = 0;
    for (int32_t c = 0; c < count; c++) {
        const int32_t plane = (first + c) * in_h * in_w;
        const int8_t *taps = row + c * kernel_h * kernel_w;
        for (int32_t ky = t.ky0; ky < t.ky1; ky++) {
            const int32_t line = plane + (iy0 + ky * dilation_h) * in_w + ix0;
            for (int32_t kx = t.kx0; kx < t.kx1; kx++) {
                acc += eenn_input_value_s16(in, line + kx * dilation_w) * taps[ky * kernel_w + kx];
            }
        }
    }
    return acc;
}

/* The output stage: how the accumulator of channel m becomes an int16 or int8 output. */
typedef struct
{
    int16_t *s16;
    int8_t *s8;
    int wide_input; /* 1: eenn_requantize_s64 (int16 input); 0: eenn_requantize (int8 input) */
    int32_t offset;
    const int32_t *multiplier;
    const int32_t *shift;
    int32_t act_min, act_max;
} eenn_conv_output_s16;

/* Requantize, offset, clamp and store the accumulator of channel m at output element `at`. */
static inline void eenn_store_s16(const eenn_conv_output_s16 *out, int64_t acc, int32_t m, int32_t at)
{
    int64_t y;
    if (out->wide_input) {
        y = eenn_requantize_s64(acc, out->multiplier[m], out->shift[m]) + out->offset;
    } else {
        y = eenn_requantize((int32_t)acc, out->multiplier[m], out->shift[m]) + out->offset;
    }
    y = y < out->act_min ? out->act_min : y > out->act_max ? out->act_max
                                                           : y;
    if (out->s16 != NULL) {
        out->s16[at] = (int16_t)y;
    } else {
        out->s8[at] = (int8_t)y;
    }
}

/* One input channel per group (depthwise, any channel multiplier) of int16 input: channel by channel, each output
   summing its in-bounds taps in place (no column: a window of one channel is too short to pay for gathering). */
static void eenn_depthwise_s16(const int16_t *input, const int8_t *weights, const int64_t *bias,
                               const eenn_conv_output_s16 *out, int32_t batches, int32_t in_c, int32_t in_h,
                               int32_t in_w, int32_t out_c, int32_t out_h, int32_t out_w, int32_t kernel_h,
                               int32_t kernel_w, int32_t stride_h, int32_t stride_w, int32_t pad_top, int32_t pad_left,
                               int32_t dilation_h, int32_t dilation_w)
{
    const int32_t multiplier = out_c / in_c;
    int32_t at = 0;
    for (int32_t n = 0; n < batches; n++) {
        for (int32_t m = 0; m < out_c; m++) {
            const int16_t *plane = input + (n * in_c + m / multiplier) * in_h * in_w;
            const int8_t *taps = weights + m * kernel_h * kernel_w;
            const int64_t b = bias != NULL ? bias[m] : 0;
            for (int32_t oy = 0; oy < out_h; oy++) {
                const int32_t iy0 = oy * stride_h - pad_top;
                for (int32_t ox = 0; ox < out_w; ox++, at++) {
                    const int32_t ix0 = ox * stride_w - pad_left;
                    const eenn_taps_s16 t =
                        eenn_pixel_taps_s16(iy0, ix0, in_h, in_w, kernel_h, kernel_w, dilation_h, dilation_w);
                    int32_t acc = 0; /* at most kernel_h * kernel_w products of |p| <= 2^22 (checked by the caller) */
                    for (int32_t ky = t.ky0; ky < t.ky1; ky++) {
                        const int16_t *x = plane + (iy0 + ky * dilation_h) * in_w + ix0 + t.kx0 * dilation_w;
                        const int8_t *w = taps + ky * kernel_w + t.kx0;
                        for (int32_t kx = t.kx0; kx < t.kx1; kx++, x += dilation_w) {
                            acc += *x * *w++;
                        }
                    }
                    eenn_store_s16(out, b + acc, m, at);
                }
            }
        }
    }
}

/* Every convolution of this file: bias int64 (int16 input) or int32 (int8 input), one of them NULL or both. */
static void eenn_conv2d_any_s16(eenn_conv_input_s16 in, const int8_t *weights, const int64_t *bias64,
                                const int32_t *bias32, const eenn_conv_output_s16 *out, void *scratch,
                                int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                                int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                                int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                                int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w)
{
    const int32_t group_in = in_c / groups;
    const int32_t group_out = out_c / groups;
    const int32_t depth = group_in * kernel_h * kernel_w;
    const int32_t out_plane = out_h * out_w;
    int16_t *column = (int16_t *)scratch;
    if (group_in == 1 && in.s16 != NULL && depth <= EENN_S16_PARTIAL_TAPS) {
        eenn_depthwise_s16(in.s16, weights, bias64, out, batches, in_c, in_h, in_w, out_c, out_h, out_w, kernel_h, kernel_w,
                           stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w);
        return;
    }
    for (int32_t n = 0; n < batches; n++) {
        eenn_conv_input_s16 image = in;
        if (in.s16 != NULL) {
            image.s16 += n * in_c * in_h * in_w;
        } else {
            image.s8 += n * in_c * in_h * in_w;
        }
        /* Pixel by pixel, each pixel's in-bounds taps found once for every group (64 groups of a depthwise layer). */
        for (int32_t p = 0, oy = 0; oy < out_h; oy++) {
            const int32_t iy0 = oy * stride_h - pad_top;
            for (int32_t ox = 0; ox < out_w; ox++, p++) {
                const int32_t ix0 = ox * stride_w - pad_left;
                const eenn_taps_s16 t = eenn_pixel_taps_s16(iy0, ix0, in_h, in_w, kernel_h, kernel_w, dilation_h, dilation_w);
                for (int32_t g = 0; g < groups; g++) {
                    if (column != NULL) {
                        eenn_gather_column_s16(image, column, g * group_in, group_in, in_h, in_w, kernel_h, kernel_w, iy0,
                                               ix0, dilation_h, dilation_w, t);
#if EENN_HAS_DSP
                        eenn_pair_column_s16(column, depth);
#endif
                    }
                    for (int32_t m = g * group_out; m < (g + 1) * group_out; m++) {
                        const int8_t *row = weights + m * depth;
                        int64_t acc = bias64 != NULL ? bias64[m] : bias32 != NULL ? bias32[m]
                                                                                  : 0;
                        acc += column != NULL ? eenn_dot_s16_s8(column, row, depth)
                                              : eenn_window_dot_s16(image, row, g * group_in, group_in, in_h, in_w,
                                                                    kernel_h, kernel_w, iy0, ix0, dilation_h, dilation_w, t);
                        eenn_store_s16(out, acc, m, (n * out_c + m) * out_plane + p);
                    }
                }
            }
        }
    }
}

void eenn_conv2d_s16(const int16_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                     const int64_t *EENN_RESTRICT bias, int16_t *EENN_RESTRICT output, void *EENN_RESTRICT scratch,
                     int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                     int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                     int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                     int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                     const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                     int32_t act_min, int32_t act_max)
{
    const eenn_conv_input_s16 in = { input, NULL, 0 };
    const eenn_conv_output_s16 out = { output, NULL, 1, 0, output_multiplier, output_shift, act_min, act_max };
    eenn_conv2d_any_s16(in, weights, bias, NULL, &out, scratch, batches, in_c, in_h, in_w, out_c, out_h, out_w, groups,
                        kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w);
}

void eenn_conv2d_s16_s8(const int16_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                        const int64_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output, void *EENN_RESTRICT scratch,
                        int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                        int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                        int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                        int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                        int32_t output_offset,
                        const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                        int32_t act_min, int32_t act_max)
{
    const eenn_conv_input_s16 in = { input, NULL, 0 };
    const eenn_conv_output_s16 out = { NULL, output, 1, output_offset, output_multiplier, output_shift, act_min, act_max };
    eenn_conv2d_any_s16(in, weights, bias, NULL, &out, scratch, batches, in_c, in_h, in_w, out_c, out_h, out_w, groups,
                        kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w);
}

void eenn_conv2d_s8_s16(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                        const int32_t *EENN_RESTRICT bias, int16_t *EENN_RESTRICT output, void *EENN_RESTRICT scratch,
                        int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                        int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                        int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                        int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                        int32_t input_offset,
                        const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                        int32_t act_min, int32_t act_max)
{
    const eenn_conv_input_s16 in = { NULL, input, input_offset };
    const eenn_conv_output_s16 out = { output, NULL, 0, 0, output_multiplier, output_shift, act_min, act_max };
    eenn_conv2d_any_s16(in, weights, NULL, bias, &out, scratch, batches, in_c, in_h, in_w, out_c, out_h, out_w, groups,
                        kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w);
}
