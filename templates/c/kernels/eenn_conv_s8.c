/*
 * eenn_conv_s8.c - int8 convolutions (NCHW): general (any groups, 1-D and 2-D), depthwise and transposed.
 *
 * The portable path of each kernel. Every output pixel first clips its tap window to the input, so the inner
 * loops never test for padding (a padded tap adds nothing, as the int8 dialect says); the general kernel
 * computes 4 output channels together from weights the compiler packed like the float32 ones, so each input
 * value loaded (and offset once) feeds 4 multiply-accumulates, and interior pixels go in pairs so that each weight
 * loaded feeds 2 (8 accumulators); the 1x1 kernel computes 4 channels of 2 pixels together as well. Output stage: eenn_requantize_s8.
 */
#include "eenn_kernels_s8.h"

/* Taps k in [0, kernel) with 0 <= origin + k * dilation < size, as [*first, *end). */
static inline void eenn_tap_range_s8(int32_t origin, int32_t size, int32_t kernel, int32_t dilation,
                                     int32_t *first, int32_t *end)
{
    int32_t k0 = 0;
    int32_t k1 = kernel;
    if (origin < 0) {
        k0 = (-origin + dilation - 1) / dilation;
    }
    if (origin + (kernel - 1) * dilation >= size) {
        k1 = size - origin > 0 ? (size - origin + dilation - 1) / dilation : 0;
    }
    if (k1 < k0) {
        k1 = k0;
    }
    *first = k0;
    *end = k1;
}

/*
 * One output pixel of 4 channels. x points at the input (first channel of the group, first valid row and
 * column), w at the packed weights of the first valid tap; taps rows [0, rows), columns [0, cols).
 */
static inline void eenn_conv_pixel4_s8(const int8_t *EENN_RESTRICT x, const int8_t *EENN_RESTRICT w, int32_t acc[4],
                                       int32_t channels, int32_t rows, int32_t cols, int32_t in_row_step,
                                       int32_t in_channel_step, int32_t dilation_w, int32_t w_row_step,
                                       int32_t w_channel_step, int32_t input_offset)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int32_t c = 0; c < channels; c++) {
        const int8_t *xr = x;
        const int8_t *wr = w;
        for (int32_t ky = 0; ky < rows; ky++) {
            const int8_t *xp = xr;
            const int8_t *wp = wr;
            for (int32_t kx = 0; kx < cols; kx++) {
                const int32_t v = (int32_t)*xp + input_offset;
                a0 += v * wp[0];
                a1 += v * wp[1];
                a2 += v * wp[2];
                a3 += v * wp[3];
                xp += dilation_w;
                wp += 4;
            }
            xr += in_row_step;
            wr += w_row_step;
        }
        x += in_channel_step;
        w += w_channel_step;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* First and past-the-end output positions whose whole window is inside the input (no clipping). */
static inline void eenn_interior_range_s8(int32_t out_size, int32_t in_size, int32_t kernel, int32_t stride,
                                          int32_t pad, int32_t dilation, int32_t *first, int32_t *end)
{
    const int32_t span = (kernel - 1) * dilation + 1;
    int32_t lo = (pad + stride - 1) / stride;
    int32_t hi = in_size + pad - span >= 0 ? (in_size + pad - span) / stride + 1 : 0;
    if (hi > out_size) {
        hi = out_size;
    }
    if (lo > hi) {
        lo = hi;
    }
    *first = lo;
    *end = hi;
}

/*
 * Two horizontally adjacent output pixels (input origins x and x + pixel_step) of 4 channels, full window
 * (cols = kernel_w): each packed weight loaded feeds 2 multiply-accumulates, each input value 4.
 */
static inline void eenn_conv_pair4_s8(const int8_t *EENN_RESTRICT x, const int8_t *EENN_RESTRICT w, int32_t acc[8],
                                      int32_t channels, int32_t rows, int32_t cols, int32_t pixel_step,
                                      int32_t in_row_step, int32_t in_channel_step, int32_t dilation_w,
                                      int32_t input_offset)
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    for (int32_t c = 0; c < channels; c++) {
        const int8_t *xr = x;
        for (int32_t ky = 0; ky < rows; ky++) {
            const int8_t *xp = xr;
            for (int32_t kx = 0; kx < cols; kx++) {
                const int32_t u = (int32_t)xp[0] + input_offset;
                const int32_t v = (int32_t)xp[pixel_step] + input_offset;
                const int32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
                a0 += u * w0;
                a1 += u * w1;
                a2 += u * w2;
                a3 += u * w3;
                b0 += v * w0;
                b1 += v * w1;
                b2 += v * w2;
                b3 += v * w3;
                xp += dilation_w;
                w += 4;
            }
            xr += in_row_step;
        }
        x += in_channel_step;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    acc[4] = b0;
    acc[5] = b1;
    acc[6] = b2;
    acc[7] = b3;
}

/* One output pixel of one channel (weights not interleaved). */
static inline int32_t eenn_conv_pixel1_s8(const int8_t *EENN_RESTRICT x, const int8_t *EENN_RESTRICT w,
                                          int32_t channels, int32_t rows, int32_t cols, int32_t in_row_step,
                                          int32_t in_channel_step, int32_t dilation_w, int32_t w_row_step,
                                          int32_t w_channel_step, int32_t input_offset)
{
    int32_t acc = 0;
    for (int32_t c = 0; c < channels; c++) {
        const int8_t *xr = x;
        const int8_t *wr = w;
        for (int32_t ky = 0; ky < rows; ky++) {
            const int8_t *xp = xr;
            for (int32_t kx = 0; kx < cols; kx++) {
                acc += ((int32_t)*xp + input_offset) * wr[kx];
                xp += dilation_w;
            }
            xr += in_row_step;
            wr += w_row_step;
        }
        x += in_channel_step;
        w += w_channel_step;
    }
    return acc;
}

void eenn_conv2d_s8(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                    const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                    int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                    int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                    int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                    int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                    int32_t input_offset, int32_t output_offset,
                    const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                    int32_t act_min, int32_t act_max)
{
    const int32_t group_in = in_c / groups;
    const int32_t group_out = out_c / groups;
    const int32_t in_size = in_h * in_w;
    const int32_t out_size = out_h * out_w;
    const int32_t taps = kernel_h * kernel_w;
    const int32_t filter_size = group_in * taps; /* weights per output channel */
    const int32_t in_row_step = dilation_h * in_w;
    int32_t ox_first, ox_end;
    eenn_interior_range_s8(out_w, in_w, kernel_w, stride_w, pad_left, dilation_w, &ox_first, &ox_end);

    for (int32_t n = 0; n < batches; n++) {
        for (int32_t g = 0; g < groups; g++) {
            const int8_t *in_g = input + (n * in_c + g * group_in) * in_size;
            for (int32_t m = 0; m < group_out;) {
                const int32_t oc = g * group_out + m;
                const int8_t *w_m = weights + oc * filter_size;
                int8_t *out_m = output + (n * out_c + oc) * out_size;
                const int32_t block = group_out - m >= 4 ? 4 : 1;
                for (int32_t oy = 0; oy < out_h; oy++) {
                    const int32_t iy0 = oy * stride_h - pad_top;
                    int32_t ky0, ky1;
                    eenn_tap_range_s8(iy0, in_h, kernel_h, dilation_h, &ky0, &ky1);
                    const int8_t *in_row = in_g + (iy0 + ky0 * dilation_h) * in_w;
                    int8_t *out_px = out_m + oy * out_w;
                    for (int32_t ox = 0; ox < out_w; ox++) {
                        const int32_t ix0 = ox * stride_w - pad_left;
                        if (block == 4 && ky1 - ky0 == kernel_h && ox >= ox_first && ox + 1 < ox_end) {
                            int32_t acc[8];
                            eenn_conv_pair4_s8(in_row + ix0, w_m, acc, group_in, kernel_h, kernel_w, stride_w,
                                               in_row_step, in_size, dilation_w, input_offset);
                            for (int32_t i = 0; i < 4; i++) {
                                const int32_t b = bias != NULL ? bias[oc + i] : 0;
                                int8_t *o = out_px + i * out_size + ox;
                                o[0] = eenn_requantize_s8(eenn_add_wrap_s32(acc[i], b), output_multiplier[oc + i],
                                                          output_shift[oc + i], output_offset, act_min, act_max);
                                o[1] = eenn_requantize_s8(eenn_add_wrap_s32(acc[4 + i], b), output_multiplier[oc + i],
                                                          output_shift[oc + i], output_offset, act_min, act_max);
                            }
                            ox++;
                            continue;
                        }
                        int32_t kx0, kx1;
                        eenn_tap_range_s8(ix0, in_w, kernel_w, dilation_w, &kx0, &kx1);
                        const int8_t *x = in_row + ix0 + kx0 * dilation_w;
                        if (block == 4) {
                            int32_t acc[4] = { 0, 0, 0, 0 };
                            eenn_conv_pixel4_s8(x, w_m + (ky0 * kernel_w + kx0) * 4, acc, group_in, ky1 - ky0,
                                                kx1 - kx0, in_row_step, in_size, dilation_w, kernel_w * 4, taps * 4,
                                                input_offset);
                            for (int32_t i = 0; i < 4; i++) {
                                const int32_t sum = bias != NULL ? eenn_add_wrap_s32(acc[i], bias[oc + i]) : acc[i];
                                out_px[i * out_size + ox] = eenn_requantize_s8(
                                    sum, output_multiplier[oc + i], output_shift[oc + i], output_offset, act_min, act_max);
                            }
                        } else {
                            const int32_t acc = eenn_conv_pixel1_s8(x, w_m + ky0 * kernel_w + kx0, group_in, ky1 - ky0,
                                                                    kx1 - kx0, in_row_step, in_size, dilation_w,
                                                                    kernel_w, taps, input_offset);
                            const int32_t sum = bias != NULL ? eenn_add_wrap_s32(acc, bias[oc]) : acc;
                            out_px[ox] = eenn_requantize_s8(sum, output_multiplier[oc], output_shift[oc],
                                                            output_offset, act_min, act_max);
                        }
                    }
                }
                m += block;
            }
        }
    }
}

void eenn_conv2d_1x1_s8(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                        const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                        int32_t batches, int32_t in_c, int32_t size, int32_t out_c,
                        int32_t input_offset, int32_t output_offset,
                        const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                        int32_t act_min, int32_t act_max)
{
    for (int32_t n = 0; n < batches; n++) {
        const int8_t *in = input + n * in_c * size;
        int8_t *out = output + n * out_c * size;
        int32_t m = 0;
        for (; m + 4 <= out_c; m += 4) {
            const int8_t *w_m = weights + m * in_c; /* [in_c][4] */
            int32_t p = 0;
            /* 4 output channels x 2 pixels: each weight loaded feeds 2 multiply-accumulates, each input 4. */
            for (; p + 2 <= size; p += 2) {
                int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
                const int8_t *x = in + p;
                const int8_t *w = w_m;
                for (int32_t c = 0; c < in_c; c++) {
                    const int32_t u = (int32_t)x[0] + input_offset;
                    const int32_t v = (int32_t)x[1] + input_offset;
                    const int32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
                    a0 += u * w0;
                    a1 += u * w1;
                    a2 += u * w2;
                    a3 += u * w3;
                    b0 += v * w0;
                    b1 += v * w1;
                    b2 += v * w2;
                    b3 += v * w3;
                    x += size;
                    w += 4;
                }
                const int32_t acc[8] = { a0, a1, a2, a3, b0, b1, b2, b3 };
                for (int32_t i = 0; i < 4; i++) {
                    const int32_t b = bias != NULL ? bias[m + i] : 0;
                    int8_t *o = out + (m + i) * size + p;
                    o[0] = eenn_requantize_s8(eenn_add_wrap_s32(acc[i], b), output_multiplier[m + i], output_shift[m + i],
                                              output_offset, act_min, act_max);
                    o[1] = eenn_requantize_s8(eenn_add_wrap_s32(acc[4 + i], b), output_multiplier[m + i],
                                              output_shift[m + i], output_offset, act_min, act_max);
                }
            }
            for (; p < size; p++) {
                int32_t acc[4] = { 0, 0, 0, 0 };
                eenn_conv_pixel4_s8(in + p, w_m, acc, in_c, 1, 1, 0, size, 1, 4, 4, input_offset);
                for (int32_t i = 0; i < 4; i++) {
                    const int32_t b = bias != NULL ? bias[m + i] : 0;
                    out[(m + i) * size + p] = eenn_requantize_s8(eenn_add_wrap_s32(acc[i], b), output_multiplier[m + i],
                                                                 output_shift[m + i], output_offset, act_min, act_max);
                }
            }
        }
        for (; m < out_c; m++) {
            const int8_t *w = weights + m * in_c;
            const int32_t b = bias != NULL ? bias[m] : 0;
            for (int32_t p = 0; p < size; p++) {
                int32_t acc = 0;
                for (int32_t c = 0; c < in_c; c++) {
                    acc += ((int32_t)in[c * size + p] + input_offset) * w[c];
                }
                out[m * size + p] = eenn_requantize_s8(eenn_add_wrap_s32(acc, b), output_multiplier[m], output_shift[m],
                                                       output_offset, act_min, act_max);
            }
        }
    }
}

void eenn_depthwise_conv2d_s8(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                              const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                              int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                              int32_t multiplier, int32_t out_h, int32_t out_w,
                              int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                              int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                              int32_t input_offset, int32_t output_offset,
                              const int32_t *EENN_RESTRICT output_multiplier,
                              const int32_t *EENN_RESTRICT output_shift, int32_t act_min, int32_t act_max)
{
    const int32_t out_c = in_c * multiplier;
    const int32_t in_size = in_h * in_w;
    const int32_t taps = kernel_h * kernel_w;
    const int32_t is_3x3 = kernel_h == 3 && kernel_w == 3 && dilation_h == 1 && dilation_w == 1;
    int32_t ox_first, ox_end;
    eenn_interior_range_s8(out_w, in_w, kernel_w, stride_w, pad_left, dilation_w, &ox_first, &ox_end);
    for (int32_t n = 0; n < batches; n++) {
        for (int32_t oc = 0; oc < out_c; oc++) {
            const int8_t *in_c_plane = input + (n * in_c + oc / multiplier) * in_size;
            const int8_t *w = weights + oc * taps;
            const int32_t b = bias != NULL ? bias[oc] : 0;
            const int32_t mult = output_multiplier[oc];
            const int32_t shift = output_shift[oc];
            int8_t *out = output + (n * out_c + oc) * out_h * out_w;
            for (int32_t oy = 0; oy < out_h; oy++) {
                const int32_t iy0 = oy * stride_h - pad_top;
                int32_t ky0, ky1;
                eenn_tap_range_s8(iy0, in_h, kernel_h, dilation_h, &ky0, &ky1);
                for (int32_t ox = 0; ox < out_w; ox++) {
                    const int32_t ix0 = ox * stride_w - pad_left;
                    if (is_3x3 && ky1 - ky0 == 3 && ox >= ox_first && ox < ox_end) {
                        /* A whole 3x3 window inside the input: the 9 taps unrolled, no clipping. */
                        const int8_t *r0 = in_c_plane + iy0 * in_w + ix0;
                        const int8_t *r1 = r0 + in_w;
                        const int8_t *r2 = r1 + in_w;
                        const int32_t acc = ((int32_t)r0[0] + input_offset) * w[0] + ((int32_t)r0[1] + input_offset) * w[1] +
                                            ((int32_t)r0[2] + input_offset) * w[2] + ((int32_t)r1[0] + input_offset) * w[3] +
                                            ((int32_t)r1[1] + input_offset) * w[4] + ((int32_t)r1[2] + input_offset) * w[5] +
                                            ((int32_t)r2[0] + input_offset) * w[6] + ((int32_t)r2[1] + input_offset) * w[7] +
                                            ((int32_t)r2[2] + input_offset) * w[8];
                        *out++ = eenn_requantize_s8(eenn_add_wrap_s32(acc, b), mult, shift, output_offset, act_min, act_max);
                        continue;
                    }
                    int32_t kx0, kx1;
                    eenn_tap_range_s8(ix0, in_w, kernel_w, dilation_w, &kx0, &kx1);
                    int32_t acc = 0;
                    for (int32_t ky = ky0; ky < ky1; ky++) {
                        const int8_t *row = in_c_plane + (iy0 + ky * dilation_h) * in_w + ix0;
                        const int8_t *wr = w + ky * kernel_w;
                        for (int32_t kx = kx0; kx < kx1; kx++) {
                            acc += ((int32_t)row[kx * dilation_w] + input_offset) * wr[kx];
                        }
                    }
                    *out++ = eenn_requantize_s8(eenn_add_wrap_s32(acc, b), mult, shift, output_offset, act_min, act_max);
                }
            }
        }
    }
}

/* Taps k in [0, kernel) through which output position o reads an input position (o + pad - k * dilation) / stride
   inside [0, size) with no remainder; the input position of each such tap goes to in_pos[k], -1 otherwise. */
static inline void eenn_transpose_taps_s8(int32_t o, int32_t pad, int32_t size, int32_t kernel, int32_t stride,
                                          int32_t dilation, int32_t *in_pos)
{
    for (int32_t k = 0; k < kernel; k++) {
        const int32_t t = o + pad - k * dilation;
        in_pos[k] = -1;
        if (t >= 0 && t % stride == 0 && t / stride < size) {
            in_pos[k] = t / stride;
        }
    }
}

void eenn_conv_transpose2d_s8(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                              const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                              int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                              int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                              int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                              int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                              int32_t input_offset, int32_t output_offset,
                              const int32_t *EENN_RESTRICT output_multiplier,
                              const int32_t *EENN_RESTRICT output_shift, int32_t act_min, int32_t act_max)
{
    const int32_t group_in = in_c / groups;
    const int32_t group_out = out_c / groups;
    const int32_t in_size = in_h * in_w;
    const int32_t taps = kernel_h * kernel_w;
    /* Kernels are small; windows up to 16 taps wide per axis are resolved once per output row / column. */
    int32_t iy_of[16];
    int32_t ix_of[16];
    for (int32_t n = 0; n < batches; n++) {
        for (int32_t oc = 0; oc < out_c; oc++) {
            const int32_t g = oc / group_out;
            const int32_t m = oc % group_out;
            const int8_t *in_g = input + (n * in_c + g * group_in) * in_size;
            const int32_t b = bias != NULL ? bias[oc] : 0;
            int8_t *out = output + (n * out_c + oc) * out_h * out_w;
            for (int32_t oy = 0; oy < out_h; oy++) {
                eenn_transpose_taps_s8(oy, pad_top, in_h, kernel_h, stride_h, dilation_h, iy_of);
                for (int32_t ox = 0; ox < out_w; ox++) {
                    eenn_transpose_taps_s8(ox, pad_left, in_w, kernel_w, stride_w, dilation_w, ix_of);
                    int32_t acc = 0;
                    for (int32_t c = 0; c < group_in; c++) {
                        const int8_t *plane = in_g + c * in_size;
                        const int8_t *w = weights + ((g * group_in + c) * group_out + m) * taps;
                        for (int32_t ky = 0; ky < kernel_h; ky++) {
                            if (iy_of[ky] < 0) {
                                continue;
                            }
                            const int8_t *row = plane + iy_of[ky] * in_w;
                            for (int32_t kx = 0; kx < kernel_w; kx++) {
                                if (ix_of[kx] >= 0) {
                                    acc += ((int32_t)row[ix_of[kx]] + input_offset) * w[ky * kernel_w + kx];
                                }
                            }
                        }
                    }
                    *out++ = eenn_requantize_s8(eenn_add_wrap_s32(acc, b), output_multiplier[oc], output_shift[oc],
                                                output_offset, act_min, act_max);
                }
            }
        }
    }
}
