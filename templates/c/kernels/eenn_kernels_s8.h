/*
 * eenn_kernels_s8.h - int8 kernels of eennc: declarations, layouts and ranges (the public API; the inner loops
 * the kernel files share are in eenn_nn_support_s8.h and eenn_conv_support_s8.h, not part of it).
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

/*
 * Optional paths. The compiler writes eenn_config.h beside this header with the paths its model's layers take
 * set to 1 and the others to 0, so that a firmware links only the code it runs; a fast path left out falls back
 * to the general one, which gives the same bits. Without eenn_config.h every path is compiled. EENN_CONV_S8_EXACT,
 * EENN_CONV_S8_DIRECT and EENN_FC_S8_EXACT are correctness switches, not speed paths: the generated model.c
 * asserts each one its layers need at compile time.
 */
#if defined(__has_include)
#if __has_include("eenn_config.h")
#include "eenn_config.h"
#endif
#endif
/* Convolutions: the requantization of two pixels when the clamp is the whole int8 range (a saturation). */
#ifndef EENN_CONV_S8_SATURATE
#define EENN_CONV_S8_SATURATE 1
#endif
/* Convolutions: the requantization of two pixels with a narrower clamp (a fused Relu). */
#ifndef EENN_CONV_S8_CLAMP
#define EENN_CONV_S8_CLAMP 1
#endif
/* Convolutions of fewer than 16 values per output (first layers): runs along an output row, the input rows copied
   once per run (on DSP with dilation_w > 1: tiles of 8 pixels); on MVE the two-pixel loops of eenn_multiply_columns_s8
   with the output stage as a constant, and eenn_im2col_s8's word loops. */
#ifndef EENN_CONV_S8_FEW_VALUES
#define EENN_CONV_S8_FEW_VALUES 1
#endif
/* Convolutions of 3x3 windows: their own gathering of the im2col columns (without it, the loops of any window). */
#ifndef EENN_CONV_S8_3X3
#define EENN_CONV_S8_3X3 1
#endif
/* Convolutions (and 1x1 ones) on DSP of 16 to 288 values per output, a multiple of 4, with a bias and the bounded
   output stage: three pixels per pass, their expanded columns interleaved in a buffer on the stack of 1,728 B (else
   two pixels per pass). The compiler turns it on only in a model that needs no EENN_CONV_S8_TWO_PIXELS. */
#ifndef EENN_CONV_S8_THREE_PIXELS
#define EENN_CONV_S8_THREE_PIXELS 1
#endif
/* Convolutions on DSP of 16 values per output or more, a multiple of 4, with a bias, that multiply two pixels per
   pass (1x1 convolutions, deeper layers, the tiles of intermittent builds): the two-pixel loop over the pairs of
   channels (else the pairs in C around the chunk loop). */
#ifndef EENN_CONV_S8_TWO_PIXELS
#define EENN_CONV_S8_TWO_PIXELS 1
#endif
/* Convolutions on DSP of 16 values per output or more whose weight rows do not start on whole words (a depth not
   a multiple of 4): the two-pixel loop with one weight load per group (else those layers multiply in C). */
#ifndef EENN_CONV_S8_UNALIGNED_ROWS
#define EENN_CONV_S8_UNALIGNED_ROWS 1
#endif
/* Convolutions: the exact output stage (eenn_requantize_s8) for layers that fail eenn_requantize_bounded_ok_s8.
   A correctness switch, not a speed path: with 0, a layer that fails that test computes wrong outputs, so model.c
   carries _Static_assert(EENN_CONV_S8_EXACT, ...) for every layer that needs it and a wrong setting fails to
   compile. */
#ifndef EENN_CONV_S8_EXACT
#define EENN_CONV_S8_EXACT 1
#endif
/* Convolutions without a scratch (NULL), reading the input in place. A correctness switch, not a speed path: with
   0, every call to eenn_conv2d_s8 and eenn_conv2d_1x1_s8 must give a scratch (model.c asserts it for each call
   that gives none). */
#ifndef EENN_CONV_S8_DIRECT
#define EENN_CONV_S8_DIRECT 1
#endif
/* Fully connected: the exact output stage, a correctness switch as EENN_CONV_S8_EXACT (model.c asserts it). */
#ifndef EENN_FC_S8_EXACT
#define EENN_FC_S8_EXACT 1
#endif
/* Fully connected: the requantization when the clamp is the whole int8 range. */
#ifndef EENN_FC_S8_SATURATE
#define EENN_FC_S8_SATURATE 1
#endif
/* Fully connected layers whose out_features is not a multiple of 4: the fast loops of the last 2 and 1 rows
   (without them, those rows take the plain C loop). */
#ifndef EENN_FC_S8_TAIL_ROWS
#define EENN_FC_S8_TAIL_ROWS 1
#endif
/* Depthwise 3x3 (dilation 1 across) with the fast requantization. */
#ifndef EENN_DEPTHWISE_S8_3X3
#define EENN_DEPTHWISE_S8_3X3 1
#endif
/* Depthwise 3x3 at stride 1 on DSP: rows of a multiple of 8 output pixels (4 with a narrower clamp) in the loop
   of 8 (4) pixels a pass (without it, the loop of 2). */
#ifndef EENN_DEPTHWISE_S8_3X3_WIDE
#define EENN_DEPTHWISE_S8_3X3_WIDE 1
#endif
/* Depthwise 3x3 at stride 1 on DSP with a clamp narrower than int8 (a fused Relu) in the fused loops (without
   it, such channels sum, then requantize). */
#ifndef EENN_DEPTHWISE_S8_3X3_CLAMP
#define EENN_DEPTHWISE_S8_3X3_CLAMP 1
#endif
/* Depthwise 3x3 at stride_w > 1 on DSP: its own loops (without them, the general band routine). */
#ifndef EENN_DEPTHWISE_S8_3X3_STRIDED
#define EENN_DEPTHWISE_S8_3X3_STRIDED 1
#endif

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
/* Weight layout of the convolution and fully connected kernels                                       */
/* ------------------------------------------------------------------------------------------------ */

/*
 * Weight rows packed in pairs (eenn_conv2d_s8, eenn_conv2d_1x1_s8): the rows [channels, depth] of a
 * layer (of one group for a grouped convolution) are stored in pairs of output channels (m, m + 1), each pair
 * 16 values at a time: [m: k .. k+15][m+1: k .. k+15] for every whole 16 values, then [m: rest][m+1: rest]. An
 * odd last channel keeps its plain row. Rows shorter than 16 values are padded with zeros to a multiple of 4
 * (EENN_PAIRED_ROW_S8), so that they go in whole words; longer rows are not padded and the packed array has the
 * size of the ONNX tensor. The block of channel m starts at (m & ~1) * EENN_PAIRED_ROW_S8(depth). The loops
 * read both channels of a pair from one pointer, and 16 values of one channel are contiguous (one MVE vector).
 */

/** Values of each channel per chunk of the paired layout. */
#define EENN_PAIR_CHUNK_S8 16

/** Bytes of one row in the paired layout: depth, rounded up to a multiple of 4 below EENN_PAIR_CHUNK_S8. */
#define EENN_PAIRED_ROW_S8(depth) ((depth) < EENN_PAIR_CHUNK_S8 ? ((depth) + 3) / 4 * 4 : (depth))

/** Most values one output may sum for eenn_requantize_bounded_s8 (eenn_requantize_bounded_ok_s8). */
#define EENN_BOUNDED_DEPTH_S8 32768

/* ------------------------------------------------------------------------------------------------ */
/* Convolution (eenn_conv2d_s8.c, eenn_conv2d_1x1_s8.c, eenn_conv_transpose2d_s8.c)                  */
/* ------------------------------------------------------------------------------------------------ */

/**
 * Bytes of working memory eenn_conv2d_s8 takes for `depth` = (in_c / groups) * kernel_h * kernel_w values per
 * output pixel: the im2col columns of two output pixels (of eight below 16 values, the tiles of first layers),
 * two bytes per value, each column rounded up to a multiple of 4 values (with Helium and 16 values or more: the
 * columns of four pixels, one byte per value, in the same bytes).
 */
#define EENN_CONV_S8_SCRATCH_BYTES(depth) (((depth) < 16 ? 16 : 4) * (((depth) + 3) / 4 * 4))

/** Bytes of working memory eenn_conv2d_1x1_s8 takes: the columns of two pixels (four with Helium), as
    EENN_CONV_S8_SCRATCH_BYTES. */
#define EENN_CONV_1X1_S8_SCRATCH_BYTES(in_c) (4 * (((in_c) + 3) / 4 * 4))

/**
 * 2-D convolution, any groups / stride / dilation / padding (1-D: in_h = out_h = kernel_h = 1), with the input
 * zero point folded into the bias by the compiler:
 *
 *   acc = bias[m] + sum over the window of x * w, where a tap in the padding reads the zero point (-input_offset)
 *   y   = clamp(eenn_requantize(acc, output_multiplier[m], output_shift[m]) + output_offset, act_min, act_max)
 *
 * which equals the int8 dialect's B[m] + sum over the taps inside the input of (x + input_offset) * w when
 * bias[m] = B[m] + input_offset * (sum of W[m]) (int32, wrapping: every sum is exact modulo 2^32).
 *
 * With a scratch, output pixels go two at a time through their im2col columns (the window's values in the
 * order of a weight row): two output channels of two pixels per __SMLAD loop on int16 pairs (DSP extension),
 * per VMLADAVA loop on 16 bytes (Helium, MVE), four output channels of one pixel in portable C. With
 * scratch NULL the windows are read from the input directly (portable C, slower).
 *
 * input     [batches, in_c, in_h, in_w]
 * weights   [out_c, in_c/groups, kernel_h, kernel_w], each group's rows packed in pairs (see above),
 *           symmetric per channel, [-127, 127]
 * bias      [out_c] int32: the folded bias above, or NULL when it is 0 for every channel
 * output    [batches, out_c, out_h, out_w]
 * scratch   EENN_CONV_S8_SCRATCH_BYTES((in_c / groups) * kernel_h * kernel_w) bytes, 4-byte aligned, or NULL
 * output_multiplier, output_shift  [out_c]
 * groups    divides in_c and out_c; stride_* >= 1; pad_top/pad_left >= 0; dilation_* >= 1
 */
void eenn_conv2d_s8(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                    const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output, int8_t *EENN_RESTRICT scratch,
                    int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                    int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                    int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                    int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                    int32_t input_offset, int32_t output_offset,
                    const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                    int32_t act_min, int32_t act_max);

/** Output pixels of a unit of eenn_conv2d_s8_units: a pair, as the multiply loops take them. */
#define EENN_CONV_S8_UNIT_PIXELS 2

/**
 * eenn_conv2d_s8 computing units [unit_begin, unit_end) only (a tile of a step run in pieces), unit q * blocks + k
 * being the block k of output channels [k * block_channels, min((k + 1) * block_channels, out_c / groups)) of the
 * output pixels 2q and 2q + 1 (pixel p = oy * out_w + ox; the last pair of an odd count is one pixel) of every
 * group and image, blocks = ceil(out_c / groups / block_channels): a run of units is some blocks of a pair, then
 * whole pairs, then some blocks of a last one. Each output exactly as the whole call computes it; the other
 * outputs are not written. block_channels: even, or out_c / groups (units are then pairs of pixels). bounded:
 * whether the layer passes eenn_requantize_bounded_ok_s8 (1 or 0, as the compiler found it), or -1 to test it
 * here, which costs every tile a pass over every channel. Other parameters as eenn_conv2d_s8, which is this call
 * with every unit.
 */
void eenn_conv2d_s8_units(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                          const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                          int8_t *EENN_RESTRICT scratch, int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                          int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                          int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                          int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                          int32_t input_offset, int32_t output_offset,
                          const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                          int32_t act_min, int32_t act_max, int32_t bounded, int32_t block_channels,
                          int32_t unit_begin, int32_t unit_end);

/**
 * 1x1 convolution with stride 1, no padding, one group: a matrix product per image, the input zero point folded
 * into the bias as for eenn_conv2d_s8 (acc = bias[m] + sum_c x[c] * W[m][c]). With a scratch, the values of two
 * pixels are gathered into columns and multiplied as eenn_conv2d_s8 multiplies its columns; with scratch NULL
 * the input is read in place (portable C, slower).
 *
 * input     [batches, in_c, size]       (size = height * width)
 * weights   [out_c, in_c], rows packed in pairs (see above)
 * bias      [out_c] int32: B[m] + input_offset * (sum of W[m]), or NULL when it is 0 for every channel
 * output    [batches, out_c, size]
 * scratch   EENN_CONV_1X1_S8_SCRATCH_BYTES(in_c) bytes, 4-byte aligned, or NULL
 * input_offset  -zero point of the input; the kernel does not need it (it is in the bias)
 */
void eenn_conv2d_1x1_s8(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                        const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output, int8_t *EENN_RESTRICT scratch,
                        int32_t batches, int32_t in_c, int32_t size, int32_t out_c,
                        int32_t input_offset, int32_t output_offset,
                        const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                        int32_t act_min, int32_t act_max);

/**
 * eenn_conv2d_1x1_s8 computing units [unit_begin, unit_end) only (a tile of a step run in pieces), unit
 * q * blocks + k being the block k of output channels [k * block_channels, min((k + 1) * block_channels, out_c)) of
 * the pixels 2q and 2q + 1 (the last pair of an odd size is one pixel) of every image, blocks =
 * ceil(out_c / block_channels), as eenn_conv2d_s8_units. Each output exactly as the whole call computes it; the
 * other outputs are not written. block_channels: even, or out_c. bounded: as for eenn_conv2d_s8_units. Other
 * parameters as eenn_conv2d_1x1_s8, which is this call with every unit.
 */
void eenn_conv2d_1x1_s8_units(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                              const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                              int8_t *EENN_RESTRICT scratch, int32_t batches, int32_t in_c, int32_t size, int32_t out_c,
                              int32_t input_offset, int32_t output_offset,
                              const int32_t *EENN_RESTRICT output_multiplier,
                              const int32_t *EENN_RESTRICT output_shift, int32_t act_min, int32_t act_max,
                              int32_t bounded, int32_t block_channels, int32_t unit_begin, int32_t unit_end);

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
/* Depthwise convolution (eenn_depthwise_s8.c)                                                        */
/* ------------------------------------------------------------------------------------------------ */

/** Output rows eenn_depthwise_conv2d_s8 computes per pass over its scratch. */
#define EENN_DEPTHWISE_S8_BAND 8

/** Bytes of one padded row in eenn_depthwise_conv2d_s8's scratch: the columns any output reads, with room for
    4-byte loads and vectors of 4 pixels past the last one, rounded up to 4. */
#define EENN_DEPTHWISE_S8_ROW_BYTES(out_w, kernel_w, stride_w, dilation_w) \
    (((((out_w) + 3) / 4 * 4 * (stride_w) + ((kernel_w)-1) * (dilation_w) + 4) + 3) / 4 * 4)

/** Bytes of scratch eenn_depthwise_conv2d_s8 needs: the padded rows that a band of
    min(out_h, EENN_DEPTHWISE_S8_BAND) output rows reads. */
#define EENN_DEPTHWISE_S8_SCRATCH_BYTES(out_h, out_w, kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w) \
    ((((out_h) < EENN_DEPTHWISE_S8_BAND ? (out_h) : EENN_DEPTHWISE_S8_BAND) - 1) * (stride_h) +                       \
     ((kernel_h)-1) * (dilation_h) + 1) *                                                                             \
        EENN_DEPTHWISE_S8_ROW_BYTES(out_w, kernel_w, stride_w, dilation_w)

/**
 * Depthwise 2-D convolution (1-D: in_h = out_h = kernel_h = 1): groups == in_c, out_c = in_c * multiplier;
 * output channel m reads input channel m / multiplier. Same arithmetic as eenn_conv2d_s8, with the input zero
 * point folded into the bias by the compiler:
 *
 *   acc = bias[m] + sum over the window of x * w, where a tap in the padding reads the zero point (-input_offset)
 *   y   = clamp(eenn_requantize(acc, output_multiplier[m], output_shift[m]) + output_offset, act_min, act_max)
 *
 * which equals B[m] + sum over in-bounds taps of (x + input_offset) * w when bias[m] = B[m] + input_offset *
 * (sum of channel m's weights) (int32, wrapping).
 *
 * input     [batches, in_c, in_h, in_w]
 * weights   [out_c, 1, kernel_h, kernel_w] (ONNX layout, not packed), [-127, 127]
 * bias      [out_c] int32: the folded bias above, or NULL when it is 0 for every channel
 * output    [batches, out_c, out_h, out_w]; may be the input itself (in place) when multiplier == 1,
 *           stride_h == stride_w == 1, out_h == in_h and out_w == in_w
 * scratch   EENN_DEPTHWISE_S8_SCRATCH_BYTES(out_h, out_w, kernel_h, kernel_w, stride_h, stride_w, dilation_h,
 *           dilation_w) bytes of working memory (padded input rows), 4-byte aligned; not the input or the output
 * stride_* >= 1; pad_top/pad_left >= 0 (pad_bottom/pad_right follow from out_h/out_w); dilation_* >= 1
 * Other parameters as eenn_conv2d_s8.
 */
void eenn_depthwise_conv2d_s8(const int8_t *input, const int8_t *EENN_RESTRICT weights,
                              const int32_t *EENN_RESTRICT bias, int8_t *output, int8_t *EENN_RESTRICT scratch,
                              int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                              int32_t multiplier, int32_t out_h, int32_t out_w,
                              int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                              int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                              int32_t input_offset, int32_t output_offset,
                              const int32_t *EENN_RESTRICT output_multiplier,
                              const int32_t *EENN_RESTRICT output_shift, int32_t act_min, int32_t act_max);

/* ------------------------------------------------------------------------------------------------ */
/* Convolution over its own input (eenn_conv2d_1x1_in_place_s8.c)                                    */
/* ------------------------------------------------------------------------------------------------ */

/** Pixels eenn_conv2d_1x1_in_place_s8 computes per pass. */
#define EENN_CONV_1X1_IN_PLACE_S8_PIXELS 8

/** Bytes of working memory eenn_conv2d_1x1_in_place_s8 takes: the in_c + out_c values of the pixels of a pass,
    then the columns of the convolution it runs on them. */
#define EENN_CONV_1X1_IN_PLACE_S8_SCRATCH_BYTES(in_c, out_c) \
    (((in_c) + (out_c)) * EENN_CONV_1X1_IN_PLACE_S8_PIXELS + EENN_CONV_S8_SCRATCH_BYTES(in_c))

/**
 * eenn_conv2d_1x1_s8 with the output written over the input (same arithmetic, same weights and parameters).
 *
 * data      [batches, in_c, size] on entry, [batches, out_c, size] on return; out_c <= in_c, and out_c == in_c
 *           when batches > 1
 * scratch   EENN_CONV_1X1_IN_PLACE_S8_SCRATCH_BYTES(in_c, out_c) bytes, 4-byte aligned, not data
 * Other parameters as eenn_conv2d_1x1_s8.
 */
void eenn_conv2d_1x1_in_place_s8(int8_t *data, int8_t *EENN_RESTRICT scratch, const int8_t *EENN_RESTRICT weights,
                                 const int32_t *EENN_RESTRICT bias, int32_t batches, int32_t in_c, int32_t size,
                                 int32_t out_c, int32_t input_offset, int32_t output_offset,
                                 const int32_t *EENN_RESTRICT output_multiplier,
                                 const int32_t *EENN_RESTRICT output_shift, int32_t act_min, int32_t act_max);

/* ------------------------------------------------------------------------------------------------ */
/* Fully connected (eenn_fc_s8.c)                                                                     */
/* ------------------------------------------------------------------------------------------------ */

/*
 * Weight rows of eenn_fc_s8, grouped: the output features go in groups of EENN_FC_GROUP_S8 (4), then one group
 * of 2 and one of 1 for the last out_features % 4, and the rows of a group are interleaved word by word: for each
 * 4 input values k .. k+3, one word of each row of the group in turn. Rows are padded with zeros to a multiple of
 * 4 values (EENN_FC_ROW_BYTES_S8), so feature n's group starts at n * EENN_FC_ROW_BYTES_S8(in_features) for every
 * n that is a multiple of 4 (and every group boundary).
 */

/** Output features per whole group of the fully connected weight layout. */
#define EENN_FC_GROUP_S8 4

/** Bytes of one weight row of eenn_fc_s8: in_features rounded up to a multiple of 4. */
#define EENN_FC_ROW_BYTES_S8(in_features) (((in_features) + 3) / 4 * 4)

/**
 * Fully connected layer (CMSIS-NN arm_fully_connected_s8 with per-channel requantization), the input zero point
 * folded into the bias by the compiler:
 *
 *   acc = bias[n] + sum_k input[r][k] * W[n][k]
 *   output[r][n] = clamp(eenn_requantize(acc, output_multiplier[n], output_shift[n]) + output_offset,
 *                        act_min, act_max)
 *
 * which is QGemm's B[n] + sum_k (input[r][k] - zero point) * W[n][k] when bias[n] = B[n] - zero point * (sum of
 * W[n]) (int32, wrapping). One group of output features (4, 2 or 1) at a time: __SMLAD on int16 pairs (DSP
 * extension), VMLADAVA on 16 bytes (Helium, MVE), an assembly loop on Armv6-M, or portable C.
 *
 * input     [rows, in_features]
 * weights   W [out_features, in_features] in the grouped layout above (aligned to 4 bytes for the fast paths),
 *           symmetric per feature, [-127, 127]
 * bias      [out_features] int32: the folded bias above, or NULL when it is 0 for every feature
 * output    [rows, out_features]
 * output_multiplier, output_shift  [out_features]
 */
void eenn_fc_s8(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                int32_t rows, int32_t in_features, int32_t out_features, int32_t output_offset,
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
#define EENN_BINARY_PARAMS_S8                                                                         \
    const int8_t *a, const int8_t *b, int8_t *output, int32_t d0, int32_t d1, int32_t d2, int32_t d3, \
        int32_t a_s0, int32_t a_s1, int32_t a_s2, int32_t a_s3, int32_t b_s0, int32_t b_s1,           \
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
 * output    [channels, out_h, out_w] (ceil_mode is already in out_h / out_w); may overwrite the start of the
 *           input when no window reads an input element before the index of its own output element
 *           (each output is written after its whole window is read, in memory order)
 */
void eenn_max_pool2d_s8(const int8_t *input, int8_t *output,
                        int32_t channels, int32_t in_h, int32_t in_w, int32_t out_h, int32_t out_w,
                        int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                        int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w);

/** Maximum of each channel: input [channels, size] -> output [channels]; output may be the input. */
void eenn_global_max_pool_s8(const int8_t *input, int8_t *output, int32_t channels, int32_t size);

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
 * output    [channels, out_h, out_w]; may overwrite the start of the input as for eenn_max_pool2d_s8
 * input_offset  -zero_point of the input (and output)
 */
void eenn_avg_pool2d_s8(const int8_t *input, int8_t *output,
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
/* Reductions (eenn_reduce_s8.c) and LayerNormalization (eenn_layer_norm_s8.c)                        */
/* ------------------------------------------------------------------------------------------------ */

/*
 * The layout of the float32 reductions (eenn_kernels_f32.h): the output [k0, k1, k2] is contiguous;
 * output[j0][j1][j2] reduces the input elements at j0*k_s0 + j1*k_s1 + j2*k_s2 + i0*r_s0 + i1*r_s1 + i2*r_s2
 * over i in [r0, r1, r2] (r0*r1*r2 >= 1).
 */
#define EENN_REDUCE_PARAMS_S8                                                                       \
    const int8_t *EENN_RESTRICT input, int8_t *EENN_RESTRICT output, int32_t k0, int32_t k1,        \
        int32_t k2, int32_t k_s0, int32_t k_s1, int32_t k_s2, int32_t r0, int32_t r1, int32_t r2,   \
        int32_t r_s0, int32_t r_s1, int32_t r_s2

/**
 * ReduceSum / ReduceMean: acc = sum of (x + input_offset) (int32, count * 255 < 2^31);
 * y = clamp(requantize(acc, multiplier, shift) + output_offset, act_min, act_max), the multiplier standing for
 * s_in / s_out (a sum) or s_in / (s_out * count) (a mean).
 */
void eenn_reduce_sum_s8(EENN_REDUCE_PARAMS_S8, int32_t input_offset, int32_t multiplier, int32_t shift,
                        int32_t output_offset, int32_t act_min, int32_t act_max);
/** ReduceMax: the largest raw value (output and input share one scale and zero point). */
void eenn_reduce_max_s8(EENN_REDUCE_PARAMS_S8);
/** ReduceMin: the smallest raw value (output and input share one scale and zero point). */
void eenn_reduce_min_s8(EENN_REDUCE_PARAMS_S8);

/**
 * LayerNormalization of `rows` contiguous rows of `row_size` values (at most 65536), integer only:
 *   d = x + input_offset;  S = sum d;  D = row_size * sum d^2 - S^2 + epsilon_q           (int64)
 *   z = (row_size * d - S) / sqrt(D) in Q20 (exact integer square root, one division per row)
 *   y = clamp(requantize(sign * z, |multiplier[p]|, shift[p]) + bias[p] + output_offset, act_min, act_max)
 * with p = (position in the row) mod params and sign that of multiplier[p] (the sign of Scale). epsilon_q =
 * round(row_size^2 epsilon / s_in^2); multiplier, shift for |Scale| / (s_out 2^20), shift in [-31, 0]; bias =
 * round(B / s_out). src/ir/int8.ts (QLayerNorm) states the rounding of each step. May run in place.
 */
void eenn_layer_norm_s8(const int8_t *input, int8_t *output, int32_t rows, int32_t row_size, int32_t input_offset,
                        int32_t epsilon_q, const int32_t *EENN_RESTRICT multiplier, const int32_t *EENN_RESTRICT shift,
                        const int32_t *EENN_RESTRICT bias, int32_t params, int32_t output_offset, int32_t act_min,
                        int32_t act_max);

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

/* ------------------------------------------------------------------------------------------------------ */
/* Early exits (eenn_exit_s8.c): after an exit head, 1 when the model stops there, 0 when it goes on        */
/* ------------------------------------------------------------------------------------------------------ */

/**
 * The decision on `classes` int8 scores (classes in [2, 4096]); src/exits/rule.ts states each rule and how the
 * compiler computes its table and bound from the scores' scale, the policy and the threshold.
 *
 * Logits: exp_table [exp_table_size] (at most 256) holds round(2^b exp(-s d)), 0 beyond it, b <= 24 such that
 * classes 2^b <= 2^30; S = sum of exp_table[q_max - q].
 *   max_softmax  S <= bound                                   (the largest probability exp_table[0] / S >= T)
 *   margin       (exp_table[0] - exp_table[q_max - q_2]) 2^20 >= bound S                        (uint64)
 *   entropy      S (log2(S) - b) + weight sum exp_table[d] d <= bound S           (log2 in Q24, uint64)
 * Probabilities (a softmax output):
 *   max_softmax_probs  q_max >= bound;  margin_probs  q_max - q_2 >= bound
 *   entropy_probs      sum of plogp_table[q + 128] <= bound, plogp_table [256]
 */
int32_t eenn_exit_max_softmax_s8(const int8_t *input, int32_t classes, const int32_t *exp_table,
                                 int32_t exp_table_size, int32_t bound);
int32_t eenn_exit_margin_s8(const int8_t *input, int32_t classes, const int32_t *exp_table, int32_t exp_table_size,
                            int32_t bound);
int32_t eenn_exit_entropy_s8(const int8_t *input, int32_t classes, const int32_t *exp_table, int32_t exp_table_size,
                             int32_t weight, int32_t bound);
int32_t eenn_exit_max_softmax_probs_s8(const int8_t *input, int32_t classes, int32_t bound);
int32_t eenn_exit_margin_probs_s8(const int8_t *input, int32_t classes, int32_t bound);
int32_t eenn_exit_entropy_probs_s8(const int8_t *input, int32_t classes, const int32_t *plogp_table, int32_t bound);

#endif /* EENN_KERNELS_S8_H */
