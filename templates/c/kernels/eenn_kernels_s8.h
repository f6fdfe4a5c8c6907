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

/*
 * Optional paths. The compiler writes eenn_config.h beside this header with the paths its model's layers take
 * set to 1 and the others to 0, so that a firmware links only the code it runs; a fast path left out falls back
 * to the general one, which gives the same bits. Without eenn_config.h every path is compiled.
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
/* Convolutions of fewer than 16 values per output (first layers) on DSP: tiles of 8 pixels. */
#ifndef EENN_CONV_S8_FEW_VALUES
#define EENN_CONV_S8_FEW_VALUES 1
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
/* Depthwise 3x3 (dilation 1 across) with the fast requantization. */
#ifndef EENN_DEPTHWISE_S8_3X3
#define EENN_DEPTHWISE_S8_3X3 1
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
/* Weight layout, output stage and dot products shared by eenn_conv_s8.c and eenn_fc_s8.c            */
/* ------------------------------------------------------------------------------------------------ */

/*
 * Weight rows packed in pairs (eenn_conv2d_s8, eenn_conv2d_1x1_s8, eenn_fc_s8): the rows [channels, depth] of a
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

/**
 * The first of the values [16 c, 16 c + n) of channel j (n = 16, or the rest of the row for the last chunk
 * c = depth / 16) in rows packed in pairs, `w` being the first row of the layer (or group) of `channels` rows
 * of `depth` values.
 */
static inline const int8_t *eenn_paired_chunk_s8(const int8_t *w, int32_t j, int32_t channels, int32_t depth,
                                                 int32_t c)
{
    const int32_t row = EENN_PAIRED_ROW_S8(depth);
    const int8_t *block = w + (j & ~1) * row;
    if ((j | 1) >= channels) { return block + EENN_PAIR_CHUNK_S8 * c; } /* a lone last channel: its plain row */
    const int32_t n = c < row / EENN_PAIR_CHUNK_S8 ? EENN_PAIR_CHUNK_S8 : row % EENN_PAIR_CHUNK_S8;
    return block + 2 * EENN_PAIR_CHUNK_S8 * c + (j & 1) * n;
}

/** Most values one output may sum for eenn_requantize_bounded_s8 (eenn_requantize_bounded_ok_s8). */
#define EENN_BOUNDED_DEPTH_S8 32768

/**
 * 1 when a layer may requantize with eenn_requantize_bounded_s8: every output_shift[c] <= -1, every
 * |bias[c]| < 2^29 (bias may be NULL) and depth <= EENN_BOUNDED_DEPTH_S8, so that each accumulator (bias[c] plus
 * depth products of an int8 input and an int8 weight, |x * w| <= 2^14) lies in (-2^30, 2^30). Checked once per
 * call; quantized networks nearly always pass, and the kernels use eenn_requantize_s8 otherwise.
 */
static inline int32_t eenn_requantize_bounded_ok_s8(const int32_t *bias, const int32_t *shift, int32_t channels,
                                                    int32_t depth)
{
    if (depth > EENN_BOUNDED_DEPTH_S8) { return 0; }
    for (int32_t c = 0; c < channels; c++) {
        if (shift[c] > -1) { return 0; }
        if (bias != NULL && (bias[c] >= (1 << 29) || bias[c] <= -(1 << 29))) { return 0; }
    }
    return 1;
}

/**
 * round(a * b / 2^32), ties toward +infinity (SMMULR), for b in [0, 2^31): the high multiply of the fast
 * requantizations. One SMMULR with the DSP extension; on Armv6-M and Armv8-M Baseline (no 32 x 32 -> 64-bit
 * multiply) from 16 x 16-bit products, each exact in 32 bits (al, bl in [0, 2^16); ah in [-2^15, 2^15); bh in
 * [0, 2^15)): floor((a b + 2^31) / 2^32) = ah bh + floor((p + q) / 2^16), p = ah bl,
 * q = al bh + (al bl >> 16) + 2^15, summed by halves.
 */
static inline int32_t eenn_high_mult_round_s32(int32_t a, int32_t b)
{
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
    int32_t result;
    __asm__("smmulr %0, %1, %2" : "=r"(result) : "r"(a), "r"(b));
    return result;
#elif defined(__ARM_ARCH_ISA_THUMB) && __ARM_ARCH_ISA_THUMB == 1
    const int32_t ah = a >> 16;
    const uint32_t al = (uint32_t)a & 0xFFFFu;
    const int32_t bh = b >> 16;
    const uint32_t bl = (uint32_t)b & 0xFFFFu;
    const int32_t p = ah * (int32_t)bl;
    const uint32_t q = al * (uint32_t)bh + ((al * bl) >> 16) + 0x8000u;
    return ah * bh + (p >> 16) + (int32_t)(q >> 16) + (int32_t)((((uint32_t)p & 0xFFFFu) + (q & 0xFFFFu)) >> 16);
#else
    return (int32_t)(((int64_t)a * (int64_t)b + (int64_t)0x80000000LL) >> 32);
#endif
}

/**
 * eenn_requantize(acc, multiplier, -exponent) for |acc| < 2^30 and exponent in [1, 31] (half = 2^(exponent-1)),
 * the same bits in fewer instructions:
 *   doubling_high_mult_no_sat(acc, m) = (2 acc m + 2^31) >> 32   (eenn_high_mult_round_s32: 2 acc does not overflow)
 *   divide_by_power_of_two(v, e)      = (v + 2^(e-1) - (v < 0)) >> e   (|v| <= |acc|: the sum does not overflow)
 */
static inline int32_t eenn_requantize_bounded_s8(int32_t acc, int32_t multiplier, int32_t exponent, int32_t half)
{
    const int32_t v = eenn_high_mult_round_s32(acc * 2, multiplier);
    return (v + half + (v >> 31)) >> exponent;
}

/**
 * The output stage of the convolution and fully connected kernels: eenn_requantize_s8, through
 * eenn_requantize_bounded_s8 when `bounded` (the layer passed eenn_requantize_bounded_ok_s8).
 */
static inline int8_t eenn_requantize_output_s8(int32_t acc, int32_t multiplier, int32_t shift, int32_t bounded,
                                               int32_t out_offset, int32_t act_min, int32_t act_max)
{
    if (bounded) {
        const int32_t v = eenn_requantize_bounded_s8(acc, multiplier, -shift, 1 << (-shift - 1));
        return (int8_t)eenn_clamp_s32(v + out_offset, act_min, act_max);
    }
    return eenn_requantize_s8(acc, multiplier, shift, out_offset, act_min, act_max);
}

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
/** SXTB16 of x rotated right by 8: bytes 1 and 3 sign-extended to two int16 halves (CMSIS-NN __SXTB16_RORn). */
static inline int32_t eenn_sxtb16_ror8_s8(uint32_t x)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
#endif

#if defined(__ARM_ARCH_ISA_THUMB) && __ARM_ARCH_ISA_THUMB == 1
/* The Armv6-M step of the 1 x 4 dot products: value i of x times value i of rows w0..w3, added to a0..a3, then
   i + 1 (operands named as in eenn_dot_1x4_s8 and eenn_dot_pairs_1x4_s8). */
#define EENN_DOT_1X4_STEP_ARMV6M                                                                                 \
    "ldrsb %[v], [%[x], %[i]]\n\t"                                                                              \
    "ldrsb %[p], [%[w0], %[i]]\n\t"                                                                             \
    "muls %[p], %[v]\n\t"                                                                                       \
    "add %[a0], %[p]\n\t"                                                                                       \
    "ldrsb %[p], [%[w1], %[i]]\n\t"                                                                             \
    "muls %[p], %[v]\n\t"                                                                                       \
    "add %[a1], %[p]\n\t"                                                                                       \
    "ldrsb %[p], [%[w2], %[i]]\n\t"                                                                             \
    "muls %[p], %[v]\n\t"                                                                                       \
    "add %[a2], %[p]\n\t"                                                                                       \
    "ldrsb %[p], [%[w3], %[i]]\n\t"                                                                             \
    "muls %[p], %[v]\n\t"                                                                                       \
    "add %[a3], %[p]\n\t"                                                                                       \
    "adds %[i], #1\n\t"
#endif

/**
 * acc[j] += sum over k < depth of x[k] * w_j[k] for four weight rows w_0..w_3 (depth >= 1), wrapping. On Armv6-M
 * (builds optimized for speed, where gcc can give the loop 8 low and 4 high registers) one LDRSB of x and, per row, LDRSB, MULS and an ADD into a high register, the index
 * counting up to 0: 15 instructions per 4 multiply-accumulates.
 */
static inline void eenn_dot_1x4_s8(const int8_t *x, const int8_t *w0, const int8_t *w1, const int8_t *w2,
                                   const int8_t *w3, int32_t depth, int32_t acc[4])
{
#if defined(__ARM_ARCH_ISA_THUMB) && __ARM_ARCH_ISA_THUMB == 1 && defined(__OPTIMIZE__) && !defined(__OPTIMIZE_SIZE__)
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t index = -depth, value, product;
    __asm__("1:\n\t"
            EENN_DOT_1X4_STEP_ARMV6M
            "bne 1b"
            : [a0] "+h"(a0), [a1] "+h"(a1), [a2] "+h"(a2), [a3] "+h"(a3), [i] "+l"(index), [v] "=&l"(value),
              [p] "=&l"(product)
            : [x] "l"(x + depth), [w0] "l"(w0 + depth), [w1] "l"(w1 + depth), [w2] "l"(w2 + depth),
              [w3] "l"(w3 + depth)
            : "cc", "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
#else
    uint32_t a0 = (uint32_t)acc[0], a1 = (uint32_t)acc[1], a2 = (uint32_t)acc[2], a3 = (uint32_t)acc[3];
    for (int32_t k = 0; k < depth; k++) {
        const int32_t v = x[k];
        a0 += (uint32_t)(v * w0[k]);
        a1 += (uint32_t)(v * w1[k]);
        a2 += (uint32_t)(v * w2[k]);
        a3 += (uint32_t)(v * w3[k]);
    }
    acc[0] = (int32_t)a0;
    acc[1] = (int32_t)a1;
    acc[2] = (int32_t)a2;
    acc[3] = (int32_t)a3;
#endif
}

/**
 * acc[j] += x . row(j) over `chunks` whole chunks of 16 values for two whole pairs of rows packed in pairs, the
 * first at p0 and the second at p1 (rows p0, p0 + 16, p1, p1 + 16 of each chunk, then 32 bytes on). On Armv6-M
 * (speed-optimized builds) one assembly loop over the chunks around eenn_dot_1x4_s8's.
 */
static inline void eenn_dot_pairs_1x4_s8(const int8_t *x, const int8_t *p0, const int8_t *p1, int32_t chunks,
                                         int32_t acc[4])
{
#if defined(__ARM_ARCH_ISA_THUMB) && __ARM_ARCH_ISA_THUMB == 1 && defined(__OPTIMIZE__) && !defined(__OPTIMIZE_SIZE__)
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    /* Pointers to the end of the first chunk of each row; the index counts from -16 up to 0 in each chunk. */
    const int8_t *xe = x + 16, *e0 = p0 + 16, *e1 = p0 + 32, *e2 = p1 + 16, *e3 = p1 + 32;
    const int8_t *end = x + 16 * chunks;
    int32_t index, value, product;
    __asm__("2:\n\t"
            "movs %[i], #16\n\t"
            "rsbs %[i], %[i], #0\n\t"
            "1:\n\t"
            EENN_DOT_1X4_STEP_ARMV6M
            "bne 1b\n\t"
            "cmp %[x], %[end]\n\t"
            "beq 3f\n\t"
            "adds %[x], #16\n\t"
            "adds %[w0], #32\n\t"
            "adds %[w1], #32\n\t"
            "adds %[w2], #32\n\t"
            "adds %[w3], #32\n\t"
            "b 2b\n\t"
            "3:"
            : [a0] "+h"(a0), [a1] "+h"(a1), [a2] "+h"(a2), [a3] "+h"(a3), [i] "=&l"(index), [v] "=&l"(value),
              [p] "=&l"(product), [x] "+l"(xe), [w0] "+l"(e0), [w1] "+l"(e1), [w2] "+l"(e2), [w3] "+l"(e3)
            : [end] "h"(end)
            : "cc", "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
#else
    for (int32_t c = 0; c < chunks; c++) {
        eenn_dot_1x4_s8(x + 16 * c, p0 + 32 * c, p0 + 32 * c + 16, p1 + 32 * c, p1 + 32 * c + 16, 16, acc);
    }
#endif
}

/**
 * acc[j] += x . row(m + j) for the four channels m .. m + 3 of `channels` rows of `depth` values packed in pairs
 * (the last row standing in for channels past the end), chunk by chunk through eenn_dot_1x4_s8.
 */
static inline void eenn_dot_paired_1x4_s8(const int8_t *x, const int8_t *w, int32_t channels, int32_t depth,
                                          int32_t m, int32_t acc[4])
{
    const int32_t last = channels - 1;
    const int32_t j1 = m + 1 < last ? m + 1 : last, j2 = m + 2 < last ? m + 2 : last, j3 = m + 3 < last ? m + 3 : last;
    const int32_t whole = depth / EENN_PAIR_CHUNK_S8; /* whole chunks of 16 values (of the layout too) */
    int32_t c = 0;
    if (m + 3 < channels && whole > 0) {
        const int32_t row = EENN_PAIRED_ROW_S8(depth);
        eenn_dot_pairs_1x4_s8(x, w + m * row, w + (m + 2) * row, whole, acc);
        c = whole;
    }
    for (; c * EENN_PAIR_CHUNK_S8 < depth; c++) {
        const int32_t n = c < whole ? EENN_PAIR_CHUNK_S8 : depth % EENN_PAIR_CHUNK_S8;
        eenn_dot_1x4_s8(x + EENN_PAIR_CHUNK_S8 * c, eenn_paired_chunk_s8(w, m, channels, depth, c),
                        eenn_paired_chunk_s8(w, j1, channels, depth, c), eenn_paired_chunk_s8(w, j2, channels, depth, c),
                        eenn_paired_chunk_s8(w, j3, channels, depth, c), n, acc);
    }
}

/* ------------------------------------------------------------------------------------------------ */
/* Convolution (eenn_conv_s8.c)                                                                       */
/* ------------------------------------------------------------------------------------------------ */

/**
 * Bytes of working memory eenn_conv2d_s8 takes for `depth` = (in_c / groups) * kernel_h * kernel_w values per
 * output pixel: the im2col columns of two output pixels (of eight below 16 values, the tiles of first layers),
 * two bytes per value, each column rounded up to a multiple of 4 values.
 */
#define EENN_CONV_S8_SCRATCH_BYTES(depth) (((depth) < 16 ? 16 : 4) * (((depth) + 3) / 4 * 4))

/** Bytes of working memory eenn_conv2d_1x1_s8 takes: the columns of two pixels, as EENN_CONV_S8_SCRATCH_BYTES. */
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
 * order of a weight row): two output channels of two pixels per __SMLAD loop on int16 pairs (__ARM_FEATURE_DSP),
 * per VMLADAVA loop on 16 bytes (__ARM_FEATURE_MVE), four output channels of one pixel in portable C. With
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
    (((((out_w) + 3) / 4 * 4 * (stride_w) + ((kernel_w) - 1) * (dilation_w) + 4) + 3) / 4 * 4)

/** Bytes of scratch eenn_depthwise_conv2d_s8 needs: the padded rows that a band of
    min(out_h, EENN_DEPTHWISE_S8_BAND) output rows reads. */
#define EENN_DEPTHWISE_S8_SCRATCH_BYTES(out_h, out_w, kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w) \
    ((((out_h) < EENN_DEPTHWISE_S8_BAND ? (out_h) : EENN_DEPTHWISE_S8_BAND) - 1) * (stride_h) +                   \
     ((kernel_h) - 1) * (dilation_h) + 1) * EENN_DEPTHWISE_S8_ROW_BYTES(out_w, kernel_w, stride_w, dilation_w)

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
/* Convolution over its own input (eenn_conv_in_place_s8.c)                                          */
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

/**
 * Fully connected layer (CMSIS-NN arm_fully_connected_s8 with per-channel requantization), the input zero point
 * folded into the bias by the compiler:
 *
 *   acc = bias[n] + sum_k input[r][k] * W[n][k]
 *   output[r][n] = clamp(eenn_requantize(acc, output_multiplier[n], output_shift[n]) + output_offset,
 *                        act_min, act_max)
 *
 * which is QGemm's B[n] + sum_k (input[r][k] - zero point) * W[n][k] when bias[n] = B[n] - zero point * (sum of
 * W[n]) (int32, wrapping). Four output features at a time: __SMLAD on int16 pairs (__ARM_FEATURE_DSP), VMLADAVA
 * on 16 bytes (__ARM_FEATURE_MVE), or portable C.
 *
 * input     [rows, in_features]
 * weights   W [out_features, in_features], rows packed in pairs (see above), symmetric per feature, [-127, 127]
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
