/*
 * eenn_conv_f32.c - float32 convolutions (NCHW): general, 1x1, depthwise and transposed; 3-D in plain loops.
 *
 * Speed notes (Cortex-M4F, gcc -O2): every output pixel first clips its tap window to the input, so the
 * inner loops never test for padding; 4 output channels are computed together so each input value
 * loaded feeds 4 multiply-accumulates from weights packed contiguously by the compiler; interior pixels
 * go in pairs (8 accumulators), or in fours for 3-wide windows at stride 1 (16 accumulators, each input
 * loaded once per window row serves up to 3 taps). The 1x1 kernel is a register-blocked matrix product (4x4 accumulators).
 * eenn_conv2d_units_f32 computes some output rows of some blocks of 4 output channels (a tile of an intermittent
 * build), each as eenn_conv2d_f32 computes it.
 */
#include "eenn_kernels_f32.h"

/* Taps k in [0, kernel) with 0 <= origin + k * dilation < size, as [*first, *end). */
static inline void eenn_tap_range(int32_t origin, int32_t size, int32_t kernel, int32_t dilation,
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

/* First and past-the-end output positions whose whole window is inside the input (no clipping). */
static inline void eenn_interior_range(int32_t out_size, int32_t in_size, int32_t kernel, int32_t stride,
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
 * One output pixel of 4 channels. x points at input (channel 0 of the group, first valid row and column),
 * w at the packed weights of the first valid tap; taps rows [0, rows), columns [0, cols).
 */
static inline void eenn_conv_pixel4(const float *EENN_RESTRICT x, const float *EENN_RESTRICT w, float acc[4],
                                    int32_t channels, int32_t rows, int32_t cols, int32_t in_row_step,
                                    int32_t in_channel_step, int32_t dilation_w, int32_t w_row_step,
                                    int32_t w_channel_step)
{
    float a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int32_t c = 0; c < channels; c++) {
        const float *xr = x;
        const float *wr = w;
        for (int32_t ky = 0; ky < rows; ky++) {
            const float *xp = xr;
            const float *wp = wr;
            for (int32_t kx = 0; kx < cols; kx++) {
                const float v = *xp;
                EENN_MAC_F32(a0, v, wp[0]);
                EENN_MAC_F32(a1, v, wp[1]);
                EENN_MAC_F32(a2, v, wp[2]);
                EENN_MAC_F32(a3, v, wp[3]);
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

/* Two horizontally adjacent output pixels (input origins x and x + pixel_step) of 4 channels, full window. */
static inline void eenn_conv_pair4(const float *EENN_RESTRICT x, const float *EENN_RESTRICT w, float acc[8],
                                   int32_t channels, int32_t rows, int32_t cols, int32_t pixel_step,
                                   int32_t in_row_step, int32_t in_channel_step, int32_t dilation_w)
{
    float a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    float b0 = acc[4], b1 = acc[5], b2 = acc[6], b3 = acc[7];
    for (int32_t c = 0; c < channels; c++) {
        const float *xr = x;
        for (int32_t ky = 0; ky < rows; ky++) {
            const float *xp = xr;
            const float *xq = xr + pixel_step;
            for (int32_t kx = 0; kx < cols; kx++) {
                const float u = *xp;
                const float v = *xq;
                const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
                EENN_MAC_F32(a0, u, w0);
                EENN_MAC_F32(a1, u, w1);
                EENN_MAC_F32(a2, u, w2);
                EENN_MAC_F32(a3, u, w3);
                EENN_MAC_F32(b0, v, w0);
                EENN_MAC_F32(b1, v, w1);
                EENN_MAC_F32(b2, v, w2);
                EENN_MAC_F32(b3, v, w3);
                xp += dilation_w;
                xq += dilation_w;
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

/*
 * Four horizontally adjacent output pixels of 4 channels, full 3-tap-wide window, stride 1, dilation 1: each row
 * of the window reads 6 inputs shared by the 4 pixels, and 12 weights, for 48 multiply-accumulates.
 */
/* One tap of the 4x4 block: inputs u0..u3 of the four pixels times the 4 channel weights at w[ofs]. */
#define EENN_QUAD_TAP(u0, u1, u2, u3, ofs)                \
    {                                                     \
        const float w0 = w[(ofs)], w1 = w[(ofs) + 1];     \
        const float w2 = w[(ofs) + 2], w3 = w[(ofs) + 3]; \
        EENN_MAC_F32(a0, u0, w0);                         \
        EENN_MAC_F32(a1, u0, w1);                         \
        EENN_MAC_F32(a2, u0, w2);                         \
        EENN_MAC_F32(a3, u0, w3);                         \
        EENN_MAC_F32(b0, u1, w0);                         \
        EENN_MAC_F32(b1, u1, w1);                         \
        EENN_MAC_F32(b2, u1, w2);                         \
        EENN_MAC_F32(b3, u1, w3);                         \
        EENN_MAC_F32(c0, u2, w0);                         \
        EENN_MAC_F32(c1, u2, w1);                         \
        EENN_MAC_F32(c2, u2, w2);                         \
        EENN_MAC_F32(c3, u2, w3);                         \
        EENN_MAC_F32(d0, u3, w0);                         \
        EENN_MAC_F32(d1, u3, w1);                         \
        EENN_MAC_F32(d2, u3, w2);                         \
        EENN_MAC_F32(d3, u3, w3);                         \
    }

static inline void eenn_conv_quad4_k3(const float *EENN_RESTRICT x, const float *EENN_RESTRICT w, float acc[16],
                                      int32_t channels, int32_t rows, int32_t in_row_step, int32_t in_channel_step)
{
    float a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    float b0 = acc[4], b1 = acc[5], b2 = acc[6], b3 = acc[7];
    float c0 = acc[8], c1 = acc[9], c2 = acc[10], c3 = acc[11];
    float d0 = acc[12], d1 = acc[13], d2 = acc[14], d3 = acc[15];
    for (int32_t c = 0; c < channels; c++) {
        const float *xr = x;
        for (int32_t ky = 0; ky < rows; ky++) {
            const float x0 = xr[0], x1 = xr[1], x2 = xr[2], x3 = xr[3], x4 = xr[4], x5 = xr[5];
            /* tap t: pixel p reads x[p + t]; the weights of the 3 taps are w[0..11] */
            EENN_QUAD_TAP(x0, x1, x2, x3, 0)
            EENN_QUAD_TAP(x1, x2, x3, x4, 4)
            EENN_QUAD_TAP(x2, x3, x4, x5, 8)
            w += 12;
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
    acc[8] = c0;
    acc[9] = c1;
    acc[10] = c2;
    acc[11] = c3;
    acc[12] = d0;
    acc[13] = d1;
    acc[14] = d2;
    acc[15] = d3;
}

/* One output pixel of one channel (weights not interleaved). */
static inline float eenn_conv_pixel1(const float *EENN_RESTRICT x, const float *EENN_RESTRICT w, float acc,
                                     int32_t channels, int32_t rows, int32_t cols, int32_t in_row_step,
                                     int32_t in_channel_step, int32_t dilation_w, int32_t w_row_step,
                                     int32_t w_channel_step)
{
    for (int32_t c = 0; c < channels; c++) {
        const float *xr = x;
        const float *wr = w;
        for (int32_t ky = 0; ky < rows; ky++) {
            const float *xp = xr;
            for (int32_t kx = 0; kx < cols; kx++) {
                EENN_MAC_F32(acc, *xp, wr[kx]);
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

void eenn_conv2d_rows_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                          const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                          int32_t in_c, int32_t in_h, int32_t in_w, int32_t in_row_first, int32_t in_plane,
                          int32_t out_c, int32_t out_w, int32_t oy_first, int32_t oy_end, int32_t out_plane,
                          int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                          int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                          float act_min, float act_max)
{
    const int32_t taps = kernel_h * kernel_w;
    const int32_t filter_size = in_c * taps; /* weights per output channel */
    const int32_t in_row_step = dilation_h * in_w;
    const int32_t quad_k3 = kernel_w == 3 && stride_w == 1 && dilation_w == 1;
    int32_t ox_first, ox_end;
    eenn_interior_range(out_w, in_w, kernel_w, stride_w, pad_left, dilation_w, &ox_first, &ox_end);

    for (int32_t m = 0; m < out_c;) {
        const float *w_m = weights + m * filter_size;
        float *out_m = output + m * out_plane;
        if (out_c - m >= 4) {
            float b[4];
            for (int32_t i = 0; i < 4; i++) {
                b[i] = bias != NULL ? bias[m + i] : 0.0f;
            }
            for (int32_t oy = oy_first; oy < oy_end; oy++) {
                const int32_t iy0 = oy * stride_h - pad_top;
                int32_t ky0, ky1;
                eenn_tap_range(iy0, in_h, kernel_h, dilation_h, &ky0, &ky1);
                const int32_t rows = ky1 - ky0;
                const float *in_row = input + (iy0 + ky0 * dilation_h - in_row_first) * in_w;
                const float *w_row = w_m + ky0 * kernel_w * 4;
                float *out_px = out_m + (oy - oy_first) * out_w;
                for (int32_t ox = 0; ox < out_w;) {
                    const int32_t ix0 = ox * stride_w - pad_left;
                    float acc[16];
                    if (quad_k3 && rows == kernel_h && ox >= ox_first && ox + 3 < ox_end) {
                        for (int32_t i = 0; i < 4; i++) {
                            acc[i] = b[i];
                            acc[4 + i] = b[i];
                            acc[8 + i] = b[i];
                            acc[12 + i] = b[i];
                        }
                        eenn_conv_quad4_k3(in_row + ix0, w_row, acc, in_c, rows, in_row_step, in_plane);
                        for (int32_t i = 0; i < 4; i++) {
                            float *o = out_px + i * out_plane + ox;
                            o[0] = eenn_clamp_f32(acc[i], act_min, act_max);
                            o[1] = eenn_clamp_f32(acc[4 + i], act_min, act_max);
                            o[2] = eenn_clamp_f32(acc[8 + i], act_min, act_max);
                            o[3] = eenn_clamp_f32(acc[12 + i], act_min, act_max);
                        }
                        ox += 4;
                        continue;
                    }
                    if (rows == kernel_h && ox >= ox_first && ox + 1 < ox_end) {
                        for (int32_t i = 0; i < 4; i++) {
                            acc[i] = b[i];
                            acc[4 + i] = b[i];
                        }
                        eenn_conv_pair4(in_row + ix0, w_row, acc, in_c, rows, kernel_w, stride_w,
                                        in_row_step, in_plane, dilation_w);
                        for (int32_t i = 0; i < 4; i++) {
                            out_px[i * out_plane + ox] = eenn_clamp_f32(acc[i], act_min, act_max);
                            out_px[i * out_plane + ox + 1] = eenn_clamp_f32(acc[4 + i], act_min, act_max);
                        }
                        ox += 2;
                        continue;
                    }
                    int32_t kx0, kx1;
                    eenn_tap_range(ix0, in_w, kernel_w, dilation_w, &kx0, &kx1);
                    for (int32_t i = 0; i < 4; i++) {
                        acc[i] = b[i];
                    }
                    eenn_conv_pixel4(in_row + ix0 + kx0 * dilation_w, w_row + kx0 * 4, acc, in_c, rows,
                                     kx1 - kx0, in_row_step, in_plane, dilation_w, kernel_w * 4, taps * 4);
                    for (int32_t i = 0; i < 4; i++) {
                        out_px[i * out_plane + ox] = eenn_clamp_f32(acc[i], act_min, act_max);
                    }
                    ox++;
                }
            }
            m += 4;
        } else {
            const float b = bias != NULL ? bias[m] : 0.0f;
            for (int32_t oy = oy_first; oy < oy_end; oy++) {
                const int32_t iy0 = oy * stride_h - pad_top;
                int32_t ky0, ky1;
                eenn_tap_range(iy0, in_h, kernel_h, dilation_h, &ky0, &ky1);
                const float *in_row = input + (iy0 + ky0 * dilation_h - in_row_first) * in_w;
                const float *w_row = w_m + ky0 * kernel_w;
                float *out_row = out_m + (oy - oy_first) * out_w;
                for (int32_t ox = 0; ox < out_w; ox++) {
                    const int32_t ix0 = ox * stride_w - pad_left;
                    int32_t kx0, kx1;
                    eenn_tap_range(ix0, in_w, kernel_w, dilation_w, &kx0, &kx1);
                    const float acc = eenn_conv_pixel1(in_row + ix0 + kx0 * dilation_w, w_row + kx0, b,
                                                       in_c, ky1 - ky0, kx1 - kx0, in_row_step, in_plane,
                                                       dilation_w, kernel_w, taps);
                    out_row[ox] = eenn_clamp_f32(acc, act_min, act_max);
                }
            }
            m += 1;
        }
    }
}

void eenn_conv2d_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                     const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                     int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                     int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                     int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                     int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                     float act_min, float act_max)
{
    const int32_t group_in = in_c / groups;
    const int32_t group_out = out_c / groups;
    const int32_t in_size = in_h * in_w;
    const int32_t out_size = out_h * out_w;
    const int32_t filter_size = group_in * kernel_h * kernel_w;
    for (int32_t n = 0; n < batches; n++) {
        for (int32_t g = 0; g < groups; g++) {
            /* Each group is a one-group convolution over its own channels, weights and bias. */
            eenn_conv2d_rows_f32(input + (n * in_c + g * group_in) * in_size, weights + g * group_out * filter_size,
                                 bias != NULL ? bias + g * group_out : NULL, output + (n * out_c + g * group_out) * out_size,
                                 group_in, in_h, in_w, 0, in_size, group_out, out_w, 0, out_h, out_size,
                                 kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w,
                                 act_min, act_max);
        }
    }
}

void eenn_conv2d_units_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                           const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                           int32_t in_c, int32_t in_h, int32_t in_w, int32_t out_c, int32_t out_h, int32_t out_w,
                           int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                           int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                           float act_min, float act_max, int32_t unit_begin, int32_t unit_end)
{
    const int32_t filter_size = in_c * kernel_h * kernel_w;
    const int32_t in_plane = in_h * in_w;
    const int32_t out_plane = out_h * out_w;
    for (int32_t u = unit_begin; u < unit_end;) {
        /* Unit u: row oy of the block of output channels [m, m + count). */
        const int32_t m = u / out_h * EENN_CONV_F32_BLOCK;
        const int32_t oy = u % out_h;
        const int32_t count = out_c - m < EENN_CONV_F32_BLOCK ? out_c - m : EENN_CONV_F32_BLOCK;
        const int32_t rows = out_h - oy < unit_end - u ? out_h - oy : unit_end - u;
        eenn_conv2d_rows_f32(input, weights + m * filter_size, bias != NULL ? bias + m : NULL,
                             output + m * out_plane + oy * out_w, in_c, in_h, in_w, 0, in_plane, count, out_w, oy,
                             oy + rows, out_plane, kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left,
                             dilation_h, dilation_w, act_min, act_max);
        u += rows;
    }
}

void eenn_conv2d_1x1_strided_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                                 const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                                 int32_t in_c, int32_t size, int32_t in_stride, int32_t out_stride, int32_t out_c,
                                 float act_min, float act_max)
{
    {
        const float *in_n = input;
        float *out_n = output;
        int32_t m = 0;
        for (; m + 4 <= out_c; m += 4) {
            const float *w_m = weights + m * in_c; /* [in_c][4] */
            float *o = out_n + m * out_stride;
            const float b0 = bias != NULL ? bias[m] : 0.0f;
            const float b1 = bias != NULL ? bias[m + 1] : 0.0f;
            const float b2 = bias != NULL ? bias[m + 2] : 0.0f;
            const float b3 = bias != NULL ? bias[m + 3] : 0.0f;
            int32_t p = 0;
            for (; p + 4 <= size; p += 4) {
                float a00 = b0, a01 = b0, a02 = b0, a03 = b0;
                float a10 = b1, a11 = b1, a12 = b1, a13 = b1;
                float a20 = b2, a21 = b2, a22 = b2, a23 = b2;
                float a30 = b3, a31 = b3, a32 = b3, a33 = b3;
                const float *x = in_n + p;
                const float *w = w_m;
                for (int32_t c = 0; c < in_c; c++) {
                    const float x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
                    const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
                    EENN_MAC_F32(a00, w0, x0);
                    EENN_MAC_F32(a01, w0, x1);
                    EENN_MAC_F32(a02, w0, x2);
                    EENN_MAC_F32(a03, w0, x3);
                    EENN_MAC_F32(a10, w1, x0);
                    EENN_MAC_F32(a11, w1, x1);
                    EENN_MAC_F32(a12, w1, x2);
                    EENN_MAC_F32(a13, w1, x3);
                    EENN_MAC_F32(a20, w2, x0);
                    EENN_MAC_F32(a21, w2, x1);
                    EENN_MAC_F32(a22, w2, x2);
                    EENN_MAC_F32(a23, w2, x3);
                    EENN_MAC_F32(a30, w3, x0);
                    EENN_MAC_F32(a31, w3, x1);
                    EENN_MAC_F32(a32, w3, x2);
                    EENN_MAC_F32(a33, w3, x3);
                    x += in_stride;
                    w += 4;
                }
                float *o0 = o + p;
                float *o1 = o0 + out_stride;
                float *o2 = o1 + out_stride;
                float *o3 = o2 + out_stride;
                o0[0] = eenn_clamp_f32(a00, act_min, act_max);
                o0[1] = eenn_clamp_f32(a01, act_min, act_max);
                o0[2] = eenn_clamp_f32(a02, act_min, act_max);
                o0[3] = eenn_clamp_f32(a03, act_min, act_max);
                o1[0] = eenn_clamp_f32(a10, act_min, act_max);
                o1[1] = eenn_clamp_f32(a11, act_min, act_max);
                o1[2] = eenn_clamp_f32(a12, act_min, act_max);
                o1[3] = eenn_clamp_f32(a13, act_min, act_max);
                o2[0] = eenn_clamp_f32(a20, act_min, act_max);
                o2[1] = eenn_clamp_f32(a21, act_min, act_max);
                o2[2] = eenn_clamp_f32(a22, act_min, act_max);
                o2[3] = eenn_clamp_f32(a23, act_min, act_max);
                o3[0] = eenn_clamp_f32(a30, act_min, act_max);
                o3[1] = eenn_clamp_f32(a31, act_min, act_max);
                o3[2] = eenn_clamp_f32(a32, act_min, act_max);
                o3[3] = eenn_clamp_f32(a33, act_min, act_max);
            }
            for (; p < size; p++) {
                float a0 = b0, a1 = b1, a2 = b2, a3 = b3;
                const float *x = in_n + p;
                const float *w = w_m;
                for (int32_t c = 0; c < in_c; c++) {
                    const float v = *x;
                    EENN_MAC_F32(a0, w[0], v);
                    EENN_MAC_F32(a1, w[1], v);
                    EENN_MAC_F32(a2, w[2], v);
                    EENN_MAC_F32(a3, w[3], v);
                    x += in_stride;
                    w += 4;
                }
                o[p] = eenn_clamp_f32(a0, act_min, act_max);
                o[out_stride + p] = eenn_clamp_f32(a1, act_min, act_max);
                o[2 * out_stride + p] = eenn_clamp_f32(a2, act_min, act_max);
                o[3 * out_stride + p] = eenn_clamp_f32(a3, act_min, act_max);
            }
        }
        for (; m < out_c; m++) {
            const float *w_m = weights + m * in_c; /* [in_c] */
            float *o = out_n + m * out_stride;
            const float b = bias != NULL ? bias[m] : 0.0f;
            int32_t p = 0;
            for (; p + 4 <= size; p += 4) {
                float a0 = b, a1 = b, a2 = b, a3 = b;
                const float *x = in_n + p;
                for (int32_t c = 0; c < in_c; c++) {
                    const float w = w_m[c];
                    EENN_MAC_F32(a0, w, x[0]);
                    EENN_MAC_F32(a1, w, x[1]);
                    EENN_MAC_F32(a2, w, x[2]);
                    EENN_MAC_F32(a3, w, x[3]);
                    x += in_stride;
                }
                o[p] = eenn_clamp_f32(a0, act_min, act_max);
                o[p + 1] = eenn_clamp_f32(a1, act_min, act_max);
                o[p + 2] = eenn_clamp_f32(a2, act_min, act_max);
                o[p + 3] = eenn_clamp_f32(a3, act_min, act_max);
            }
            for (; p < size; p++) {
                float a = b;
                const float *x = in_n + p;
                for (int32_t c = 0; c < in_c; c++) {
                    EENN_MAC_F32(a, w_m[c], *x);
                    x += in_stride;
                }
                o[p] = eenn_clamp_f32(a, act_min, act_max);
            }
        }
    }
}

void eenn_conv2d_1x1_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                         const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                         int32_t batches, int32_t in_c, int32_t size, int32_t out_c,
                         float act_min, float act_max)
{
    for (int32_t n = 0; n < batches; n++) {
        eenn_conv2d_1x1_strided_f32(input + n * in_c * size, weights, bias, output + n * out_c * size,
                                    in_c, size, size, size, out_c, act_min, act_max);
    }
}

void eenn_depthwise_conv2d_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                               const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                               int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                               int32_t multiplier, int32_t out_h, int32_t out_w,
                               int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                               int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                               float act_min, float act_max)
{
    const int32_t out_c = in_c * multiplier;
    const int32_t in_size = in_h * in_w;
    const int32_t taps = kernel_h * kernel_w;
    int32_t ox_first, ox_end;
    eenn_interior_range(out_w, in_w, kernel_w, stride_w, pad_left, dilation_w, &ox_first, &ox_end);

    for (int32_t n = 0; n < batches; n++) {
        for (int32_t oc = 0; oc < out_c; oc++) {
            const float *in_c_ptr = input + (n * in_c + oc / multiplier) * in_size;
            const float *w = weights + oc * taps;
            float *out = output + (n * out_c + oc) * out_h * out_w;
            const float b = bias != NULL ? bias[oc] : 0.0f;
            for (int32_t oy = 0; oy < out_h; oy++) {
                const int32_t iy0 = oy * stride_h - pad_top;
                int32_t ky0, ky1;
                eenn_tap_range(iy0, in_h, kernel_h, dilation_h, &ky0, &ky1);
                const float *in_row = in_c_ptr + (iy0 + ky0 * dilation_h) * in_w;
                const float *w_row = w + ky0 * kernel_w;
                for (int32_t ox = 0; ox < out_w; ox++) {
                    const int32_t ix0 = ox * stride_w - pad_left;
                    int32_t kx0 = 0, kx1 = kernel_w;
                    if (ox < ox_first || ox >= ox_end) {
                        eenn_tap_range(ix0, in_w, kernel_w, dilation_w, &kx0, &kx1);
                    }
                    float acc = b;
                    const float *xr = in_row + ix0 + kx0 * dilation_w;
                    const float *wr = w_row + kx0;
                    for (int32_t ky = ky0; ky < ky1; ky++) {
                        const float *xp = xr;
                        for (int32_t kx = 0; kx < kx1 - kx0; kx++) {
                            EENN_MAC_F32(acc, *xp, wr[kx]);
                            xp += dilation_w;
                        }
                        xr += dilation_h * in_w;
                        wr += kernel_w;
                    }
                    out[oy * out_w + ox] = eenn_clamp_f32(acc, act_min, act_max);
                }
            }
        }
    }
}

/* One 3x3 pixel whose window is clipped to rows [ky0, ky1) and columns [kx0, kx1) of the kernel. */
static float eenn_depthwise_3x3_border(const float *EENN_RESTRICT plane, const float *EENN_RESTRICT w, float acc,
                                       int32_t iy0, int32_t ix0, int32_t in_h, int32_t in_w)
{
    const int32_t ky0 = iy0 < 0 ? -iy0 : 0;
    const int32_t ky1 = in_h - iy0 < 3 ? in_h - iy0 : 3;
    const int32_t kx0 = ix0 < 0 ? -ix0 : 0;
    const int32_t kx1 = in_w - ix0 < 3 ? in_w - ix0 : 3;
    for (int32_t ky = ky0; ky < ky1; ky++) {
        const float *row = plane + (iy0 + ky) * in_w + ix0;
        for (int32_t kx = kx0; kx < kx1; kx++) {
            EENN_MAC_F32(acc, row[kx], w[ky * 3 + kx]);
        }
    }
    return acc;
}

void eenn_depthwise_conv2d_3x3_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                                   const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                                   int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                                   int32_t multiplier, int32_t out_h, int32_t out_w,
                                   int32_t stride_h, int32_t stride_w, int32_t pad_top, int32_t pad_left,
                                   float act_min, float act_max)
{
    const int32_t out_c = in_c * multiplier;
    const int32_t in_size = in_h * in_w;
    int32_t ox_first, ox_end;
    eenn_interior_range(out_w, in_w, 3, stride_w, pad_left, 1, &ox_first, &ox_end);

    for (int32_t n = 0; n < batches; n++) {
        for (int32_t oc = 0; oc < out_c; oc++) {
            const float *plane = input + (n * in_c + oc / multiplier) * in_size;
            const float *w = weights + oc * 9;
            const float w0 = w[0], w1 = w[1], w2 = w[2];
            const float w3 = w[3], w4 = w[4], w5 = w[5];
            const float w6 = w[6], w7 = w[7], w8 = w[8];
            const float b = bias != NULL ? bias[oc] : 0.0f;
            for (int32_t oy = 0; oy < out_h; oy++) {
                const int32_t iy0 = oy * stride_h - pad_top;
                const int32_t full_rows = iy0 >= 0 && iy0 + 2 < in_h;
                for (int32_t ox = 0; ox < out_w; ox++) {
                    const int32_t ix0 = ox * stride_w - pad_left;
                    if (full_rows && ox >= ox_first && ox < ox_end) {
                        /* The interior run of this row: no clipping, weights in registers. */
                        const float *r0 = plane + iy0 * in_w + ix0;
                        const float *r1 = r0 + in_w;
                        const float *r2 = r1 + in_w;
                        for (; ox < ox_end; ox++) {
                            float acc = b;
                            EENN_MAC_F32(acc, r0[0], w0);
                            EENN_MAC_F32(acc, r0[1], w1);
                            EENN_MAC_F32(acc, r0[2], w2);
                            EENN_MAC_F32(acc, r1[0], w3);
                            EENN_MAC_F32(acc, r1[1], w4);
                            EENN_MAC_F32(acc, r1[2], w5);
                            EENN_MAC_F32(acc, r2[0], w6);
                            EENN_MAC_F32(acc, r2[1], w7);
                            EENN_MAC_F32(acc, r2[2], w8);
                            *output++ = eenn_clamp_f32(acc, act_min, act_max);
                            r0 += stride_w;
                            r1 += stride_w;
                            r2 += stride_w;
                        }
                        ox--;
                        continue;
                    }
                    const float acc = eenn_depthwise_3x3_border(plane, w, b, iy0, ix0, in_h, in_w);
                    *output++ = eenn_clamp_f32(acc, act_min, act_max);
                }
            }
        }
    }
}

void eenn_conv_transpose2d_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                               const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                               int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                               int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                               int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                               int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                               float act_min, float act_max)
{
    const int32_t group_in = in_c / groups;
    const int32_t group_out = out_c / groups;
    const int32_t in_size = in_h * in_w;
    const int32_t taps = kernel_h * kernel_w;
    for (int32_t n = 0; n < batches; n++) {
        for (int32_t oc = 0; oc < out_c; oc++) {
            const int32_t g = oc / group_out;
            const int32_t m = oc % group_out;
            const float *in_g = input + (n * in_c + g * group_in) * in_size;
            const float *w_g = weights + (g * group_in * group_out + m) * taps; /* + c * group_out * taps */
            float *out = output + (n * out_c + oc) * out_h * out_w;
            const float b = bias != NULL ? bias[oc] : 0.0f;
            for (int32_t oy = 0; oy < out_h; oy++) {
                for (int32_t ox = 0; ox < out_w; ox++) {
                    float acc = b;
                    for (int32_t ky = 0; ky < kernel_h; ky++) {
                        const int32_t ty = oy + pad_top - ky * dilation_h;
                        if (ty < 0 || ty % stride_h != 0 || ty / stride_h >= in_h) {
                            continue;
                        }
                        const int32_t iy = ty / stride_h;
                        for (int32_t kx = 0; kx < kernel_w; kx++) {
                            const int32_t tx = ox + pad_left - kx * dilation_w;
                            if (tx < 0 || tx % stride_w != 0 || tx / stride_w >= in_w) {
                                continue;
                            }
                            const float *x = in_g + iy * in_w + tx / stride_w;
                            const float *w = w_g + ky * kernel_w + kx;
                            for (int32_t c = 0; c < group_in; c++) {
                                EENN_MAC_F32(acc, x[c * in_size], w[c * group_out * taps]);
                            }
                        }
                    }
                    out[oy * out_w + ox] = eenn_clamp_f32(acc, act_min, act_max);
                }
            }
        }
    }
}

void eenn_conv3d_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                     const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                     int32_t batches, int32_t in_c, int32_t in_d, int32_t in_h, int32_t in_w,
                     int32_t out_c, int32_t out_d, int32_t out_h, int32_t out_w, int32_t groups,
                     int32_t kernel_d, int32_t kernel_h, int32_t kernel_w,
                     int32_t stride_d, int32_t stride_h, int32_t stride_w,
                     int32_t pad_front, int32_t pad_top, int32_t pad_left,
                     int32_t dilation_d, int32_t dilation_h, int32_t dilation_w,
                     float act_min, float act_max)
{
    const int32_t group_in = in_c / groups;
    const int32_t group_out = out_c / groups;
    const int32_t in_size = in_d * in_h * in_w;
    const int32_t taps = kernel_d * kernel_h * kernel_w;
    for (int32_t n = 0; n < batches; n++) {
        for (int32_t oc = 0; oc < out_c; oc++) {
            const float *in_g = input + (n * in_c + (oc / group_out) * group_in) * in_size;
            const float *w_oc = weights + oc * group_in * taps;
            const float b = bias != NULL ? bias[oc] : 0.0f;
            for (int32_t od = 0; od < out_d; od++) {
                const int32_t iz0 = od * stride_d - pad_front;
                int32_t kz0, kz1;
                eenn_tap_range(iz0, in_d, kernel_d, dilation_d, &kz0, &kz1);
                for (int32_t oy = 0; oy < out_h; oy++) {
                    const int32_t iy0 = oy * stride_h - pad_top;
                    int32_t ky0, ky1;
                    eenn_tap_range(iy0, in_h, kernel_h, dilation_h, &ky0, &ky1);
                    for (int32_t ox = 0; ox < out_w; ox++) {
                        const int32_t ix0 = ox * stride_w - pad_left;
                        int32_t kx0, kx1;
                        eenn_tap_range(ix0, in_w, kernel_w, dilation_w, &kx0, &kx1);
                        float acc = b;
                        for (int32_t c = 0; c < group_in; c++) {
                            const float *x = in_g + c * in_size;
                            const float *w = w_oc + c * taps;
                            for (int32_t kz = kz0; kz < kz1; kz++) {
                                for (int32_t ky = ky0; ky < ky1; ky++) {
                                    const float *xr = x + ((iz0 + kz * dilation_d) * in_h + iy0 + ky * dilation_h) * in_w + ix0;
                                    const float *wr = w + (kz * kernel_h + ky) * kernel_w;
                                    for (int32_t kx = kx0; kx < kx1; kx++) {
                                        EENN_MAC_F32(acc, xr[kx * dilation_w], wr[kx]);
                                    }
                                }
                            }
                        }
                        *output++ = eenn_clamp_f32(acc, act_min, act_max);
                    }
                }
            }
        }
    }
}

/* Input position that output position o reads through tap k, or -1 when none (transposed convolution). */
static inline int32_t eenn_transposed_source(int32_t o, int32_t k, int32_t pad, int32_t dilation, int32_t stride, int32_t size)
{
    const int32_t t = o + pad - k * dilation;
    if (t < 0 || t % stride != 0 || t / stride >= size) {
        return -1;
    }
    return t / stride;
}

void eenn_conv_transpose3d_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                               const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                               int32_t batches, int32_t in_c, int32_t in_d, int32_t in_h, int32_t in_w,
                               int32_t out_c, int32_t out_d, int32_t out_h, int32_t out_w, int32_t groups,
                               int32_t kernel_d, int32_t kernel_h, int32_t kernel_w,
                               int32_t stride_d, int32_t stride_h, int32_t stride_w,
                               int32_t pad_front, int32_t pad_top, int32_t pad_left,
                               int32_t dilation_d, int32_t dilation_h, int32_t dilation_w,
                               float act_min, float act_max)
{
    const int32_t group_in = in_c / groups;
    const int32_t group_out = out_c / groups;
    const int32_t in_size = in_d * in_h * in_w;
    const int32_t taps = kernel_d * kernel_h * kernel_w;
    for (int32_t n = 0; n < batches; n++) {
        for (int32_t oc = 0; oc < out_c; oc++) {
            const int32_t g = oc / group_out;
            const float *in_g = input + (n * in_c + g * group_in) * in_size;
            const float *w_g = weights + (g * group_in * group_out + oc % group_out) * taps;
            const float b = bias != NULL ? bias[oc] : 0.0f;
            for (int32_t od = 0; od < out_d; od++) {
                for (int32_t oy = 0; oy < out_h; oy++) {
                    for (int32_t ox = 0; ox < out_w; ox++) {
                        float acc = b;
                        for (int32_t kz = 0; kz < kernel_d; kz++) {
                            const int32_t iz = eenn_transposed_source(od, kz, pad_front, dilation_d, stride_d, in_d);
                            if (iz < 0) {
                                continue;
                            }
                            for (int32_t ky = 0; ky < kernel_h; ky++) {
                                const int32_t iy = eenn_transposed_source(oy, ky, pad_top, dilation_h, stride_h, in_h);
                                if (iy < 0) {
                                    continue;
                                }
                                for (int32_t kx = 0; kx < kernel_w; kx++) {
                                    const int32_t ix = eenn_transposed_source(ox, kx, pad_left, dilation_w, stride_w, in_w);
                                    if (ix < 0) {
                                        continue;
                                    }
                                    const float *x = in_g + (iz * in_h + iy) * in_w + ix;
                                    const float *w = w_g + (kz * kernel_h + ky) * kernel_w + kx;
                                    for (int32_t c = 0; c < group_in; c++) {
                                        EENN_MAC_F32(acc, x[c * in_size], w[c * group_out * taps]);
                                    }
                                }
                            }
                        }
                        *output++ = eenn_clamp_f32(acc, act_min, act_max);
                    }
                }
            }
        }
    }
}
