/*
 * eenn_conv_support_s8.h - what the im2col convolutions (eenn_conv2d_s8, eenn_conv2d_1x1_s8 and the 1x1 kernel
 * in place) share: which multiply path the build takes, the layout of the gathered columns in the scratch, the
 * expansion of a column to int16 pairs on DSP, the output stage of one channel, and on Helium (MVE) the
 * byte-interleaved columns of 4 pixels and the output stage of 4 pixels of a channel in one vector. The columns
 * are multiplied with the weight rows by eenn_multiply_columns_s8 (eenn_multiply_columns_s8.c). Internal to the
 * kernels, not part of their API.
 */
#ifndef EENN_CONV_SUPPORT_S8_H
#define EENN_CONV_SUPPORT_S8_H

#include "eenn_nn_support_s8.h"

/* The multiply path: Helium where present, else the DSP extension, else portable C. */
#if EENN_HAS_MVE
#define EENN_CONV_S8_MVE 1
#elif EENN_HAS_DSP
#define EENN_CONV_S8_DSP 1
#endif

/* Output pixels whose columns are multiplied together. */
#if defined(EENN_CONV_S8_MVE) || defined(EENN_CONV_S8_DSP)
#define EENN_CONV_S8_PIXELS 2
#else
#define EENN_CONV_S8_PIXELS 1
#endif

/* The output stage of a layer: zero point, clamp, whether the bounded requantization applies (the layer passed
   eenn_requantize_bounded_ok_s8) and whether the clamp is the whole int8 range. */
typedef struct
{
    int32_t output_offset, act_min, act_max;
    int32_t bounded;
    int32_t full_range;
} eenn_output_stage_s8;

/* Callers pass constant flags so that the compiler drops the branches (GCC and Clang inline on request). */
#if defined(__GNUC__)
#define EENN_CONV_S8_INLINE static inline __attribute__((always_inline))
#define EENN_CONV_S8_NOINLINE __attribute__((noinline))
#else
#define EENN_CONV_S8_INLINE static inline
#define EENN_CONV_S8_NOINLINE
#endif

/*
 * The outputs of one channel (multiplier, shift) for one or two pixels: acc0 -> out[0], acc1 -> out[1]
 * (eenn_requantize_output_s8, the flags given by the caller).
 */
EENN_CONV_S8_INLINE void eenn_conv_store_s8(int8_t *out, int32_t pixels, int32_t acc0, int32_t acc1,
                                            int32_t multiplier, int32_t shift, int32_t bounded, int32_t full_range,
                                            const eenn_output_stage_s8 *o)
{
    if (EENN_CONV_S8_EXACT && !bounded) {
        out[0] = eenn_requantize_s8(acc0, multiplier, shift, o->output_offset, o->act_min, o->act_max);
        if (pixels > 1) {
            out[1] = eenn_requantize_s8(acc1, multiplier, shift, o->output_offset, o->act_min, o->act_max);
        }
        return;
    }
    const int32_t exponent = -shift;
    const int32_t half = 1 << (exponent - 1);
    int32_t v0 = eenn_requantize_bounded_s8(acc0, multiplier, exponent, half) + o->output_offset;
    int32_t v1 = pixels > 1 ? eenn_requantize_bounded_s8(acc1, multiplier, exponent, half) + o->output_offset : 0;
#if defined(EENN_CONV_S8_DSP) || defined(EENN_CONV_S8_MVE)
    if (full_range) {
        v0 = __ssat(v0, 8);
        v1 = __ssat(v1, 8);
    } else
#endif
    {
        (void)full_range;
        v0 = eenn_clamp_s32(v0, o->act_min, o->act_max);
        v1 = eenn_clamp_s32(v1, o->act_min, o->act_max);
    }
    out[0] = (int8_t)v0;
    if (pixels > 1) {
        out[1] = (int8_t)v1;
    }
}

#if defined(EENN_CONV_S8_DSP)
/*
 * Expand the int8 column gathered at col (4-byte aligned) into int16 values in place. Each group of 4 values
 * (x0 x1 x2 x3) becomes the pairs (x0, x2) (x1, x3) that SMLAD multiplies with SXTB16-expanded weights. A column
 * shorter than 16 values is padded with zeros to a multiple of 4, as its weight rows are (EENN_PAIRED_ROW_S8).
 * In a longer one with depth % 4 = r > 0 the last group is the 4 values that end the column, its first 4 - r
 * (already in the group before) set to 0: eenn_dot_2x2_dsp reads that group's weights from the same 4
 * positions, so no read leaves a weight row. The groups are expanded from the last back, so that every value is
 * read before it is overwritten.
 */
EENN_CONV_S8_INLINE void eenn_expand_column_s8(uint8_t *col, int32_t depth)
{
    const int32_t whole = depth & ~3;
    if (whole < depth) {
        uint32_t x;
        if (depth < EENN_PAIR_CHUNK_S8) {
            x = eenn_read_u32(col + whole) & (0xFFFFFFFFu >> (8 * (whole + 4 - depth)));
        } else {
            x = eenn_read_u32(col + depth - 4) & (0xFFFFFFFFu << (8 * (whole + 4 - depth)));
        }
        eenn_write_u32(col + 2 * whole, (uint32_t)__sxtb16((int32_t)x));
        eenn_write_u32(col + 2 * whole + 4, (uint32_t)eenn_sxtb16_ror8_s8(x));
    }
    int32_t k = whole;
    if ((whole & 4) != 0) {
        /* An odd group count: the last whole group alone. */
        k -= 4;
        const uint32_t x = eenn_read_u32(col + k);
        eenn_write_u32(col + 2 * k, (uint32_t)__sxtb16((int32_t)x));
        eenn_write_u32(col + 2 * k + 4, (uint32_t)eenn_sxtb16_ror8_s8(x));
    }
    if (k > 0) {
        /* Two groups a step (the column is word aligned): 8 values in 9 instructions. */
        const uint8_t *from = col + k;
        uint8_t *to = col + 2 * k;
        uint32_t lo, hi, a, b, c, d;
        __asm__ volatile(EENN_ASM_SYNTAX_UNIFIED
                         "1:\n\t"
                         "ldrd %[lo], %[hi], [%[from], #-8]!\n\t"
                         "sxtb16 %[a], %[hi]\n\t"
                         "sxtb16 %[b], %[hi], ror #8\n\t"
                         "sxtb16 %[c], %[lo]\n\t"
                         "sxtb16 %[d], %[lo], ror #8\n\t"
                         "strd %[a], %[b], [%[to], #-8]\n\t"
                         "strd %[c], %[d], [%[to], #-16]!\n\t"
                         "cmp %[from], %[col]\n\t"
                         "bne 1b"
                         : [from] "+r"(from), [to] "+r"(to), [lo] "=&r"(lo), [hi] "=&r"(hi), [a] "=&r"(a), [b] "=&r"(b),
                           [c] "=&r"(c), [d] "=&r"(d)
                         : [col] "r"(col)
                         : "cc", "memory");
    }
}

/*
 * `count` groups of 4 values of the 2 x 2 block: columns *a and *b (expanded), weights at *w and *w + partner, each
 * weight word loaded twice (the loop has no register to keep it); advances the three pointers.
 */
EENN_CONV_S8_INLINE void eenn_groups_2x2_dsp(const uint8_t **pa, const uint8_t **pb, const int8_t **pw,
                                             int32_t partner, int32_t count, int32_t *p00, int32_t *p01, int32_t *p10,
                                             int32_t *p11)
{
    const uint8_t *a = *pa, *b = *pb;
    const int8_t *w = *pw;
    int32_t s00 = *p00, s01 = *p01, s10 = *p10, s11 = *p11;
#if defined(__OPTIMIZE__)
    const uint8_t *end = a + 8 * count;
    uint32_t x0, x1, y0, y1, t;
    __asm__(EENN_ASM_SYNTAX_UNIFIED
            "1:\n\t"
            "ldrd %[x0], %[x1], [%[a]], #8\n\t"
            "ldrd %[y0], %[y1], [%[b]], #8\n\t"
            "ldr %[t], [%[w]]\n\t"
            "sxtb16 %[t], %[t]\n\t"
            "smlad %[s00], %[x0], %[t], %[s00]\n\t"
            "smlad %[s10], %[y0], %[t], %[s10]\n\t"
            "ldr %[t], [%[w]]\n\t"
            "sxtb16 %[t], %[t], ror #8\n\t"
            "smlad %[s00], %[x1], %[t], %[s00]\n\t"
            "smlad %[s10], %[y1], %[t], %[s10]\n\t"
            "ldr %[t], [%[w], %[partner]]\n\t"
            "sxtb16 %[t], %[t]\n\t"
            "smlad %[s01], %[x0], %[t], %[s01]\n\t"
            "smlad %[s11], %[y0], %[t], %[s11]\n\t"
            "ldr %[t], [%[w], %[partner]]\n\t"
            "sxtb16 %[t], %[t], ror #8\n\t"
            "smlad %[s01], %[x1], %[t], %[s01]\n\t"
            "smlad %[s11], %[y1], %[t], %[s11]\n\t"
            "add %[w], %[w], #4\n\t"
            "ldr %[t], %[end]\n\t"
            "cmp %[a], %[t]\n\t"
            "bne 1b"
            : [s00] "+r"(s00), [s01] "+r"(s01), [s10] "+r"(s10), [s11] "+r"(s11), [a] "+r"(a), [b] "+r"(b),
              [w] "+r"(w), [x0] "=&r"(x0), [x1] "=&r"(x1), [y0] "=&r"(y0), [y1] "=&r"(y1), [t] "=&r"(t)
            : [partner] "r"(partner), [end] "m"(end)
            : "cc", "memory");
#else
    for (int32_t g = 0; g < count; g++, a += 8, b += 8, w += 4) {
        const uint32_t a02 = eenn_read_u32(a), a13 = eenn_read_u32(a + 4);
        const uint32_t b02 = eenn_read_u32(b), b13 = eenn_read_u32(b + 4);
        const uint32_t w0 = eenn_read_u32(w), w1 = eenn_read_u32(w + partner);
        s00 = __smlad((int32_t)a13, eenn_sxtb16_ror8_s8(w0), __smlad((int32_t)a02, __sxtb16((int32_t)w0), s00));
        s10 = __smlad((int32_t)b13, eenn_sxtb16_ror8_s8(w0), __smlad((int32_t)b02, __sxtb16((int32_t)w0), s10));
        s01 = __smlad((int32_t)a13, eenn_sxtb16_ror8_s8(w1), __smlad((int32_t)a02, __sxtb16((int32_t)w1), s01));
        s11 = __smlad((int32_t)b13, eenn_sxtb16_ror8_s8(w1), __smlad((int32_t)b02, __sxtb16((int32_t)w1), s11));
    }
#endif
    *pa = a;
    *pb = b;
    *pw = w;
    *p00 = s00;
    *p01 = s01;
    *p10 = s10;
    *p11 = s11;
}
#endif

/* Bytes from one column to the next in the scratch (int16 values with DSP, int8 otherwise). */
static inline int32_t eenn_column_stride_s8(int32_t depth)
{
#if defined(EENN_CONV_S8_DSP)
    return 2 * ((depth + 3) & ~3);
#else
    return (depth + 3) & ~3;
#endif
}

/*
 * Where the int8 values of column `pixel` are gathered: the start of its column (with DSP the int16 column they
 * are then expanded into). The columns are 4-byte aligned; the words eenn_im2col_s8 writes past a column land in
 * the next one (not gathered yet) or, after the last, in the rest of the scratch: EENN_CONV_S8_SCRATCH_BYTES
 * leaves at least 4 bytes after an int8 column even without DSP (two columns of 2 bytes per value).
 */
static inline int8_t *eenn_column_s8(int8_t *scratch, int32_t depth, int32_t pixel)
{
    return scratch + pixel * eenn_column_stride_s8(depth);
}

/* Column `pixel` is gathered: with DSP, expand it to int16 in place. */
static inline void eenn_column_done_s8(int8_t *scratch, int32_t depth, int32_t pixel)
{
#if defined(EENN_CONV_S8_DSP)
    eenn_expand_column_s8((uint8_t *)eenn_column_s8(scratch, depth, pixel), depth);
#else
    (void)scratch;
    (void)depth;
    (void)pixel;
#endif
}

#if EENN_ARMV6M
/*
 * eenn_requantize_output_s8 of a bounded layer on Armv6-M (no 32 x 32 -> 64-bit multiply), for the portable path
 * of eenn_multiply_columns_s8: the high multiply of eenn_high_mult_round_s32 with a = 2 acc split in 16-bit halves
 * (ah signed, al unsigned) and the multiplier in bh (< 2^15) and bl (< 2^16):
 * round(a * b / 2^32) = ah bh + floor((P + Q) / 2^16), P = ah bl (|P| < 2^31),
 * Q = al bh + (al bl >> 16) + 2^15 (< 2^32 unsigned), summed as (P >> 16) + ((P & 0xFFFF) + Q) >> 16 so that
 * nothing overflows; then the rounding shift, the zero point and the clamp.
 */
static inline int8_t eenn_requantize_armv6m_s8(int32_t acc, int32_t multiplier, int32_t shift, int32_t zp,
                                               int32_t act_min, int32_t act_max)
{
#if defined(__OPTIMIZE__) && !defined(__OPTIMIZE_SIZE__)
    /* The same steps in 29 instructions (the compiler's take about 40: it runs out of low registers). */
    int32_t r = acc, m = multiplier, s = shift, ah, t, p;
    __asm__(EENN_ASM_SYNTAX_UNIFIED
            "lsls %[r], %[r], #1\n\t"   /* a = 2 acc */
            "asrs %[ah], %[r], #16\n\t" /* ah */
            "uxth %[r], %[r]\n\t"       /* al */
            "uxth %[t], %[m]\n\t"       /* bl */
            "asrs %[m], %[m], #16\n\t"  /* bh */
            "movs %[p], %[t]\n\t"
            "muls %[p], %[ah]\n\t" /* P = ah bl */
            "muls %[t], %[r]\n\t"  /* al bl */
            "lsrs %[t], %[t], #16\n\t"
            "muls %[r], %[m]\n\t" /* al bh */
            "adds %[r], %[r], %[t]\n\t"
            "movs %[t], #1\n\t"
            "lsls %[t], %[t], #15\n\t"
            "adds %[r], %[r], %[t]\n\t" /* Q */
            "uxth %[t], %[p]\n\t"
            "adds %[r], %[r], %[t]\n\t" /* (P & 0xFFFF) + Q */
            "lsrs %[r], %[r], #16\n\t"
            "asrs %[p], %[p], #16\n\t"
            "adds %[r], %[r], %[p]\n\t"
            "muls %[ah], %[m]\n\t"       /* ah bh */
            "adds %[r], %[r], %[ah]\n\t" /* v */
            "asrs %[t], %[r], #31\n\t"
            "adds %[r], %[r], %[t]\n\t" /* v + (v >> 31) */
            "mvns %[t], %[s]\n\t"       /* exponent - 1 */
            "movs %[p], #1\n\t"
            "lsls %[p], %[t]\n\t"
            "adds %[r], %[r], %[p]\n\t" /* + 2^(exponent - 1) */
            "rsbs %[s], %[s], #0\n\t"
            "asrs %[r], %[s]" /* >> exponent */
            : [r] "+l"(r), [m] "+l"(m), [s] "+l"(s), [ah] "=&l"(ah), [t] "=&l"(t), [p] "=&l"(p)
            :
            : "cc");
#else
    const int32_t a = acc * 2;
    const int32_t ah = a >> 16;
    const uint32_t al = (uint32_t)a & 0xFFFFu;
    const int32_t bh = multiplier >> 16;
    const uint32_t bl = (uint32_t)multiplier & 0xFFFFu;
    const int32_t p = ah * (int32_t)bl;
    const uint32_t q = al * (uint32_t)bh + ((al * bl) >> 16) + 0x8000u;
    const int32_t v = ah * bh + (p >> 16) + (int32_t)((((uint32_t)p & 0xFFFFu) + q) >> 16);
    const int32_t exponent = -shift;
    const int32_t r = ((v + (v >> 31)) + (1 << (exponent - 1))) >> exponent;
#endif
    return (int8_t)eenn_clamp_s32(r + zp, act_min, act_max);
}
#endif

/* One group of a convolution as eenn_multiply_columns_s8 computes it: its weight rows, their requantization, where
   their outputs go and the layer's output stage (set once per group, so that a call passes one pointer). */
typedef struct
{
    const int8_t *weights;     /* `channels` rows of `depth` values, packed in pairs */
    const int32_t *bias;       /* [channels], or NULL */
    const int32_t *multiplier; /* [channels] */
    const int32_t *shift;      /* [channels] */
    int32_t depth, channels;
    int32_t out_stride; /* elements from one output channel to the next */
    const eenn_output_stage_s8 *o;
} eenn_conv_group_s8;

/*
 * The outputs of `pixels` (1 or 2; EENN_CONV_S8_PIXELS at most) gathered columns for every output channel of
 * group `g`: channel m of pixel i goes to out[m * g->out_stride + i].
 */
void eenn_multiply_columns_s8(int8_t *scratch, int32_t pixels, const eenn_conv_group_s8 *g, int8_t *EENN_RESTRICT out);

#if defined(EENN_CONV_S8_DSP) && EENN_HAS_UNALIGNED && defined(__OPTIMIZE__) && EENN_CONV_S8_THREE_PIXELS
/*
 * Three output pixels at a time on DSP (EENN_CONV_S8_THREE_PIXELS): their int8 columns gathered into the scratch
 * EENN_CONV_S8_X3_PITCH(depth) bytes apart (3 of them within EENN_CONV_S8_SCRATCH_BYTES), then expanded to int16
 * and interleaved a group of 4 values at a time (group g of pixel i at 24 g + 8 i) into a buffer on the stack of
 * up to EENN_CONV_S8_X3_MOST values per column (6 bytes per value: 1,728 B), multiplied by
 * eenn_multiply_columns_x3_dsp.
 */
#define EENN_CONV_S8_X3 1
#define EENN_CONV_S8_X3_MOST 288
/* Bytes from one int8 column to the next: a word more than the column, for the words a gathering writes past it. */
#define EENN_CONV_S8_X3_PITCH(depth) ((((depth) + 3) & ~3) + 4)
void eenn_multiply_columns_x3_dsp(const uint8_t *columns, const eenn_conv_group_s8 *g, int8_t *EENN_RESTRICT out);

/* True when a group's pixels go three at a time (what eenn_multiply_columns_x3_dsp computes). */
static inline int32_t eenn_conv_x3_takes_dsp(int32_t depth, const int32_t *bias, int32_t bounded)
{
    return bias != NULL && bounded && depth >= EENN_PAIR_CHUNK_S8 && depth <= EENN_CONV_S8_X3_MOST && (depth & 3) == 0;
}
#endif

#if defined(EENN_CONV_S8_MVE)
/*
 * Output pixels per pass of the Helium path for 16 values or more per output: their im2col columns are gathered
 * byte-interleaved (value k of pixel j at 4 k + j, what VLD4 de-interleaves into 4 vectors), 4 * depth bytes:
 * within EENN_CONV_S8_SCRATCH_BYTES and EENN_CONV_1X1_S8_SCRATCH_BYTES.
 */
#define EENN_CONV_S8_MVE_PIXELS 4

/* The int32x4 vector (a, b, c, d): two VMOVs of a pair of registers into two lanes each. */
EENN_CONV_S8_INLINE int32x4_t eenn_lanes_x4_mve(int32_t a, int32_t b, int32_t c, int32_t d)
{
    int32x4_t v;
    __asm__("vmov %q0[2], %q0[0], %1, %3\n\t"
            "vmov %q0[3], %q0[1], %2, %4"
            : "=&w"(v)
            : "r"(a), "r"(b), "r"(c), "r"(d));
    return v;
}

/*
 * The outputs of one channel for the 4 pixels of a pass (acc: their sums without the bias, a lane each), the
 * first lanes of `store` written to out[0..3]: eenn_requantize_s8 in vectors, the doubling
 * high multiply by VQRDMULH (the same bits for a multiplier in [0, 2^31)), the rounding division by VRSHL after
 * adding -1 to negative values (ties away from zero), the offset and the clamp. `bounded` (the layer passed
 * eenn_requantize_bounded_ok_s8: shift <= -1) drops the left shift and the test of a zero right shift.
 */
EENN_CONV_S8_INLINE void eenn_conv_store_x4_mve(int8_t *out, int32x4_t acc, int32_t bias, int32_t multiplier,
                                                int32_t shift, int32_t bounded, int32_t offset, int32x4_t lo,
                                                int32x4_t hi, mve_pred16_t store)
{
    acc = vaddq_n_s32(acc, bias);
    if (bounded) {
        acc = vqrdmulhq_n_s32(acc, multiplier);
        acc = vrshlq_n_s32(vaddq_s32(acc, vshrq_n_s32(acc, 31)), shift);
    } else {
        const int32_t left = shift > 0 ? shift : 0;
        const int32_t right = shift > 0 ? 0 : -shift;
        acc = vqrdmulhq_n_s32(vshlq_r_s32(acc, left), multiplier);
        /* -1 for negative values only when the shift rounds (-right has its sign bit set when right > 0). */
        const int32x4_t fixup = vshrq_n_s32(vandq_s32(acc, vdupq_n_s32(-right)), 31);
        acc = vrshlq_n_s32(vqaddq_s32(acc, fixup), -right);
    }
    acc = vminq_s32(vmaxq_s32(vaddq_n_s32(acc, offset), lo), hi);
    vstrbq_p_s32(out, acc, store);
}

/*
 * The outputs of `pixels` (1 to EENN_CONV_S8_MVE_PIXELS) byte-interleaved columns of g->depth >= 16 values for
 * every output channel of group `g`: channel m of pixel j goes to out[m * g->out_stride + j].
 */
void eenn_multiply_columns_x4_s8(const int8_t *columns, int32_t pixels, const eenn_conv_group_s8 *g,
                                 int8_t *EENN_RESTRICT out);
#endif

#endif /* EENN_CONV_SUPPORT_S8_H */
