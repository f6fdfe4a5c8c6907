/*
 * eenn_conv_pair_f32.c - two float32 convolutions run depth-first (NCHW, one image, one group each): conv A and
 * its clamp, then conv B and its clamp, optionally plus a residual and a last clamp, one band of B's output rows
 * at a time, so that A's output never exists in full (the row-band form of MCUNetV2's patch-based inference).
 *
 * A's rows live in a slab of the scratch that rolls down the image: each band computes only the rows of A it
 * does not hold yet, after moving the rows it still needs to the top of each plane and dropping the rows no later
 * band reads. Nothing is computed twice; the extra work is the copy of the kept rows (kernel_h_b - stride_h_b rows
 * of A per band) and, with a residual, one pass over the band. The multiply-accumulate loops are those of
 * eenn_conv2d_rows_f32 (eenn_conv_f32.c), and of eenn_conv2d_1x1_strided_f32 for 1x1 windows with stride 1 and
 * no padding.
 */
#include "eenn_kernels_f32.h"

/* The window of one of the two convolutions. */
typedef struct {
    int32_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w;
} eenn_pair_window_t;

/* Rows [oy_first, oy_end) of a one-group convolution, as eenn_conv2d_rows_f32 computes them. */
static void eenn_pair_rows(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                           const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                           int32_t in_c, int32_t in_h, int32_t in_w, int32_t in_row_first, int32_t in_plane,
                           int32_t out_c, int32_t out_w, int32_t oy_first, int32_t oy_end, int32_t out_plane,
                           const eenn_pair_window_t *win, float act_min, float act_max)
{
    if (oy_end <= oy_first) {
        return;
    }
    /* A 1x1 window with stride 1 and no padding reads input row oy for output row oy: a matrix product. */
    if (win->kernel_h == 1 && win->kernel_w == 1 && win->stride_h == 1 && win->stride_w == 1 && win->pad_top == 0 && win->pad_left == 0 && out_w == in_w && oy_end <= in_h) {
        eenn_conv2d_1x1_strided_f32(input + (oy_first - in_row_first) * in_w, weights, bias, output, in_c,
                                    (oy_end - oy_first) * in_w, in_plane, out_plane, out_c, act_min, act_max);
        return;
    }
    eenn_conv2d_rows_f32(input, weights, bias, output, in_c, in_h, in_w, in_row_first, in_plane,
                         out_c, out_w, oy_first, oy_end, out_plane,
                         win->kernel_h, win->kernel_w, win->stride_h, win->stride_w,
                         win->pad_top, win->pad_left, win->dilation_h, win->dilation_w, act_min, act_max);
}

void eenn_conv2d_pair_f32(const float *input, const float *EENN_RESTRICT weights_a, const float *EENN_RESTRICT bias_a,
                          const float *EENN_RESTRICT weights_b, const float *EENN_RESTRICT bias_b,
                          const float *residual, float *output, float *EENN_RESTRICT scratch,
                          int32_t in_c, int32_t in_h, int32_t in_w, int32_t mid_c, int32_t mid_h, int32_t mid_w,
                          int32_t out_c, int32_t out_h, int32_t out_w,
                          int32_t kernel_h_a, int32_t kernel_w_a, int32_t stride_h_a, int32_t stride_w_a,
                          int32_t pad_top_a, int32_t pad_left_a, int32_t dilation_h_a, int32_t dilation_w_a,
                          float act_min_a, float act_max_a,
                          int32_t kernel_h_b, int32_t kernel_w_b, int32_t stride_h_b, int32_t stride_w_b,
                          int32_t pad_top_b, int32_t pad_left_b, int32_t dilation_h_b, int32_t dilation_w_b,
                          float act_min_b, float act_max_b, float out_min, float out_max,
                          int32_t band_rows, int32_t slab_rows)
{
    const eenn_pair_window_t win_a = { kernel_h_a, kernel_w_a, stride_h_a, stride_w_a,
                                       pad_top_a, pad_left_a, dilation_h_a, dilation_w_a };
    const eenn_pair_window_t win_b = { kernel_h_b, kernel_w_b, stride_h_b, stride_w_b,
                                       pad_top_b, pad_left_b, dilation_h_b, dilation_w_b };
    const int32_t in_plane = in_h * in_w;
    const int32_t out_plane = out_h * out_w;
    const int32_t slab_plane = slab_rows * mid_w;
    const int32_t band_plane = band_rows * out_w;
    float *slab = scratch;                      /* [mid_c][slab_rows][mid_w]: rows [held_first, held_end) of A */
    float *band = scratch + mid_c * slab_plane; /* [out_c][band_rows][out_w]: conv B before the residual */
    int32_t held_first = 0;
    int32_t held_end = 0;

    for (int32_t b0 = 0; b0 < out_h; b0 += band_rows) {
        const int32_t b1 = out_h - b0 > band_rows ? b0 + band_rows : out_h;
        /* Rows of A that the band's windows read, clipped to the image (the rest is padding). */
        int32_t need_first = b0 * stride_h_b - pad_top_b;
        int32_t need_end = (b1 - 1) * stride_h_b - pad_top_b + (kernel_h_b - 1) * dilation_h_b + 1;
        need_first = need_first < 0 ? 0 : (need_first > mid_h ? mid_h : need_first);
        need_end = need_end < need_first ? need_first : (need_end > mid_h ? mid_h : need_end);

        /* Rows before need_first are read by no later band (bands move down): keep the rest at the top. */
        if (need_first > held_first) {
            const int32_t keep = held_end > need_first ? held_end - need_first : 0;
            const int32_t shift = (need_first - held_first) * mid_w;
            if (keep > 0) {
                for (int32_t c = 0; c < mid_c; c++) {
                    float *dst = slab + c * slab_plane;
                    const float *src = dst + shift; /* after dst: a forward copy is safe */
                    for (int32_t i = 0; i < keep * mid_w; i++) {
                        dst[i] = src[i];
                    }
                }
            }
            held_first = need_first;
            held_end = need_first + keep;
        }
        /* The rows of A the slab lacks. */
        if (need_end > held_end) {
            eenn_pair_rows(input, weights_a, bias_a, slab + (held_end - held_first) * mid_w,
                           in_c, in_h, in_w, 0, in_plane, mid_c, mid_w, held_end, need_end, slab_plane,
                           &win_a, act_min_a, act_max_a);
            held_end = need_end;
        }

        if (residual == NULL) {
            eenn_pair_rows(slab, weights_b, bias_b, output + b0 * out_w, mid_c, mid_h, mid_w, held_first,
                           slab_plane, out_c, out_w, b0, b1, out_plane, &win_b, act_min_b, act_max_b);
            continue;
        }
        eenn_pair_rows(slab, weights_b, bias_b, band, mid_c, mid_h, mid_w, held_first, slab_plane,
                       out_c, out_w, b0, b1, band_plane, &win_b, act_min_b, act_max_b);
        /* output = clamp(B + residual), element by element: output may be the residual itself. */
        const int32_t count = (b1 - b0) * out_w;
        for (int32_t m = 0; m < out_c; m++) {
            const float *s = band + m * band_plane;
            const float *r = residual + m * out_plane + b0 * out_w;
            float *o = output + m * out_plane + b0 * out_w;
            for (int32_t i = 0; i < count; i++) {
                o[i] = eenn_clamp_f32(s[i] + r[i], out_min, out_max);
            }
        }
    }
}
