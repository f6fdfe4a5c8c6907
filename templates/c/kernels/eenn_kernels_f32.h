/*
 * eenn_kernels_f32.h - float32 kernels of eennc: declarations, layouts and ranges.
 *
 * Tensors use the ONNX layout (row-major, NCHW for images). Sizes are element counts, strides are in
 * elements (0 broadcasts a dimension). All sizes are >= 1 unless stated. Kernels never allocate; the
 * generated model.c passes pointers into its static arena, the weights in flash, and the caller's
 * input/output buffers. Pointers marked EENN_RESTRICT must not overlap; element-wise kernels without it
 * may be called with the output equal to an input (in place), never with a partial overlap.
 *
 * act_min / act_max: the output clamp of a fused activation (Relu: 0, INFINITY; Clip: its bounds;
 * none: -INFINITY, INFINITY), applied after the bias, as CMSIS-NN's activation range.
 *
 * Multiply-accumulates use fmaf() where the FPU fuses them (__FP_FAST_FMAF: Cortex-M4F/M7/M33/M55), one
 * rounding per MAC; elsewhere a multiply then an add.
 */
#ifndef EENN_KERNELS_F32_H
#define EENN_KERNELS_F32_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#define EENN_RESTRICT __restrict
#else
#define EENN_RESTRICT restrict
#endif

/* ------------------------------------------------------------------------------------------------ */
/* Helpers shared by the kernel files                                                                */
/* ------------------------------------------------------------------------------------------------ */

#if defined(__FP_FAST_FMAF)
#if defined(__GNUC__)
#define EENN_MAC_F32(acc, a, b) ((acc) = __builtin_fmaf((a), (b), (acc)))
#else
#include <math.h>
#define EENN_MAC_F32(acc, a, b) ((acc) = fmaf((a), (b), (acc)))
#endif
#else
#define EENN_MAC_F32(acc, a, b) ((acc) += (a) * (b))
#endif

/** Clamp v to [lo, hi] (NaN passes through). */
static inline float eenn_clamp_f32(float v, float lo, float hi)
{
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

/* ------------------------------------------------------------------------------------------------ */
/* Convolution (eenn_conv_f32.c)                                                                      */
/* ------------------------------------------------------------------------------------------------ */

/**
 * 2-D convolution, any groups / stride / dilation / padding (1-D: in_h = out_h = kernel_h = 1).
 *
 * input     [batches, in_c, in_h, in_w]
 * weights   packed by the compiler from ONNX [out_c, in_c/groups, kernel_h, kernel_w]: per group, output
 *           channels in blocks of 4 stored as [in_c/groups][kernel_h][kernel_w][4]; the remaining
 *           (out_c/groups) % 4 channels one by one as [in_c/groups][kernel_h][kernel_w]. Output channel m
 *           starts at m * in_c/groups * kernel_h * kernel_w either way.
 * bias      [out_c] or NULL
 * output    [batches, out_c, out_h, out_w]
 * groups    divides in_c and out_c
 * stride_*  >= 1; pad_top/pad_left >= 0 (bottom/right padding follows from out_h/out_w); dilation_* >= 1
 */
void eenn_conv2d_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                     const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                     int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                     int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                     int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                     int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                     float act_min, float act_max);

/** Output channels eenn_conv2d_f32 computes together (its register block), the unit of eenn_conv2d_units_f32. */
#define EENN_CONV_F32_BLOCK 4

/**
 * Units [unit_begin, unit_end) of a one-group 2-D convolution of one image (a tile of a step run in pieces), unit
 * b * out_h + oy being output row oy of the block b of output channels [4b, min(4b + 4, out_c)): a run of units
 * is some rows of a block, then whole blocks, then some rows of a last one. Each output exactly as
 * eenn_conv2d_f32 computes it; the other outputs are not written. Parameters as eenn_conv2d_f32 (one image, one
 * group); 0 <= unit_begin <= unit_end <= ceil(out_c / 4) * out_h.
 */
void eenn_conv2d_units_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                           const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                           int32_t in_c, int32_t in_h, int32_t in_w, int32_t out_c, int32_t out_h, int32_t out_w,
                           int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                           int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                           float act_min, float act_max, int32_t unit_begin, int32_t unit_end);

/**
 * Output rows [oy_first, oy_end) of a one-group 2-D convolution of one image, each buffer with its own plane
 * stride, so that a band of rows can be computed from, and into, a buffer that holds only some rows of each plane.
 *
 * input     input channel c, row iy at input[c * in_plane + (iy - in_row_first) * in_w]: the caller holds
 *           every row the output rows' windows read (in_row_first = 0, in_plane = in_h * in_w: the whole image)
 * weights   packed as for eenn_conv2d_f32 with groups = 1; bias [out_c] or NULL
 * output    output channel m, row oy at output[m * out_plane + (oy - oy_first) * out_w]
 * in_h      the image's full height: rows outside [0, in_h) are padding, whatever the buffer holds
 * Other parameters as eenn_conv2d_f32; 0 <= oy_first <= oy_end <= out_h.
 */
void eenn_conv2d_rows_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                          const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                          int32_t in_c, int32_t in_h, int32_t in_w, int32_t in_row_first, int32_t in_plane,
                          int32_t out_c, int32_t out_w, int32_t oy_first, int32_t oy_end, int32_t out_plane,
                          int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                          int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                          float act_min, float act_max);

/**
 * 1x1 convolution with stride 1, no padding, one group: a matrix product per image.
 *
 * input     [batches, in_c, size]       (size = height * width)
 * weights   [out_c, in_c] packed as eenn_conv2d_f32 packs them (blocks of 4 output channels)
 * bias      [out_c] or NULL
 * output    [batches, out_c, size]
 */
void eenn_conv2d_1x1_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                         const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                         int32_t batches, int32_t in_c, int32_t size, int32_t out_c,
                         float act_min, float act_max);

/**
 * The 1x1 product of eenn_conv2d_1x1_f32 for one image, with its own plane strides: input channel c of pixel p
 * at input[c * in_stride + p], output channel m at output[m * out_stride + p], for p in [0, size).
 */
void eenn_conv2d_1x1_strided_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                                 const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                                 int32_t in_c, int32_t size, int32_t in_stride, int32_t out_stride, int32_t out_c,
                                 float act_min, float act_max);

/**
 * Depthwise 2-D convolution: groups == in_c, out_c = in_c * multiplier; output channel m reads input
 * channel m / multiplier.
 *
 * input     [batches, in_c, in_h, in_w]
 * weights   [out_c, 1, kernel_h, kernel_w] (ONNX layout, not packed)
 * bias      [out_c] or NULL
 * output    [batches, out_c, out_h, out_w]
 * Other parameters as eenn_conv2d_f32.
 */
void eenn_depthwise_conv2d_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                               const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                               int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                               int32_t multiplier, int32_t out_h, int32_t out_w,
                               int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                               int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                               float act_min, float act_max);

/**
 * Depthwise 3x3 convolution, dilation 1: as eenn_depthwise_conv2d_f32 with kernel 3x3 (weights
 * [out_c, 1, 3, 3]), any stride and padding. Interior pixels keep the 9 weights in registers.
 */
void eenn_depthwise_conv2d_3x3_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                                   const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                                   int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                                   int32_t multiplier, int32_t out_h, int32_t out_w,
                                   int32_t stride_h, int32_t stride_w, int32_t pad_top, int32_t pad_left,
                                   float act_min, float act_max);

/** Output channels eenn_conv2d_pool_f32 computes per pass (the register block of eenn_conv2d_f32). */
#define EENN_CONV_POOL_F32_BLOCK 4

/** Floats of working memory eenn_conv2d_pool_f32 takes: one block of conv output planes. */
#define EENN_CONV_POOL_F32_SCRATCH_FLOATS(out_c, conv_h, conv_w) \
    (((out_c) < EENN_CONV_POOL_F32_BLOCK ? (out_c) : EENN_CONV_POOL_F32_BLOCK) * (conv_h) * (conv_w))

/**
 * eenn_conv2d_f32 followed by eenn_max_pool2d_f32 / eenn_avg_pool2d_f32 without the conv output in memory:
 * 4 output channels at a time (the last out_c % 4 one at a time) go to `scratch` and are pooled from there.
 *
 * input     [batches, in_c, in_h, in_w]
 * weights   packed as for eenn_conv2d_f32 with groups = 1
 * bias      [out_c] or NULL
 * output    [batches, out_c, out_h, out_w]: the pooled result
 * scratch   EENN_CONV_POOL_F32_SCRATCH_FLOATS(out_c, conv_h, conv_w) floats, not overlapping the other buffers
 * conv_h/conv_w: the conv output size; kernel_* .. act_max as eenn_conv2d_f32 (act_* clamp the conv output).
 * pool_is_average 0: max pool (pool_pad_bottom/right and count_include_pad unused), 1: average pool; the
 * pool_* window parameters as eenn_avg_pool2d_f32.
 */
void eenn_conv2d_pool_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                          const float *EENN_RESTRICT bias, float *EENN_RESTRICT output, float *EENN_RESTRICT scratch,
                          int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                          int32_t out_c, int32_t conv_h, int32_t conv_w,
                          int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                          int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                          float act_min, float act_max,
                          int32_t pool_is_average, int32_t out_h, int32_t out_w,
                          int32_t pool_kernel_h, int32_t pool_kernel_w, int32_t pool_stride_h, int32_t pool_stride_w,
                          int32_t pool_pad_top, int32_t pool_pad_left, int32_t pool_pad_bottom, int32_t pool_pad_right,
                          int32_t pool_dilation_h, int32_t pool_dilation_w, int32_t count_include_pad);

/** Floats of working memory eenn_conv2d_pair_f32 takes: the slab of mid's rows, and with a residual one band of
    the output (residual: 1 when the call passes one, else 0). */
#define EENN_CONV_PAIR_F32_SCRATCH_FLOATS(slab_rows, mid_c, mid_w, band_rows, out_c, out_w, residual) \
    ((slab_rows) * (mid_c) * (mid_w) + ((residual) ? (band_rows) * (out_c) * (out_w) : 0))

/**
 * Two one-group convolutions depth-first, one band of band_rows output rows at a time, so that mid never exists
 * in full: mid = clamp(conv_a(input), act_*_a); t = clamp(conv_b(mid), act_*_b); output = t without a residual,
 * else output = clamp(t + residual, out_min, out_max). A slab of the scratch holds the rows of mid the current
 * band reads and rolls down the image: each row of mid is computed once.
 *
 * input     [in_c, in_h, in_w]
 * weights_a packed as for eenn_conv2d_f32 (groups = 1) from [mid_c, in_c, kernel_h_a, kernel_w_a]; bias_a [mid_c] or NULL
 * weights_b likewise from [out_c, mid_c, kernel_h_b, kernel_w_b]; bias_b [out_c] or NULL
 * residual  [out_c, out_h, out_w] or NULL; may be `output` itself (the sum is written element by element)
 * output    [out_c, out_h, out_w]; may be `input` itself when no band's rows of the output are read by a later
 *           band's rows of mid (the compiler checks this for the geometry; then residual is NULL or input)
 * scratch   EENN_CONV_PAIR_F32_SCRATCH_FLOATS(slab_rows, mid_c, mid_w, band_rows, out_c, out_w, residual != NULL)
 *           floats, not overlapping the other buffers; slab_rows >= the rows of mid any band holds (the compiler replays the bands)
 * *_a, *_b  the windows of the two convolutions, as eenn_conv2d_f32's (mid_h/mid_w: conv A's output size)
 */
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
                          int32_t band_rows, int32_t slab_rows);

/** Floats of working memory eenn_depthwise_conv2d_in_place_f32 takes: one channel plane. */
#define EENN_DEPTHWISE_IN_PLACE_F32_SCRATCH_FLOATS(height, width) ((height) * (width))

/**
 * Depthwise convolution with multiplier 1, stride 1 and output size = input size, written over its input:
 * each channel plane is computed into `scratch` (height * width floats) and copied back.
 *
 * data      [batches, channels, height, width]: the input, replaced by the output
 * weights   [channels, 1, kernel_h, kernel_w] (ONNX layout); bias [channels] or NULL
 * Other parameters as eenn_depthwise_conv2d_f32 (3x3 windows with dilation 1 use eenn_depthwise_conv2d_3x3_f32).
 */
void eenn_depthwise_conv2d_in_place_f32(float *data, const float *EENN_RESTRICT weights,
                                        const float *EENN_RESTRICT bias, float *EENN_RESTRICT scratch,
                                        int32_t batches, int32_t channels, int32_t height, int32_t width,
                                        int32_t kernel_h, int32_t kernel_w, int32_t pad_top, int32_t pad_left,
                                        int32_t dilation_h, int32_t dilation_w, float act_min, float act_max);

/** Pixels eenn_conv2d_1x1_in_place_f32 gathers per pass. */
#define EENN_CONV_1X1_IN_PLACE_F32_PIXELS 4

/** Floats of working memory eenn_conv2d_1x1_in_place_f32 takes: the input channels of the pixels of a pass. */
#define EENN_CONV_1X1_IN_PLACE_F32_SCRATCH_FLOATS(in_c) (EENN_CONV_1X1_IN_PLACE_F32_PIXELS * (in_c))

/**
 * eenn_conv2d_1x1_f32 written over its input, out_c <= in_c: 4 pixels at a time are gathered into `scratch`
 * (EENN_CONV_1X1_IN_PLACE_F32_SCRATCH_FLOATS(in_c) floats) and their outputs written back. Pixel p only reads and writes element p of each plane,
 * and batch n's output ends before batch n+1's input starts being overwritten, so nothing is lost.
 *
 * data      [batches, in_c, size] on entry, [batches, out_c, size] on return
 * weights   [out_c, in_c] packed as eenn_conv2d_f32 packs them; bias [out_c] or NULL
 */
void eenn_conv2d_1x1_in_place_f32(float *data, const float *EENN_RESTRICT weights,
                                  const float *EENN_RESTRICT bias, float *EENN_RESTRICT scratch,
                                  int32_t batches, int32_t in_c, int32_t size, int32_t out_c,
                                  float act_min, float act_max);

/**
 * 2-D transposed convolution (ONNX ConvTranspose): output pixel (oy, ox) gathers input pixel (iy, ix)
 * through tap (ky, kx) when oy = iy * stride_h - pad_top + ky * dilation_h (and likewise for x).
 *
 * input     [batches, in_c, in_h, in_w]
 * weights   [in_c, out_c/groups, kernel_h, kernel_w] (ONNX layout)
 * bias      [out_c] or NULL
 * output    [batches, out_c, out_h, out_w] (out_h/out_w already include output_padding)
 * pad_top/pad_left >= 0: the begin pads after auto_pad / output_shape resolution.
 */
void eenn_conv_transpose2d_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                               const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                               int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                               int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                               int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                               int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                               float act_min, float act_max);

/**
 * 3-D convolution (plain loops: volumetric models are rare on microcontrollers; 1-D and 2-D use the
 * kernels above). Layouts as eenn_conv2d_f32 with a depth axis before height:
 * input [batches, in_c, in_d, in_h, in_w], weights [out_c, in_c/groups, kernel_d, kernel_h, kernel_w] (ONNX
 * layout, not packed), bias [out_c] or NULL, output [batches, out_c, out_d, out_h, out_w].
 */
void eenn_conv3d_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                     const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                     int32_t batches, int32_t in_c, int32_t in_d, int32_t in_h, int32_t in_w,
                     int32_t out_c, int32_t out_d, int32_t out_h, int32_t out_w, int32_t groups,
                     int32_t kernel_d, int32_t kernel_h, int32_t kernel_w,
                     int32_t stride_d, int32_t stride_h, int32_t stride_w,
                     int32_t pad_front, int32_t pad_top, int32_t pad_left,
                     int32_t dilation_d, int32_t dilation_h, int32_t dilation_w,
                     float act_min, float act_max);

/**
 * 3-D transposed convolution, as eenn_conv_transpose2d_f32 with a depth axis:
 * input [batches, in_c, in_d, in_h, in_w], weights [in_c, out_c/groups, kernel_d, kernel_h, kernel_w],
 * bias [out_c] or NULL, output [batches, out_c, out_d, out_h, out_w].
 */
void eenn_conv_transpose3d_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                               const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                               int32_t batches, int32_t in_c, int32_t in_d, int32_t in_h, int32_t in_w,
                               int32_t out_c, int32_t out_d, int32_t out_h, int32_t out_w, int32_t groups,
                               int32_t kernel_d, int32_t kernel_h, int32_t kernel_w,
                               int32_t stride_d, int32_t stride_h, int32_t stride_w,
                               int32_t pad_front, int32_t pad_top, int32_t pad_left,
                               int32_t dilation_d, int32_t dilation_h, int32_t dilation_w,
                               float act_min, float act_max);

/* ------------------------------------------------------------------------------------------------ */
/* Fully connected and matrix products (eenn_fc_f32.c)                                               */
/* ------------------------------------------------------------------------------------------------ */

/**
 * Fully connected layer: output[r][n] = bias[n] + sum_k input[r][k] * W[n][k].
 *
 * input     [rows, in_features]
 * weights   W [out_features, in_features] packed: output features in blocks of 4 stored as
 *           [in_features][4], the remaining out_features % 4 one by one as [in_features]
 * bias      [out_features] or NULL
 * output    [rows, out_features]
 */
void eenn_fc_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                 const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                 int32_t rows, int32_t in_features, int32_t out_features, float act_min, float act_max);

/**
 * Matrix product of two runtime tensors, strided so that transposed operands need no copy:
 * output[b][i][j] = bias[j] + sum_k A[b][i][k] * B[b][k][j], with
 * A[b][i][k] = a[b * a_batch_stride + i * a_stride_m + k * a_stride_k] and
 * B[b][k][j] = b[b * b_batch_stride + k * b_stride_k + j * b_stride_n].
 *
 * output    [batches, m, n], contiguous
 * bias      [n] or NULL
 * Strides may be 0 (broadcast).
 */
void eenn_matmul_f32(const float *EENN_RESTRICT a, const float *EENN_RESTRICT b,
                     const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                     int32_t batches, int32_t m, int32_t k, int32_t n,
                     int32_t a_batch_stride, int32_t a_stride_m, int32_t a_stride_k,
                     int32_t b_batch_stride, int32_t b_stride_k, int32_t b_stride_n,
                     float act_min, float act_max);

/**
 * Gemm's C term added to a product already in output, with the output clamp:
 * output[i][j] = clamp(output[i][j] + beta * c[i * c_stride_m + j * c_stride_n], act_min, act_max).
 * output    [m, n], contiguous; c broadcast to it (a stride of 0 repeats it along that axis)
 */
void eenn_gemm_add_c_f32(const float *EENN_RESTRICT c, float *EENN_RESTRICT output, int32_t m, int32_t n,
                         int32_t c_stride_m, int32_t c_stride_n, float beta, float act_min, float act_max);

/* ------------------------------------------------------------------------------------------------ */
/* Recurrent layers: LSTM, GRU, RNN (eenn_recurrent_f32.c)                                            */
/* ------------------------------------------------------------------------------------------------ */

/** The activation functions of the recurrent gates (ONNX `activations`), each with its alpha and beta. */
typedef enum {
    EENN_RECURRENT_SIGMOID = 0,          /* 1 / (1 + exp(-x)) */
    EENN_RECURRENT_TANH = 1,             /* tanh(x) */
    EENN_RECURRENT_RELU = 2,             /* max(x, 0) */
    EENN_RECURRENT_LEAKY_RELU = 3,       /* x < 0 ? alpha * x : x */
    EENN_RECURRENT_THRESHOLDED_RELU = 4, /* x > alpha ? x : 0 */
    EENN_RECURRENT_HARD_SIGMOID = 5,     /* clamp(alpha * x + beta, 0, 1) */
    EENN_RECURRENT_ELU = 6,              /* x < 0 ? alpha * (exp(x) - 1) : x */
    EENN_RECURRENT_SOFTSIGN = 7,         /* x / (1 + |x|) */
    EENN_RECURRENT_SOFTPLUS = 8,         /* log(1 + exp(x)) */
    EENN_RECURRENT_AFFINE = 9,           /* alpha * x + beta */
    EENN_RECURRENT_SCALED_TANH = 10      /* alpha * tanh(beta * x) */
} eenn_recurrent_activation_t;

/** Floats of scratch the recurrent kernels take: the gates' pre-activations and the state. */
#define EENN_LSTM_F32_SCRATCH_FLOATS(hidden_size) (6 * (hidden_size))
#define EENN_GRU_F32_SCRATCH_FLOATS(hidden_size) (4 * (hidden_size))
#define EENN_RNN_F32_SCRATCH_FLOATS(hidden_size) (2 * (hidden_size))

/*
 * The parameters the three kernels share, for one direction of the layer (a bidirectional layer is two calls, the
 * second with reverse = 1 and every pointer moved to its direction's part):
 *
 * input          X: element [t][b][k] at input[t * input_stride_t + b * input_stride_b + k]
 * weights        W of the direction [gates * hidden_size, input_size], gate rows in ONNX order
 * recurrence     R of the direction [gates * hidden_size, hidden_size]
 * bias           B of the direction [2 * gates * hidden_size] (Wb then Rb), or NULL (zeros)
 * sequence_lens  [batch], each in [0, seq_length] (a value outside is held to it), or NULL (every entry
 *                seq_length long)
 * initial_h      element [b][j] at initial_h[b * state_stride_b + j], or NULL (zeros)
 * output         Y: h after time step t at output[t * output_stride_t + b * output_stride_b + j], zero past
 *                the entry's length; or NULL
 * output_h       Y_h: the state after the last step (element [b][j] as initial_h), or NULL
 * scratch        EENN_<LSTM|GRU|RNN>_F32_SCRATCH_FLOATS(hidden_size) floats, overlapping nothing else
 * reverse        0: time steps 0 .. length - 1; 1: length - 1 .. 0
 * clip           gate pre-activations are clamped to [-clip, clip] (INFINITY: no clip)
 * *_kind         an eenn_recurrent_activation_t, with its alpha and beta (ignored by the functions without)
 *
 * The outputs never overlap the inputs. Nothing is kept between calls.
 */

/**
 * LSTM (gates i, o, f, c): i = f(Wi x + Ri h + Pi c + b), f = f(Wf x + Rf h + Pf c + b) (1 - i with
 * input_forget), c' = g(Wc x + Rc h + b), c = f c + i c', o = f(Wo x + Ro h + Po c + b), h = o h(c).
 *
 * peephole   P of the direction [3 * hidden_size] (i, o, f), or NULL
 * initial_c / output_c   the cell state, laid out as initial_h / output_h, or NULL
 */
void eenn_lstm_f32(const float *input, const float *weights, const float *recurrence, const float *bias,
                   const float *peephole, const int32_t *sequence_lens, const float *initial_h,
                   const float *initial_c, float *output, float *output_h, float *output_c,
                   float *EENN_RESTRICT scratch, int32_t seq_length, int32_t batch, int32_t input_size,
                   int32_t hidden_size, int32_t input_stride_t, int32_t input_stride_b, int32_t output_stride_t,
                   int32_t output_stride_b, int32_t state_stride_b, int32_t reverse, float clip, int32_t input_forget,
                   int32_t f_kind, float f_alpha, float f_beta, int32_t g_kind, float g_alpha, float g_beta,
                   int32_t h_kind, float h_alpha, float h_beta);

/**
 * GRU (gates z, r, h): z = f(Wz x + Rz h + b), r = f(Wr x + Rr h + b), h' = g(Wh x + Rh (r h) + b) (with
 * linear_before_reset: g(Wh x + Wbh + r (Rh h + Rbh))), h = (1 - z) h' + z h.
 */
void eenn_gru_f32(const float *input, const float *weights, const float *recurrence, const float *bias,
                  const int32_t *sequence_lens, const float *initial_h, float *output, float *output_h,
                  float *EENN_RESTRICT scratch, int32_t seq_length, int32_t batch, int32_t input_size,
                  int32_t hidden_size, int32_t input_stride_t, int32_t input_stride_b, int32_t output_stride_t,
                  int32_t output_stride_b, int32_t state_stride_b, int32_t reverse, float clip,
                  int32_t linear_before_reset, int32_t f_kind, float f_alpha, float f_beta, int32_t g_kind,
                  float g_alpha, float g_beta);

/** RNN: h = f(W x + R h + b). */
void eenn_rnn_f32(const float *input, const float *weights, const float *recurrence, const float *bias,
                  const int32_t *sequence_lens, const float *initial_h, float *output, float *output_h,
                  float *EENN_RESTRICT scratch, int32_t seq_length, int32_t batch, int32_t input_size,
                  int32_t hidden_size, int32_t input_stride_t, int32_t input_stride_b, int32_t output_stride_t,
                  int32_t output_stride_b, int32_t state_stride_b, int32_t reverse, float clip,
                  int32_t f_kind, float f_alpha, float f_beta);

/* ------------------------------------------------------------------------------------------------ */
/* Element-wise binary operators with broadcasting (eenn_elementwise_f32.c)                           */
/* ------------------------------------------------------------------------------------------------ */

/*
 * All binary kernels share one signature: output[i0][i1][i2][i3] = a[...] OP b[...] over the output
 * shape [d0, d1, d2, d3] (contiguous), where a is read at i0*a_s0 + i1*a_s1 + i2*a_s2 + i3*a_s3 and b
 * likewise; a stride of 0 broadcasts that dimension. The compiler merges dimensions so that d3 is the
 * longest run. May run in place (output == a or output == b when that operand has the output's shape).
 */
#define EENN_BINARY_PARAMS_F32                                                                     \
    const float *a, const float *b, float *output, int32_t d0, int32_t d1, int32_t d2, int32_t d3, \
        int32_t a_s0, int32_t a_s1, int32_t a_s2, int32_t a_s3, int32_t b_s0, int32_t b_s1,        \
        int32_t b_s2, int32_t b_s3

/** a + b */
void eenn_add_f32(EENN_BINARY_PARAMS_F32);
/** a - b */
void eenn_sub_f32(EENN_BINARY_PARAMS_F32);
/** a * b */
void eenn_mul_f32(EENN_BINARY_PARAMS_F32);
/** a / b (IEEE: x/0 is +-INFINITY or NaN) */
void eenn_div_f32(EENN_BINARY_PARAMS_F32);
/** the larger of a and b (NaN if either is NaN) */
void eenn_max_f32(EENN_BINARY_PARAMS_F32);
/** the smaller of a and b (NaN if either is NaN) */
void eenn_min_f32(EENN_BINARY_PARAMS_F32);
/** powf(a, b) */
void eenn_pow_f32(EENN_BINARY_PARAMS_F32);
/** PRelu: a < 0 ? a * b : a, with b the slope */
void eenn_prelu_f32(EENN_BINARY_PARAMS_F32);
/** fmodf(a, b): remainder with the sign of a (ONNX Mod, fmod = 1) */
void eenn_mod_f32(EENN_BINARY_PARAMS_F32);

/**
 * Per-channel affine map: output[o][c][i] = input[o][c][i] * scale[c] + shift[c]
 * (an unfolded BatchNormalization after the compiler turned it into scale and shift).
 * input, output [outer, channels, inner]; may run in place.
 */
void eenn_channel_affine_f32(const float *input, float *output, int32_t outer, int32_t channels, int32_t inner,
                             const float *EENN_RESTRICT scale, const float *EENN_RESTRICT shift);

/**
 * Inference BatchNormalization with parameters computed at run time (no folding possible):
 * output[o][c][i] = (input[o][c][i] - mean[c]) / sqrt(var[c] + epsilon) * scale[c] + bias[c],
 * the ONNX formula in its order of operations.
 * input, output [outer, channels, inner]; scale, bias, mean, var [channels]; may run in place.
 */
void eenn_batch_norm_f32(const float *input, float *output, int32_t outer, int32_t channels, int32_t inner,
                         const float *EENN_RESTRICT scale, const float *EENN_RESTRICT bias,
                         const float *EENN_RESTRICT mean, const float *EENN_RESTRICT var, float epsilon);

/* ------------------------------------------------------------------------------------------------ */
/* Element-wise unary operators and activations (eenn_activation_f32.c)                               */
/* ------------------------------------------------------------------------------------------------ */

/*
 * input, output [size] (any shape, contiguous); all may run in place (output == input).
 */

/** x > 0 ? x : 0 */
void eenn_relu_f32(const float *input, float *output, int32_t size);
/** min(max(x, min), max) */
void eenn_clip_f32(const float *input, float *output, int32_t size, float min, float max);
/**
 * Clip with bounds computed at run time: max(x, *min) then min(., *max), each bound a one-value tensor
 * read once per call; NULL for an absent bound (unbounded). When *min > *max every output is *max (ONNX Clip).
 */
void eenn_clip_bounds_f32(const float *input, float *output, int32_t size, const float *min, const float *max);
/** x < 0 ? alpha * x : x */
void eenn_leaky_relu_f32(const float *input, float *output, int32_t size, float alpha);
/** x > alpha ? x : 0 */
void eenn_thresholded_relu_f32(const float *input, float *output, int32_t size, float alpha);
/** Shrink: x < -lambd ? x + bias : (x > lambd ? x - bias : 0) */
void eenn_shrink_f32(const float *input, float *output, int32_t size, float lambd, float bias);
/** 1 / (1 + exp(-x)) */
void eenn_sigmoid_f32(const float *input, float *output, int32_t size);
/** tanh(x) */
void eenn_tanh_f32(const float *input, float *output, int32_t size);
/** max(0, min(1, alpha * x + beta)) */
void eenn_hard_sigmoid_f32(const float *input, float *output, int32_t size, float alpha, float beta);
/** x * max(0, min(1, x / 6 + 1/2)) */
void eenn_hard_swish_f32(const float *input, float *output, int32_t size);
/** x < 0 ? alpha * (exp(x) - 1) : x (expm1f, accurate near 0) */
void eenn_elu_f32(const float *input, float *output, int32_t size, float alpha);
/** gamma * (x > 0 ? x : alpha * (exp(x) - 1)) */
void eenn_selu_f32(const float *input, float *output, int32_t size, float alpha, float gamma);
/** max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) */
void eenn_celu_f32(const float *input, float *output, int32_t size, float alpha);
/** log(1 + exp(x)), computed without overflow */
void eenn_softplus_f32(const float *input, float *output, int32_t size);
/** x / (1 + |x|) */
void eenn_softsign_f32(const float *input, float *output, int32_t size);
/** x * tanh(softplus(x)), softplus computed without overflow */
void eenn_mish_f32(const float *input, float *output, int32_t size);
/** 0.5 * x * (1 + erf(x / sqrt(2))) */
void eenn_gelu_f32(const float *input, float *output, int32_t size);
/** 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))) */
void eenn_gelu_tanh_f32(const float *input, float *output, int32_t size);
/** exp(x) */
void eenn_exp_f32(const float *input, float *output, int32_t size);
/** log(x) */
void eenn_log_f32(const float *input, float *output, int32_t size);
/** sqrt(x) */
void eenn_sqrt_f32(const float *input, float *output, int32_t size);
/** -x */
void eenn_neg_f32(const float *input, float *output, int32_t size);
/** |x| */
void eenn_abs_f32(const float *input, float *output, int32_t size);
/** 1 / x */
void eenn_reciprocal_f32(const float *input, float *output, int32_t size);
/** floor(x) */
void eenn_floor_f32(const float *input, float *output, int32_t size);
/** ceil(x) */
void eenn_ceil_f32(const float *input, float *output, int32_t size);
/** x rounded to nearest, ties to even (ONNX Round) */
void eenn_round_f32(const float *input, float *output, int32_t size);
/** erf(x) */
void eenn_erf_f32(const float *input, float *output, int32_t size);
/** -1, 0 or 1 by the sign of x */
void eenn_sign_f32(const float *input, float *output, int32_t size);
/** sin(x) */
void eenn_sin_f32(const float *input, float *output, int32_t size);
/** cos(x) */
void eenn_cos_f32(const float *input, float *output, int32_t size);
/** tan(x) */
void eenn_tan_f32(const float *input, float *output, int32_t size);
/** asin(x) */
void eenn_asin_f32(const float *input, float *output, int32_t size);
/** acos(x) */
void eenn_acos_f32(const float *input, float *output, int32_t size);
/** atan(x) */
void eenn_atan_f32(const float *input, float *output, int32_t size);
/** sinh(x) */
void eenn_sinh_f32(const float *input, float *output, int32_t size);
/** cosh(x) */
void eenn_cosh_f32(const float *input, float *output, int32_t size);
/** asinh(x) */
void eenn_asinh_f32(const float *input, float *output, int32_t size);
/** acosh(x) */
void eenn_acosh_f32(const float *input, float *output, int32_t size);
/** atanh(x) */
void eenn_atanh_f32(const float *input, float *output, int32_t size);

/* ------------------------------------------------------------------------------------------------ */
/* Pooling (eenn_pool_f32.c)                                                                          */
/* ------------------------------------------------------------------------------------------------ */

/**
 * 2-D max pooling (1-D: in_h = out_h = kernel_h = 1). Padded taps are ignored; a window with no tap
 * inside the input gives -INFINITY.
 *
 * input     [channels, in_h, in_w]   (channels = batches * C)
 * output    [channels, out_h, out_w] (ceil_mode is already in out_h / out_w)
 */
void eenn_max_pool2d_f32(const float *EENN_RESTRICT input, float *EENN_RESTRICT output,
                         int32_t channels, int32_t in_h, int32_t in_w, int32_t out_h, int32_t out_w,
                         int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                         int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w);

/**
 * 2-D average pooling. The divisor counts the taps inside the input (count_include_pad = 0) or the taps
 * inside the padded input [-pad_top, in_h + pad_bottom) x [-pad_left, in_w + pad_right)
 * (count_include_pad = 1); taps past the padding (ceil_mode) never count, as in onnxruntime.
 *
 * input     [channels, in_h, in_w]
 * output    [channels, out_h, out_w]
 */
void eenn_avg_pool2d_f32(const float *EENN_RESTRICT input, float *EENN_RESTRICT output,
                         int32_t channels, int32_t in_h, int32_t in_w, int32_t out_h, int32_t out_w,
                         int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                         int32_t pad_top, int32_t pad_left, int32_t pad_bottom, int32_t pad_right,
                         int32_t dilation_h, int32_t dilation_w, int32_t count_include_pad);

/**
 * 3-D max (is_average = 0) or average (is_average = 1) pooling, with the window and divisor rules of the
 * 2-D kernels: input [channels, in_d, in_h, in_w], output [channels, out_d, out_h, out_w].
 */
void eenn_pool3d_f32(const float *EENN_RESTRICT input, float *EENN_RESTRICT output, int32_t channels,
                     int32_t in_d, int32_t in_h, int32_t in_w, int32_t out_d, int32_t out_h, int32_t out_w,
                     int32_t kernel_d, int32_t kernel_h, int32_t kernel_w,
                     int32_t stride_d, int32_t stride_h, int32_t stride_w,
                     int32_t pad_front, int32_t pad_top, int32_t pad_left,
                     int32_t pad_back, int32_t pad_bottom, int32_t pad_right,
                     int32_t dilation_d, int32_t dilation_h, int32_t dilation_w,
                     int32_t is_average, int32_t count_include_pad);

/** Mean of each channel: input [channels, size] -> output [channels]. */
void eenn_global_avg_pool_f32(const float *EENN_RESTRICT input, float *EENN_RESTRICT output,
                              int32_t channels, int32_t size);

/** Maximum of each channel: input [channels, size] -> output [channels]. */
void eenn_global_max_pool_f32(const float *EENN_RESTRICT input, float *EENN_RESTRICT output,
                              int32_t channels, int32_t size);

/* ------------------------------------------------------------------------------------------------ */
/* Softmax (eenn_softmax_f32.c)                                                                       */
/* ------------------------------------------------------------------------------------------------ */

/**
 * Softmax along one axis: input, output [outer, axis_size, inner]; for each (o, i):
 * output = exp(x - max) / sum(exp(x - max)). May run in place.
 */
void eenn_softmax_f32(const float *input, float *output, int32_t outer, int32_t axis_size, int32_t inner);

/** LogSoftmax along one axis: output = x - max - log(sum(exp(x - max))). Layout as eenn_softmax_f32. */
void eenn_log_softmax_f32(const float *input, float *output, int32_t outer, int32_t axis_size, int32_t inner);

/** Hardmax along one axis: 1 at the first maximum, 0 elsewhere. Layout as eenn_softmax_f32; may run in place. */
void eenn_hardmax_f32(const float *input, float *output, int32_t outer, int32_t axis_size, int32_t inner);

/* ------------------------------------------------------------------------------------------------ */
/* Losses (eenn_loss_f32.c)                                                                           */
/* ------------------------------------------------------------------------------------------------ */

/* The reduction of a loss (ONNX attribute "reduction"). */
#define EENN_LOSS_NONE 0
#define EENN_LOSS_SUM 1
#define EENN_LOSS_MEAN 2

/**
 * NegativeLogLikelihoodLoss: input [batch, classes, inner] (log-probabilities), target [batch, inner] int64,
 * weight [classes] or NULL. loss[n][d] = -weight[t] * input[n][t][d] with t = target[n][d], 0 where
 * has_ignore_index and t == ignore_index, NaN where t is outside [0, classes). EENN_LOSS_NONE writes loss
 * [batch, inner]; EENN_LOSS_SUM its sum; EENN_LOSS_MEAN the sum over the sum of the weights of the targets.
 */
void eenn_nll_loss_f32(const float *EENN_RESTRICT input, const int64_t *EENN_RESTRICT target,
                       const float *EENN_RESTRICT weight, float *EENN_RESTRICT loss, int32_t batch,
                       int32_t classes, int32_t inner, int32_t reduction, int32_t has_ignore_index,
                       int64_t ignore_index);

/**
 * SoftmaxCrossEntropyLoss: eenn_nll_loss_f32 of the LogSoftmax of the scores along the classes, which it
 * writes to log_prob [batch, classes, inner] unless log_prob is NULL.
 */
void eenn_softmax_cross_entropy_loss_f32(const float *EENN_RESTRICT input, const int64_t *EENN_RESTRICT target,
                                         const float *EENN_RESTRICT weight, float *EENN_RESTRICT loss,
                                         float *EENN_RESTRICT log_prob, int32_t batch, int32_t classes,
                                         int32_t inner, int32_t reduction, int32_t has_ignore_index,
                                         int64_t ignore_index);

/* ------------------------------------------------------------------------------------------------ */
/* Indexing with run-time indices (eenn_indexing_f32.c)                                              */
/* ------------------------------------------------------------------------------------------------ */

/* How a scattered update combines with the element it lands on (ONNX attribute "reduction"). */
#define EENN_SCATTER_NONE 0
#define EENN_SCATTER_ADD 1
#define EENN_SCATTER_MUL 2
#define EENN_SCATTER_MAX 3
#define EENN_SCATTER_MIN 4

/*
 * Every index is int64; a negative one counts from the end of its axis, and one outside [-dim, dim) is clamped
 * to the first or last element, so no index value makes a kernel read or write outside its buffers.
 */

/**
 * GatherND on elements of element_bytes bytes: for each of `batches` batches (batch_stride elements of data
 * apart) and each of its `tuples` index tuples of `depth` indices (axes of sizes dims[] and strides strides[]),
 * copies the slice of `slice` elements the tuple addresses to the output, in order.
 */
void eenn_gather_nd(const void *EENN_RESTRICT data, const int64_t *EENN_RESTRICT indices, void *EENN_RESTRICT output,
                    int32_t batches, int32_t batch_stride, int32_t tuples, int32_t depth,
                    const int32_t *EENN_RESTRICT dims, const int32_t *EENN_RESTRICT strides, int32_t slice,
                    int32_t element_bytes);

/**
 * ScatterND: output = data (`size` elements; may be the same buffer), then for each of `tuples` index tuples
 * (as eenn_gather_nd's) the slice of `slice` elements it addresses combined with the next `slice` updates by
 * `reduction` (EENN_SCATTER_*), in order.
 */
void eenn_scatter_nd_f32(const float *data, const int64_t *EENN_RESTRICT indices, const float *EENN_RESTRICT updates,
                         float *output, int32_t size, int32_t tuples, int32_t depth, const int32_t *EENN_RESTRICT dims,
                         const int32_t *EENN_RESTRICT strides, int32_t slice, int32_t reduction);

/**
 * ScatterElements along axis `axis`: output = data (`size` elements; may be the same buffer), then for each of the
 * `count` elements of indices and updates (shape index_dims[rank], each axis no longer than data's) the output
 * element at the same coordinates, the one on the axis replaced by the index (of an axis of axis_size), combined
 * with the update by `reduction` (EENN_SCATTER_*), in order. data_strides: data's strides in elements.
 */
void eenn_scatter_elements_f32(const float *data, const int64_t *EENN_RESTRICT indices,
                               const float *EENN_RESTRICT updates, float *output, int32_t size, int32_t count,
                               int32_t rank, const int32_t *EENN_RESTRICT index_dims,
                               const int32_t *EENN_RESTRICT data_strides, int32_t axis, int32_t axis_size,
                               int32_t reduction);

/**
 * OneHot: indices [outer, inner] -> output [outer, depth, inner], values[1] (on) where the class is the index
 * (negative: index + depth), values[0] (off) elsewhere, and everywhere for an index outside [-depth, depth).
 */
void eenn_one_hot_f32(const int64_t *EENN_RESTRICT indices, const float *EENN_RESTRICT values,
                      float *EENN_RESTRICT output, int32_t outer, int32_t depth, int32_t inner);

/**
 * TopK along one axis of input [outer, axis_size, inner]: values and int64 indices [outer, k, inner] of the k
 * largest (largest != 0) or smallest elements, sorted, NaN above every number, equal values by lower index first.
 */
void eenn_top_k_f32(const float *EENN_RESTRICT input, float *EENN_RESTRICT values, int64_t *EENN_RESTRICT indices,
                    int32_t outer, int32_t axis_size, int32_t inner, int32_t k, int32_t largest);

/* ------------------------------------------------------------------------------------------------ */
/* Reductions (eenn_reduce_f32.c)                                                                     */
/* ------------------------------------------------------------------------------------------------ */

/*
 * All reductions share one signature. The output [k0, k1, k2] is contiguous; output[j0][j1][j2] reduces
 * the input elements at j0*k_s0 + j1*k_s1 + j2*k_s2 + i0*r_s0 + i1*r_s1 + i2*r_s2 over
 * i in [r0, r1, r2]. The compiler merges adjacent kept and reduced axes (any axes, up to three runs of
 * each). An empty reduction (r0*r1*r2 == 0) gives the operator's identity.
 */
#define EENN_REDUCE_PARAMS_F32                                                                    \
    const float *EENN_RESTRICT input, float *EENN_RESTRICT output, int32_t k0, int32_t k1,        \
        int32_t k2, int32_t k_s0, int32_t k_s1, int32_t k_s2, int32_t r0, int32_t r1, int32_t r2, \
        int32_t r_s0, int32_t r_s1, int32_t r_s2

/** sum */
void eenn_reduce_sum_f32(EENN_REDUCE_PARAMS_F32);
/** sum / count */
void eenn_reduce_mean_f32(EENN_REDUCE_PARAMS_F32);
/** maximum (-INFINITY when empty) */
void eenn_reduce_max_f32(EENN_REDUCE_PARAMS_F32);
/** minimum (INFINITY when empty) */
void eenn_reduce_min_f32(EENN_REDUCE_PARAMS_F32);
/** product */
void eenn_reduce_prod_f32(EENN_REDUCE_PARAMS_F32);
/** sum of |x| */
void eenn_reduce_l1_f32(EENN_REDUCE_PARAMS_F32);
/** sqrt(sum of x^2) */
void eenn_reduce_l2_f32(EENN_REDUCE_PARAMS_F32);
/** sum of x^2 */
void eenn_reduce_sum_square_f32(EENN_REDUCE_PARAMS_F32);
/** log(sum) */
void eenn_reduce_log_sum_f32(EENN_REDUCE_PARAMS_F32);
/** log(sum(exp(x))), computed as max + log(sum(exp(x - max))) */
void eenn_reduce_log_sum_exp_f32(EENN_REDUCE_PARAMS_F32);

/* ------------------------------------------------------------------------------------------------ */
/* Normalizations (eenn_normalization_f32.c)                                                          */
/* ------------------------------------------------------------------------------------------------ */

/**
 * LayerNormalization of `rows` contiguous rows of `row_size` values: y = (x - mean) / sqrt(var + epsilon) *
 * scale[i % scale_size] + bias[i % bias_size] (bias may be NULL), with each row's mean and variance. `mean` and
 * `inv_std_dev` (one value per row: the mean and 1 / sqrt(var + epsilon)) may be NULL. May run in place.
 */
void eenn_layer_norm_f32(const float *input, float *output, int32_t rows, int32_t row_size, const float *scale,
                         int32_t scale_size, const float *bias, int32_t bias_size, float epsilon, float *mean,
                         float *inv_std_dev);

/**
 * InstanceNormalization of [batch, channels, plane_size]: each (n, c) plane normalized with its own mean and
 * variance, then times scale[c] plus bias[c]. May run in place.
 */
void eenn_instance_norm_f32(const float *input, float *output, int32_t batch, int32_t channels, int32_t plane_size,
                            const float *scale, const float *bias, float epsilon);

/**
 * MeanVarianceNormalization over any set of axes, in the layout of the reductions (EENN_REDUCE_PARAMS_F32): each
 * group of elements j0*k_s0 + j1*k_s1 + j2*k_s2 + i0*r_s0 + i1*r_s1 + i2*r_s2 (i in [r0, r1, r2]) becomes
 * (x - mean) / (sqrt(variance) + epsilon), written at the same offsets of the output. May run in place.
 */
void eenn_mvn_f32(const float *input, float *output, int32_t k0, int32_t k1, int32_t k2, int32_t k_s0, int32_t k_s1,
                  int32_t k_s2, int32_t r0, int32_t r1, int32_t r2, int32_t r_s0, int32_t r_s1, int32_t r_s2,
                  float epsilon);

/**
 * LRN across channels of [batch, channels, inner]: y = x / (bias + alpha_over_size * sum of x^2 over the channels
 * [c - before, c + after] inside [0, channels))^beta.
 */
void eenn_lrn_f32(const float *EENN_RESTRICT input, float *EENN_RESTRICT output, int32_t batch, int32_t channels,
                  int32_t inner, int32_t before, int32_t after, float alpha_over_size, float beta, float bias);

/* ------------------------------------------------------------------------------------------------ */
/* Data movement (eenn_layout_f32.c)                                                                  */
/* ------------------------------------------------------------------------------------------------ */

/** output[i] = input[i] for i < size. */
void eenn_copy_f32(const float *EENN_RESTRICT input, float *EENN_RESTRICT output, int32_t size);

/** output[i] = value for i < size. */
void eenn_fill_f32(float *output, int32_t size, float value);

/**
 * Strided copy over a 4-D index space [d0, d1, d2, d3]: element (i0, i1, i2, i3) goes from
 * input[i0*in_s0 + ... + i3*in_s3] to output[i0*out_s0 + ... + i3*out_s3]. Transpose, Slice (negative
 * strides for negative steps), Concat and Split (one call per part), Expand (stride 0) and
 * DepthToSpace/SpaceToDepth all lower to it. Input strides may be negative or 0.
 */
void eenn_strided_copy_f32(const float *EENN_RESTRICT input, float *EENN_RESTRICT output,
                           int32_t d0, int32_t d1, int32_t d2, int32_t d3,
                           int32_t in_s0, int32_t in_s1, int32_t in_s2, int32_t in_s3,
                           int32_t out_s0, int32_t out_s1, int32_t out_s2, int32_t out_s3);

/**
 * Gather rows through a table of offsets: output[r][j] = input[row_offsets[r] + j * step] for r < rows,
 * j < row_size. The compiler uses it for element moves that no strided copy expresses (Gather with
 * arbitrary constant indices, GatherElements); row_offsets point inside input.
 * output [rows, row_size]
 */
void eenn_gather_rows_f32(const float *EENN_RESTRICT input, float *EENN_RESTRICT output,
                          int32_t rows, int32_t row_size, int32_t step,
                          const int32_t *EENN_RESTRICT row_offsets);

/** Pad modes of eenn_pad_f32 (ONNX Pad "mode"). */
#define EENN_PAD_CONSTANT 0
#define EENN_PAD_REFLECT 1
#define EENN_PAD_EDGE 2
#define EENN_PAD_WRAP 3

/**
 * Pad a 4-D tensor: output [out_d0..out_d3] with out_dk = in_dk + begin_k + end_k (begin_k, end_k >= 0; the
 * compiler applies negative pads by moving input and shrinking in_dk). Output element (j0..j3) reads input
 * element (j0 - begin_0, ...) at offset sum(ik * in_sk), mapped by the mode when outside: CONSTANT writes
 * value, REFLECT mirrors without repeating the edge, EDGE repeats the edge, WRAP wraps around.
 * mode is one of EENN_PAD_*; in_dk >= 1 unless mode is CONSTANT.
 */
void eenn_pad_f32(const float *EENN_RESTRICT input, float *EENN_RESTRICT output,
                  int32_t in_d0, int32_t in_d1, int32_t in_d2, int32_t in_d3,
                  int32_t in_s0, int32_t in_s1, int32_t in_s2, int32_t in_s3,
                  int32_t out_d0, int32_t out_d1, int32_t out_d2, int32_t out_d3,
                  int32_t begin_0, int32_t begin_1, int32_t begin_2, int32_t begin_3,
                  int32_t mode, float value);

/**
 * Separable resampling of the last two axes (Resize nearest / linear / cubic, Upsample), with the
 * sampling precomputed by the compiler: output row oy blends input rows y_index[oy*taps_y + t] with
 * weights y_weight[oy*taps_y + t] (t < taps_y), and likewise for columns. Indices are already clamped
 * to the input, and weights include every ONNX coordinate-mode and cubic-coefficient rule.
 *
 * input     [channels, in_h, in_w]
 * output    [channels, out_h, out_w]
 * y_*       [out_h * taps_y], x_* [out_w * taps_x]; taps 1 (nearest), 2 (linear) or 4 (cubic)
 */
void eenn_resize_f32(const float *EENN_RESTRICT input, float *EENN_RESTRICT output,
                     int32_t channels, int32_t in_h, int32_t in_w, int32_t out_h, int32_t out_w,
                     int32_t taps_y, const int32_t *EENN_RESTRICT y_index, const float *EENN_RESTRICT y_weight,
                     int32_t taps_x, const int32_t *EENN_RESTRICT x_index, const float *EENN_RESTRICT x_weight);

/**
 * Nearest-neighbour resampling of the last two axes: output[c][oy][ox] = input[c][y_index[oy]][x_index[ox]].
 * input [channels, in_h, in_w], output [channels, out_h, out_w].
 */
void eenn_resize_nearest_f32(const float *EENN_RESTRICT input, float *EENN_RESTRICT output,
                             int32_t channels, int32_t in_h, int32_t in_w, int32_t out_h, int32_t out_w,
                             const int32_t *EENN_RESTRICT y_index, const int32_t *EENN_RESTRICT x_index);

/* ------------------------------------------------------------------------------------------------ */
/* Running sums (eenn_cumsum_f32.c; Trilu of every type: eenn_kernels_typed.h)                      */
/* ------------------------------------------------------------------------------------------------ */

/**
 * CumSum: running sums along the middle axis of [outer, length, inner]: output[o][j][i] is the float32 sum of
 * input[o][0..j][i] (of input[o][j..length-1][i] when reverse != 0), without input[o][j][i] itself when
 * exclusive != 0; added in that order, one rounding per addition. input, output [outer, length, inner];
 * may run in place.
 */
void eenn_cumsum_f32(const float *input, float *output, int32_t outer, int32_t length, int32_t inner,
                     int32_t exclusive, int32_t reverse);

/* ---------------------------------------------------------------------------------------------- */
/* Early exits (eenn_exit_f32.c): after an exit head, 1 when the model stops there, 0 when it goes on */
/* ---------------------------------------------------------------------------------------------- */

/**
 * The decision on `classes` float scores (classes >= 2), against `threshold` in (0, 1]. Logits: the largest
 * softmax probability >= threshold (max_softmax), the two largest probabilities' difference >= threshold
 * (margin), the entropy / ln(classes) <= threshold (entropy); the _probs functions read a softmax output as it is.
 * src/exits/decide.ts (decideFloat) computes the same, step by step.
 */
int32_t eenn_exit_max_softmax_f32(const float *input, int32_t classes, float threshold);
int32_t eenn_exit_margin_f32(const float *input, int32_t classes, float threshold);
int32_t eenn_exit_entropy_f32(const float *input, int32_t classes, float threshold);
int32_t eenn_exit_max_softmax_probs_f32(const float *input, int32_t classes, float threshold);
int32_t eenn_exit_margin_probs_f32(const float *input, int32_t classes, float threshold);
int32_t eenn_exit_entropy_probs_f32(const float *input, int32_t classes, float threshold);

#ifdef __cplusplus
}
#endif

#endif /* EENN_KERNELS_F32_H */
