/*
 * eenn_kernels_s16.h - the kernels of eennc's int16 activations (the CMSIS-NN s16 scheme): declarations, layouts
 * and ranges. It includes eenn_kernels_s8.h, whose conventions (ONNX layout, element counts, EENN_RESTRICT, the
 * int8 parameters) hold here too.
 *
 * An int16 activation is symmetric: real = scale * q, zero point 0, q in [-32768, 32767]. Weights stay int8,
 * symmetric per output channel. A layer whose input is int16 takes an int64 bias (scale s_in * s_w[c]) and sums
 * into an int64 accumulator, requantized by eenn_requantize_s64 (eenn_fixedpoint.h, CMSIS-NN's
 * arm_nn_requantize_s64) with a per-channel shift of at most 14; a layer with an int8 input and an int16 output is
 * the int8 arithmetic (int32 accumulator and bias, eenn_requantize) with output zero point 0 and an int16 clamp.
 * Each kernel's formula is the int8 dialect's (src/ir/int8.ts, "int16 activations").
 *
 * Paths: every kernel here has one general loop nest, exact on every core; a convolution given a scratch gathers
 * each output pixel's window once and takes plain dot products (two products per SMLAD on cores with the DSP
 * extension), except a depthwise one of int16 input, which reads each channel's windows in place. Products of an int16 value and an int8 weight
 * (|p| <= 2^22) are summed in int32 256 at a time, then in the int64 accumulator. Padded taps add nothing.
 *
 * Parameters, besides those of eenn_kernels_s8.h:
 *   bias (int16 input)  int64 per output channel, or NULL
 *   output_shift        with an int16 input: [-31, 14] (eenn_requantize_s64 shifts right by 14 - shift)
 *   act_min, act_max    the output's clamp: within [-32768, 32767] for an int16 output, [-128, 127] for int8
 */
#ifndef EENN_KERNELS_S16_H
#define EENN_KERNELS_S16_H

#include "eenn_kernels_s8.h"

/* ---------------------------------------------------------------------------------------------------------- */
/* Convolution (eenn_conv_s16.c): any groups (depthwise too), stride, dilation and padding; 1-D as a height of 1.
   Input [batches, in_c, in_h, in_w], weights [out_c, in_c / groups, kernel_h, kernel_w] (ONNX, not packed),
   output [batches, out_c, out_h, out_w]. The output never overlaps the input or the scratch. scratch: the int16
   column of one output pixel's window, EENN_CONV_S16_SCRATCH_BYTES(depth) for depth = in_c / groups * kernel_h *
   kernel_w, 2-byte aligned; or NULL, and each output channel reads the window in place (slower).               */
#define EENN_CONV_S16_SCRATCH_BYTES(depth) (2 * (depth))
/* ---------------------------------------------------------------------------------------------------------- */

/**
 * int16 input, int16 output: y = clamp(eenn_requantize_s64(B[m] + sum x * w, multiplier[m], shift[m]),
 * act_min, act_max).
 */
void eenn_conv2d_s16(const int16_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                     const int64_t *EENN_RESTRICT bias, int16_t *EENN_RESTRICT output, void *EENN_RESTRICT scratch,
                     int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                     int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                     int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                     int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                     const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                     int32_t act_min, int32_t act_max);

/** int16 input, int8 output: as eenn_conv2d_s16, plus output_offset (the int8 output's zero point) before the clamp. */
void eenn_conv2d_s16_s8(const int16_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                        const int64_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output, void *EENN_RESTRICT scratch,
                        int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                        int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                        int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                        int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                        int32_t output_offset,
                        const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                        int32_t act_min, int32_t act_max);

/**
 * int8 input, int16 output: y = clamp(eenn_requantize(B[m] + sum (x + input_offset) * w, multiplier[m],
 * shift[m]), act_min, act_max), int32 accumulator and bias (or NULL).
 */
void eenn_conv2d_s8_s16(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                        const int32_t *EENN_RESTRICT bias, int16_t *EENN_RESTRICT output, void *EENN_RESTRICT scratch,
                        int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                        int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                        int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                        int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                        int32_t input_offset,
                        const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                        int32_t act_min, int32_t act_max);

/* ---------------------------------------------------------------------------------------------------------- */
/* Fully connected (eenn_fc_s16.c): input [rows, in_features], weights [out_features, in_features] (not packed),
   output [rows, out_features]; the arithmetic of the convolutions above. The output never overlaps the input. */
/* ---------------------------------------------------------------------------------------------------------- */

/** int16 input, int16 output. */
void eenn_fc_s16(const int16_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                 const int64_t *EENN_RESTRICT bias, int16_t *EENN_RESTRICT output,
                 int32_t rows, int32_t in_features, int32_t out_features,
                 const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                 int32_t act_min, int32_t act_max);

/** int16 input, int8 output (output_offset: its zero point). */
void eenn_fc_s16_s8(const int16_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                    const int64_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                    int32_t rows, int32_t in_features, int32_t out_features, int32_t output_offset,
                    const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                    int32_t act_min, int32_t act_max);

/** int8 input, int16 output (input_offset: -zero point of the input; int32 bias or NULL). */
void eenn_fc_s8_s16(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                    const int32_t *EENN_RESTRICT bias, int16_t *EENN_RESTRICT output,
                    int32_t rows, int32_t in_features, int32_t out_features, int32_t input_offset,
                    const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                    int32_t act_min, int32_t act_max);

/* ---------------------------------------------------------------------------------------------------------- */
/* Requantization (eenn_requantize_s16.c), a change of scale or width, element by element:
   y = clamp(eenn_requantize(x + input_offset, multiplier, shift) + output_offset, act_min, act_max).
   The output never overlaps the input.                                                                      */
/* ---------------------------------------------------------------------------------------------------------- */

/** int8 -> int16 (the output's zero point is 0). */
void eenn_requantize_s8_s16(const int8_t *EENN_RESTRICT input, int16_t *EENN_RESTRICT output, int32_t size,
                            int32_t input_offset, int32_t multiplier, int32_t shift, int32_t act_min, int32_t act_max);

/** int16 -> int8 (the input's zero point is 0). */
void eenn_requantize_s16_s8(const int16_t *EENN_RESTRICT input, int8_t *EENN_RESTRICT output, int32_t size,
                            int32_t output_offset, int32_t multiplier, int32_t shift, int32_t act_min, int32_t act_max);

/** int16 -> int16 (both zero points 0). */
void eenn_requantize_s16(const int16_t *EENN_RESTRICT input, int16_t *EENN_RESTRICT output, int32_t size,
                         int32_t multiplier, int32_t shift, int32_t act_min, int32_t act_max);

/* ---------------------------------------------------------------------------------------------------------- */
/* Max pooling (eenn_pool_s16.c) and data movement (eenn_layout_s16.c) of int16 tensors: the int8 kernels'
   arguments and index rules (eenn_max_pool2d_s8, eenn_global_max_pool_s8, eenn_copy_s8, eenn_strided_copy_s8)
   on two-byte elements. A max-pool window takes its in-bounds taps only (padding adds nothing).              */
/* ---------------------------------------------------------------------------------------------------------- */

void eenn_max_pool2d_s16(const int16_t *EENN_RESTRICT input, int16_t *EENN_RESTRICT output,
                         int32_t channels, int32_t in_h, int32_t in_w, int32_t out_h, int32_t out_w,
                         int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                         int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w);

void eenn_global_max_pool_s16(const int16_t *EENN_RESTRICT input, int16_t *EENN_RESTRICT output, int32_t channels, int32_t size);

void eenn_copy_s16(const int16_t *EENN_RESTRICT input, int16_t *EENN_RESTRICT output, int32_t size);

void eenn_strided_copy_s16(const int16_t *EENN_RESTRICT input, int16_t *EENN_RESTRICT output,
                           int32_t d0, int32_t d1, int32_t d2, int32_t d3,
                           int32_t in_s0, int32_t in_s1, int32_t in_s2, int32_t in_s3,
                           int32_t out_s0, int32_t out_s1, int32_t out_s2, int32_t out_s3);

#endif /* EENN_KERNELS_S16_H */
