/*
 * eenn_nn_support_s8.h - the inner loops and output arithmetic that the int8 convolution and fully connected
 * kernels share (static inline, like CMSIS-NN's arm_nnsupportfunctions.h): word access, the requantizations of
 * their output stage, and dot products over weight rows packed in pairs (eenn_kernels_s8.h). Internal to the
 * kernels, not part of their API.
 */
#ifndef EENN_NN_SUPPORT_S8_H
#define EENN_NN_SUPPORT_S8_H

#include <stdint.h>
#include <string.h>

#include "eenn_isa.h"
#include "eenn_kernels_s8.h"

#if EENN_HAS_DSP
#include <arm_acle.h>
#endif
#if EENN_HAS_MVE
#include <arm_mve.h>
#endif

/* Opens every multi-instruction assembly block: without -masm-syntax-unified GCC hands Thumb-1 inline assembly to
   the assembler in the older divided syntax (and returns to unified syntax for its own code after each block),
   which does not take the flag-setting forms these loops use (ADDS, MULS, RSBS). */
#define EENN_ASM_SYNTAX_UNIFIED ".syntax unified\n\t"

/* The word at p, any alignment (one LDR where the core allows unaligned access). */
static inline uint32_t eenn_read_u32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Writes the word v at p, any alignment. */
static inline void eenn_write_u32(void *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

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
    if ((j | 1) >= channels) {
        return block + EENN_PAIR_CHUNK_S8 * c;
    } /* a lone last channel: its plain row */
    const int32_t n = c < row / EENN_PAIR_CHUNK_S8 ? EENN_PAIR_CHUNK_S8 : row % EENN_PAIR_CHUNK_S8;
    return block + 2 * EENN_PAIR_CHUNK_S8 * c + (j & 1) * n;
}

/**
 * 1 when a layer may requantize with eenn_requantize_bounded_s8: every output_shift[c] <= -1, every
 * |bias[c]| < 2^29 (bias may be NULL) and depth <= EENN_BOUNDED_DEPTH_S8, so that each accumulator (bias[c] plus
 * depth products of an int8 input and an int8 weight, |x * w| <= 2^14) lies in (-2^30, 2^30). Checked once per
 * call; quantized networks nearly always pass, and the kernels use eenn_requantize_s8 otherwise.
 */
static inline int32_t eenn_requantize_bounded_ok_s8(const int32_t *bias, const int32_t *shift, int32_t channels,
                                                    int32_t depth)
{
    if (depth > EENN_BOUNDED_DEPTH_S8) {
        return 0;
    }
    for (int32_t c = 0; c < channels; c++) {
        if (shift[c] > -1) {
            return 0;
        }
        if (bias != NULL && (bias[c] >= (1 << 29) || bias[c] <= -(1 << 29))) {
            return 0;
        }
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
#if EENN_HAS_DSP
    int32_t result;
    __asm__("smmulr %0, %1, %2"
            : "=r"(result)
            : "r"(a), "r"(b));
    return result;
#elif EENN_ARMV6M
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

#if EENN_HAS_DSP
/** SXTB16 of x rotated right by 8: bytes 1 and 3 sign-extended to two int16 halves (CMSIS-NN __SXTB16_RORn). */
static inline int32_t eenn_sxtb16_ror8_s8(uint32_t x)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8"
            : "=r"(r)
            : "r"(x));
    return r;
}
#endif

#if EENN_ARMV6M
/* The Armv6-M step of the 1 x 4 dot products: value i of x times value i of rows w0..w3, added to a0..a3, then
   i + 1 (operands named as in eenn_dot_1x4_s8 and eenn_dot_pairs_1x4_s8). */
#define EENN_DOT_1X4_STEP_ARMV6M    \
    "ldrsb %[v], [%[x], %[i]]\n\t"  \
    "ldrsb %[p], [%[w0], %[i]]\n\t" \
    "muls %[p], %[v]\n\t"           \
    "add %[a0], %[p]\n\t"           \
    "ldrsb %[p], [%[w1], %[i]]\n\t" \
    "muls %[p], %[v]\n\t"           \
    "add %[a1], %[p]\n\t"           \
    "ldrsb %[p], [%[w2], %[i]]\n\t" \
    "muls %[p], %[v]\n\t"           \
    "add %[a2], %[p]\n\t"           \
    "ldrsb %[p], [%[w3], %[i]]\n\t" \
    "muls %[p], %[v]\n\t"           \
    "add %[a3], %[p]\n\t"           \
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
#if EENN_ARMV6M && defined(__OPTIMIZE__) && !defined(__OPTIMIZE_SIZE__)
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t index = -depth, value, product;
    __asm__(EENN_ASM_SYNTAX_UNIFIED
            "1:\n\t" EENN_DOT_1X4_STEP_ARMV6M
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
#if EENN_ARMV6M && defined(__OPTIMIZE__) && !defined(__OPTIMIZE_SIZE__)
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    /* Pointers to the end of the first chunk of each row; the index counts from -16 up to 0 in each chunk. */
    const int8_t *xe = x + 16, *e0 = p0 + 16, *e1 = p0 + 32, *e2 = p1 + 16, *e3 = p1 + 32;
    const int8_t *end = x + 16 * chunks;
    int32_t index, value, product;
    __asm__(EENN_ASM_SYNTAX_UNIFIED
            "2:\n\t"
            "movs %[i], #16\n\t"
            "rsbs %[i], %[i], #0\n\t"
            "1:\n\t" EENN_DOT_1X4_STEP_ARMV6M
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

#endif /* EENN_NN_SUPPORT_S8_H */
