/*
 * eenn_kernels_s8.h - int8 kernels of eennc: declarations, layouts and ranges.
 *
 * Tensors use the ONNX layout (row-major, NCHW for images), as the float32 kernels do. Sizes are element
 * counts, strides are in elements (0 broadcasts a dimension). All sizes are >= 1 unless stated. Kernels never
 * allocate; the generated model.c passes pointers into its static arena, the weights in flash, and the
 * caller's input/output buffers. Pointers marked EENN_RESTRICT must not overlap.
 *
 * The quantization scheme is TFLite's / CMSIS-NN's: real = scale * (q - zero_point). Parameters follow
 * CMSIS-NN's names and ranges:
 *   input_offset       -zero_point of the input, [-127, 128]
 *   output_offset      zero_point of the output, [-128, 127]
 *   output_multiplier  Q31 requantization multiplier(s), [0, 2^31 - 1] (normally [2^30, 2^31))
 *   output_shift       its shift, [-31, 30] (> 0 shifts left)
 *   act_min, act_max   output clamp, -128 <= act_min <= act_max <= 127 (a fused Relu / Clip)
 * Every rounding goes through eenn_fixedpoint.h, whose arithmetic src/quantize/fixedpoint.ts mirrors bit for
 * bit; each kernel's doc block states the exact formula (the int8 dialect, src/ir/int8.ts).
 *
 * Accumulators are int32: a convolution or fully connected output sums (x + input_offset) * w over its taps,
 * |term| <= 255 * 127, so up to 66000 taps per output cannot overflow.
 */
#ifndef EENN_KERNELS_S8_H
#define EENN_KERNELS_S8_H

#include <stddef.h>
#include <stdint.h>

#include "eenn_fixedpoint.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef EENN_RESTRICT
#ifdef __cplusplus
#define EENN_RESTRICT __restrict
#else
#define EENN_RESTRICT restrict
#endif
#endif

/* ------------------------------------------------------------------------------------------------ */
/* Convolution (eenn_conv_s8.c)                                                                       */
/* ------------------------------------------------------------------------------------------------ */

/**
 * 2-D convolution, any groups / stride / dilation / padding (1-D: in_h = out_h = kernel_h = 1).
 *
 *   acc = bias[m] + sum over the taps inside the input of (x + input_offset) * w   (padded taps add nothing)
 *   y   = clamp(eenn_requantize(acc, output_multiplier[m], output_shift[m]) + output_offset, act_min, act_max)
 *
 * input     [batches, in_c, in_h, in_w]
 * weights   packed by the compiler from ONNX [out_c, in_c/groups, kernel_h, kernel_w] exactly as the float
 *           kernel packs them: per group, output channels in blocks of 4 stored [in_c/groups][kernel_h][kernel_w][4],
 *           the remaining (out_c/groups) % 4 channels one by one. Symmetric per output channel, [-127, 127].
 * bias      [out_c] int32 (scale s_in * s_w[m]) or NULL
 * output    [batches, out_c, out_h, out_w]
 * output_multiplier, output_shift  [out_c]
 * groups    divides in_c and out_c; stride_* >= 1; pad_top/pad_left >= 0; dilation_* >= 1
 */
void eenn_conv2d_s8(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                    const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                    int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                    int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                    int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                    int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                    int32_t input_offset, int32_t output_offset,
                    const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                    int32_t act_min, int32_t act_max);

/**
 * 1x1 convolution with stride 1, no padding, one group: a matrix product per image. Arithmetic as eenn_conv2d_s8.
 *
 * input     [batches, in_c, size]       (size = height * width)
 * weights   [out_c, in_c] packed as eenn_conv2d_s8 packs them (blocks of 4 output channels)
 * bias      [out_c] int32 or NULL
 * output    [batches, out_c, size]
 */
void eenn_conv2d_1x1_s8(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                        const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                        int32_t batches, int32_t in_c, int32_t size, int32_t out_c,
                        int32_t input_offset, int32_t output_offset,
                        const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                        int32_t act_min, int32_t act_max);

/**
 * Depthwise 2-D convolution: groups == in_c, out_c = in_c * multiplier; output channel m reads input channel
 * m / multiplier. Arithmetic as eenn_conv2d_s8.
 *
 * weights   [out_c, 1, kernel_h, kernel_w] (ONNX layout, not packed)
 * Other parameters as eenn_conv2d_s8.
 */
void eenn_depthwise_conv2d_s8(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                              const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                              int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                              int32_t multiplier, int32_t out_h, int32_t out_w,
                              int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                              int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                              int32_t input_offset, int32_t output_offset,
                              const int32_t *EENN_RESTRICT output_multiplier,
                              const int32_t *EENN_RESTRICT output_shift, int32_t act_min, int32_t act_max);

/**
 * 2-D transposed convolution (ONNX ConvTranspose): output pixel (oy, ox) gathers input pixel (iy, ix) through
 * tap (ky, kx) when oy = iy * stride_h - pad_top + ky * dilation_h (and likewise for x). Arithmetic as
 * eenn_conv2d_s8, the sum running over every (input channel of the group, tap) pair that reaches the pixel.
 *
 * input     [batches, in_c, in_h, in_w]
 * weights   [in_c, out_c/groups, kernel_h, kernel_w] (ONNX layout), symmetric per output channel
 * bias      [out_c] int32 or NULL
 * output    [batches, out_c, out_h, out_w] (out_h/out_w already include output_padding)
 * output_multiplier, output_shift  [out_c]
 * pad_top/pad_left >= 0: the begin pads after auto_pad / output_shape resolution; kernel_h, kernel_w <= 16.
 */
void eenn_conv_transpose2d_s8(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                              const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                              int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                              int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                              int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                              int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                              int32_t input_offset, int32_t output_offset,
                              const int32_t *EENN_RESTRICT output_multiplier,
                              const int32_t *EENN_RESTRICT output_shift, int32_t act_min, int32_t act_max);

/* ------------------------------------------------------------------------------------------------ */
/* Fully connected (eenn_fc_s8.c)                                                                     */
/* ------------------------------------------------------------------------------------------------ */

/**
 * Fully connected layer (CMSIS-NN arm_fully_connected_s8 with per-channel requantization):
 *
 *   acc = bias[n] + sum_k (input[r][k] + input_offset) * W[n][k]
 *   output[r][n] = clamp(eenn_requantize(acc, output_multiplier[n], output_shift[n]) + output_offset,
 *                        act_min, act_max)
 *
 * input     [rows, in_features]
 * weights   W [out_features, in_features] packed: output features in blocks of 4 stored as [in_features][4],
 *           the remaining out_features % 4 one by one as [in_features]
 * bias      [out_features] int32 or NULL
 * output    [rows, out_features]
 * output_multiplier, output_shift  [out_features]
 */
void eenn_fc_s8(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                int32_t rows, int32_t in_features, int32_t out_features,
                int32_t input_offset, int32_t output_offset,
                const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                int32_t act_min, int32_t act_max);

/* ------------------------------------------------------------------------------------------------ */
/* Element-wise binary operators with broadcasting (eenn_elementwise_s8.c)                            */
/* ------------------------------------------------------------------------------------------------ */

/*
 * The binary kernels share the index space of the float32 ones: output[i0][i1][i2][i3] = a[...] OP b[...]
 * over the output shape [d0, d1, d2, d3] (contiguous), where a is read at i0*a_s0 + i1*a_s1 + i2*a_s2 +
 * i3*a_s3 and b likewise; a stride of 0 broadcasts that dimension. Each output element is computed from the
 * two input elements at its own index only, so output may equal a or b when that operand has the output's shape.
 */
#define EENN_BINARY_PARAMS_S8                                                                          \
    const int8_t *a, const int8_t *b, int8_t *output, int32_t d0, int32_t d1, int32_t d2, int32_t d3, \
        int32_t a_s0, int32_t a_s1, int32_t a_s2, int32_t a_s3, int32_t b_s0, int32_t b_s1,             \
        int32_t b_s2, int32_t b_s3

/**
 * Add (CMSIS-NN arm_elementwise_add_s8, TFLite's int8 Add), per element through eenn_add_s8:
 *   a' = eenn_requantize((a + input1_offset) << left_shift, input1_multiplier, input1_shift)   (b' likewise)
 *   y  = clamp(eenn_requantize(a' + b', output_multiplier, output_shift) + output_offset, act_min, act_max)
 * input*_shift <= 0; left_shift: 20 for int8.
 */
void eenn_elementwise_add_s8(EENN_BINARY_PARAMS_S8, int32_t input1_offset, int32_t input1_multiplier,
                             int32_t input1_shift, int32_t input2_offset, int32_t input2_multiplier,
                             int32_t input2_shift, int32_t left_shift, int32_t output_offset,
                             int32_t output_multiplier, int32_t output_shift, int32_t act_min, int32_t act_max);

/** Subtract: as eenn_elementwise_add_s8 with a' - b' (two's complement, wrapping) in place of a' + b'. */
void eenn_elementwise_sub_s8(EENN_BINARY_PARAMS_S8, int32_t input1_offset, int32_t input1_multiplier,
                             int32_t input1_shift, int32_t input2_offset, int32_t input2_multiplier,
                             int32_t input2_shift, int32_t left_shift, int32_t output_offset,
                             int32_t output_multiplier, int32_t output_shift, int32_t act_min, int32_t act_max);

/**
 * Multiply (CMSIS-NN arm_elementwise_mul_s8), per element through eenn_mul_s8:
 *   y = clamp(eenn_requantize((a + input1_offset) * (b + input2_offset), output_multiplier, output_shift)
 *             + output_offset, act_min, act_max)
 */
void eenn_elementwise_mul_s8(EENN_BINARY_PARAMS_S8, int32_t input1_offset, int32_t input2_offset,
                             int32_t output_offset, int32_t output_multiplier, int32_t output_shift,
                             int32_t act_min, int32_t act_max);

/* ------------------------------------------------------------------------------------------------ */
/* Lookup tables and conversions (eenn_lut_s8.c, eenn_quantize_s8.c)                                  */
/* ------------------------------------------------------------------------------------------------ */

/**
 * Any function of one int8 value through a 256-entry table (Sigmoid, Tanh, HardSwish, a change of scale...):
 * output[i] = table[input[i] + 128]. May run in place (output == input).
 *
 * table     [256], table[q + 128] is the output for input q
 */
void eenn_lut_s8(const int8_t *input, int8_t *output, int32_t size, const int8_t *EENN_RESTRICT table);

/**
 * Quantize float32 values (a model input in --io float32 mode): output[i] = eenn_quantize_f32_s8(input[i],
 * scale, zero_point), i.e. clamp(round_half_away(input[i] / scale) + zero_point, -128, 127).
 * scale: the output's float32 scale, > 0; zero_point [-128, 127].
 */
void eenn_quantize_s8(const float *EENN_RESTRICT input, int8_t *EENN_RESTRICT output, int32_t size, float scale,
                      int32_t zero_point);

/**
 * Dequantize int8 values (a model output in --io float32 mode): output[i] = scale * (input[i] - zero_point),
 * one float32 multiply (eenn_dequantize_s8_f32).
 */
void eenn_dequantize_s8(const int8_t *EENN_RESTRICT input, float *EENN_RESTRICT output, int32_t size, float scale,
                        int32_t zero_point);

/* ------------------------------------------------------------------------------------------------ */
/* Pooling (eenn_pool_s8.c)                                                                           */
/* ------------------------------------------------------------------------------------------------ */

/**
 * 2-D max pooling (1-D: in_h = out_h = kernel_h = 1) of values sharing one scale and zero point. Padded taps
 * are ignored; a window with no tap inside the input gives -128. Same window rules as eenn_max_pool2d_f32.
 *
 * input     [channels, in_h, in_w]   (channels = batches * C)
 * output    [channels, out_h, out_w] (ceil_mode is already in out_h / out_w)
 */
void eenn_max_pool2d_s8(const int8_t *EENN_RESTRICT input, int8_t *EENN_RESTRICT output,
                        int32_t channels, int32_t in_h, int32_t in_w, int32_t out_h, int32_t out_w,
                        int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                        int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w);

/** Maximum of each channel: input [channels, size] -> output [channels]. */
void eenn_global_max_pool_s8(const int8_t *EENN_RESTRICT input, int8_t *EENN_RESTRICT output,
                             int32_t channels, int32_t size);

/**
 * 2-D average pooling (CMSIS-NN arm_avgpool_s8; 1-D: in_h = out_h = kernel_h = 1); the output keeps the
 * input's scale and zero point:
 *   sum   = sum of the taps inside the input, plus -input_offset (the zero point: a real 0) for each tap in
 *           the padding [-pad_top, in_h + pad_bottom) x [-pad_left, in_w + pad_right) when count_include_pad
 *   count = the taps summed (inside the input, or inside the padded input when count_include_pad)
 *   y     = clamp(eenn_rounding_divide_s32(sum, count), act_min, act_max)
 * A window with no tap counted gives clamp(0). GlobalAveragePool: kernel = the whole plane, stride 1, no pads.
 *
 * input     [channels, in_h, in_w]
 * output    [channels, out_h, out_w]
 * input_offset  -zero_point of the input (and output)
 */
void eenn_avg_pool2d_s8(const int8_t *EENN_RESTRICT input, int8_t *EENN_RESTRICT output,
                        int32_t channels, int32_t in_h, int32_t in_w, int32_t out_h, int32_t out_w,
                        int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                        int32_t pad_top, int32_t pad_left, int32_t pad_bottom, int32_t pad_right,
                        int32_t count_include_pad, int32_t input_offset, int32_t act_min, int32_t act_max);

/* ------------------------------------------------------------------------------------------------ */
/* Softmax (eenn_softmax_s8.c)                                                                        */
/* ------------------------------------------------------------------------------------------------ */

/**
 * Softmax of each row of `row_size` contiguous values; output scale 1/256, zero point -128:
 *   d     = max(row) - x, in [0, 255]
 *   sum   = sum over the row of table[d]                                      (uint32)
 *   y     = clamp((table[d] * 256 + sum / 2) / sum - 128, -128, 127)         (unsigned division, half up)
 *
 * input, output  [rows, row_size]; may run in place
 * table     [256] int32, table[d] = round(exp(-s_in * d) * 2^16), table[0] = 65536, values in [0, 65536]
 * row_size  [1, 65535] so that the sum and the numerator fit in uint32
 */
void eenn_softmax_s8(const int8_t *input, int8_t *output, int32_t rows, int32_t row_size,
                     const int32_t *EENN_RESTRICT table);

/* ------------------------------------------------------------------------------------------------ */
/* Data movement (eenn_layout_s8.c): the float32 kernels' index rules on one-byte elements            */
/* ------------------------------------------------------------------------------------------------ */

/** output[i] = input[i] for i < size. */
void eenn_copy_s8(const int8_t *EENN_RESTRICT input, int8_t *EENN_RESTRICT output, int32_t size);

/** Strided copy over a 4-D index space, as eenn_strided_copy_f32 (Transpose, Slice, Concat, Split, Expand...). */
void eenn_strided_copy_s8(const int8_t *EENN_RESTRICT input, int8_t *EENN_RESTRICT output,
                          int32_t d0, int32_t d1, int32_t d2, int32_t d3,
                          int32_t in_s0, int32_t in_s1, int32_t in_s2, int32_t in_s3,
                          int32_t out_s0, int32_t out_s1, int32_t out_s2, int32_t out_s3);

/** output[r][j] = input[row_offsets[r] + j * step], as eenn_gather_rows_f32 (Gather with constant indices). */
void eenn_gather_rows_s8(const int8_t *EENN_RESTRICT input, int8_t *EENN_RESTRICT output,
                         int32_t rows, int32_t row_size, int32_t step,
                         const int32_t *EENN_RESTRICT row_offsets);

#ifndef EENN_PAD_CONSTANT
/** Pad modes (ONNX Pad "mode"), shared with eenn_pad_f32. */
#define EENN_PAD_CONSTANT 0
#define EENN_PAD_REFLECT 1
#define EENN_PAD_EDGE 2
#define EENN_PAD_WRAP 3
#endif

/**
 * Pad a 4-D tensor, as eenn_pad_f32; `value` is the int8 constant written in CONSTANT mode (the
 * quantized pad value: the zero point for a real 0), [-128, 127].
 */
void eenn_pad_s8(const int8_t *EENN_RESTRICT input, int8_t *EENN_RESTRICT output,
                 int32_t in_d0, int32_t in_d1, int32_t in_d2, int32_t in_d3,
                 int32_t in_s0, int32_t in_s1, int32_t in_s2, int32_t in_s3,
                 int32_t out_d0, int32_t out_d1, int32_t out_d2, int32_t out_d3,
                 int32_t begin_0, int32_t begin_1, int32_t begin_2, int32_t begin_3,
                 int32_t mode, int32_t value);

/**
 * Nearest-neighbour resampling of the last two axes (Resize / Upsample mode nearest), as
 * eenn_resize_nearest_f32: output[c][oy][ox] = input[c][y_index[oy]][x_index[ox]].
 */
void eenn_resize_nearest_s8(const int8_t *EENN_RESTRICT input, int8_t *EENN_RESTRICT output,
                            int32_t channels, int32_t in_h, int32_t in_w, int32_t out_h, int32_t out_w,
                            const int32_t *EENN_RESTRICT y_index, const int32_t *EENN_RESTRICT x_index);

#ifdef __cplusplus
}
#endif

/* ------------------------------------------------------------------------------------------------------ */
/* Resampling (eenn_resize_s8.c)                                                                           */
/* ------------------------------------------------------------------------------------------------------ */

/**
 * eenn_resize_s8: linear or cubic resize of `planes` NCHW planes [in_h][in_w] -> [out_h][out_w] (QResize).
 *   acc = sum_i sum_j weight_h[oy*taps_h+i] * weight_w[ox*taps_w+j] * (input[index_h[..]][index_w[..]] + input_offset)
 *   output = clamp_s8(requantize(acc, output_multiplier, output_shift) + output_offset)
 * Weights are Q10 (each output's taps sum to 1024); indices are input rows / columns; the multiplier rescales
 * the 20 fraction bits of acc and the input scale to the output scale. A 1-D resize passes in_h = out_h = 1,
 * taps_h = 1, index_h = {0}, weight_h = {1024}.
 */
void eenn_resize_s8(const int8_t *EENN_RESTRICT input, int8_t *EENN_RESTRICT output, int32_t planes,
                    int32_t in_h, int32_t in_w, int32_t out_h, int32_t out_w,
                    int32_t taps_h, const int32_t *EENN_RESTRICT index_h, const int32_t *EENN_RESTRICT weight_h,
                    int32_t taps_w, const int32_t *EENN_RESTRICT index_w, const int32_t *EENN_RESTRICT weight_w,
                    int32_t input_offset, int32_t output_multiplier, int32_t output_shift, int32_t output_offset);

#endif /* EENN_KERNELS_S8_H */
