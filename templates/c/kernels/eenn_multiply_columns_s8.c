/*
 * eenn_multiply_columns_s8.c - the matrix product of the im2col convolutions: the gathered columns of one, two or
 * three output pixels times every weight row of a group (packed in pairs, eenn_kernels_s8.h), each output requantized
 * (eenn_conv_store_s8). The compiler folded the input zero point into the bias, so the loops are plain dot
 * products of raw int8 values:
 *   DSP       the columns expanded to int16 pairs by SXTB16 (each group of 4 values x0 x1 x2 x3 stored as
 *             x0 x2 x1 x3), weights expanded the same way on the fly: two output channels of two pixels per
 *             step, 2 LDRD, 2 LDR, 4 SXTB16 and 8 SMLAD per 16 multiply-accumulates (the scheme of CMSIS-NN's
 *             arm_nn_mat_mult_kernel_s8_s16), 67 instructions per chunk of 64 (1.05 a multiply-accumulate).
 *             Two pixels of a layer with a bias, rows of whole chunks of 16 values then none or 4 or more
 *             and the bounded output stage take one asm loop over the pairs of channels (eenn_pairs_2x2_dsp:
 *             ~51 instructions a pair besides the products, 59 with a clamp narrower than int8), where the rows
 *             start on whole words (an even row, the usual case) with the first row's weights 8 at a time by
 *             one LDRD: 65 instructions per chunk of 64 (1.02 a multiply-accumulate; 14 registers;
 *             EENN_CONV_S8_TWO_PIXELS); other rows by the LDR loop above when EENN_CONV_S8_UNALIGNED_ROWS. Other
 *             layers, a lone pixel or channel the same products in C around the chunk loop. On Cortex-M4: 1.54
 *             instructions per MAC with the gathering on a 1x1 layer of 32 (1.23 on a 3x3 of 16 -> 32).
 *             Three pixels (eenn_multiply_columns_x3_dsp, EENN_CONV_S8_THREE_PIXELS: eenn_conv2d_s8 layers of 16
 *             to 288 values per output, a multiple of 4, with a bias and the bounded output stage): their
 *             expanded columns interleaved a group of 4 values at a time, so that one pointer walks them, two
 *             output channels of the three pixels per step, 2 LDR, 4 SXTB16, 3 LDRD and 12 SMLAD per 24
 *             multiply-accumulates: 87 instructions per chunk of 96 with the loop (0.91 a multiply-accumulate;
 *             14 registers), ~70 a pair of channels for the six outputs. On Cortex-M4: 1.09 instructions per MAC
 *             with the gathering on a 3x3 layer of 16 -> 32 channels.
 *   MVE       16 values or more per output (eenn_multiply_columns_x4_s8): the columns of 4 pixels gathered
 *             byte-interleaved, two output channels of the 4 pixels per pass: 4 VLD4, 2 VLDRB and 8 VMLADAVA per
 *             16 values (128 multiply-accumulates in 16 instructions with the loop), the last depth % 16 values by
 *             predicated gathers; each channel's 4 outputs requantized in one int32x4 vector (VQRDMULH and a
 *             rounding shift fixed up for ties away from zero, the same bits as eenn_requantize_s8) and stored
 *             with one VSTRB. About 0.22 instructions per MAC on a 3x3 layer of 144 values, 0.41 on a 1x1 of
 *             32 (with the gathering). Fewer than 16 values: two int8 columns, two output channels of two
 *             pixels, one VMLADAVA per 16 values.
 *   portable  one int8 column, four output channels (eenn_dot_paired_1x4_s8). On Armv6-M, for layers that take
 *             the bounded requantization: an assembly loop with one index over the four rows' whole chunks
 *             (eenn_dot_chunks_1x4_armv6m, 14 instructions per 4 multiply-accumulates and 3 per chunk), and the
 *             requantization of eenn_requantize_armv6m_s8 inlined per output (about 45 instructions): on Cortex-M0+
 *             4.24 instructions per MAC with the gathering for a 3x3 convolution of 16 input channels, 5.8 for a
 *             1x1 of 32 (the requantization weighs more on short rows).
 * Shared by eenn_conv2d_s8.c and eenn_conv2d_1x1_s8.c, in a file of its own so that a model using both links one
 * copy.
 */
#include "eenn_conv_support_s8.h"

#if defined(EENN_CONV_S8_DSP)
/*
 * One group of 4 values of the 2 x 2 block: the expanded values of columns a and b at `at_a`, `at_b`, the weights
 * of the pair's two rows at `at_w0`, `at_w1` (addressing modes of the loop below).
 */
#define EENN_CONV_S8_GROUP(at_a, at_b, at_w0, at_w1) \
    "ldr %[wv], " at_w0 "\n\t"                       \
    EENN_CONV_S8_GROUP_LOADED(at_a, at_b, "wv", at_w1)

/*
 * As EENN_CONV_S8_GROUP with the first row's 4 weights already in register `first`, which then takes the second
 * row's.
 */
#define EENN_CONV_S8_GROUP_LOADED(at_a, at_b, first, at_w1) \
    "ldrd %[x0], %[x1], " at_a "\n\t"                      \
    "ldrd %[y0], %[y1], " at_b "\n\t"                      \
    "sxtb16 %[t], %[" first "]\n\t"                        \
    "smlad %[s00], %[x0], %[t], %[s00]\n\t"                \
    "smlad %[s10], %[y0], %[t], %[s10]\n\t"                \
    "sxtb16 %[t], %[" first "], ror #8\n\t"                \
    "smlad %[s00], %[x1], %[t], %[s00]\n\t"                \
    "smlad %[s10], %[y1], %[t], %[s10]\n\t"                \
    "ldr %[" first "], " at_w1 "\n\t"                      \
    "sxtb16 %[t], %[" first "]\n\t"                        \
    "smlad %[s01], %[x0], %[t], %[s01]\n\t"                \
    "smlad %[s11], %[y0], %[t], %[s11]\n\t"                \
    "sxtb16 %[t], %[" first "], ror #8\n\t"                \
    "smlad %[s01], %[x1], %[t], %[s01]\n\t"                \
    "smlad %[s11], %[y1], %[t], %[s11]\n\t"

/* Group g = 1..3 of a chunk, after group 0 moved the pointers past the chunk (32 bytes of each). */
#define EENN_CONV_S8_GROUP_AFTER(g)                                                            \
    EENN_CONV_S8_GROUP("[%[a], #" #g "*8-32]", "[%[b], #" #g "*8-32]", "[%[w], #" #g "*4-32]", \
                       "[%[w], #16+" #g "*4-32]")

/* A chunk of 16 values of the 2 x 2 block, the pointers moved past it: 64 instructions per 64 products. */
#define EENN_CONV_S8_CHUNK                                                          \
    EENN_CONV_S8_GROUP("[%[a]], #32", "[%[b]], #32", "[%[w]], #32", "[%[w], #-16]") \
    EENN_CONV_S8_GROUP_AFTER(1)                                                     \
    EENN_CONV_S8_GROUP_AFTER(2)                                                     \
    EENN_CONV_S8_GROUP_AFTER(3)

/* Group g = 1..3 of a chunk as EENN_CONV_S8_GROUP_AFTER, the first row's weights in register `first`. */
#define EENN_CONV_S8_GROUP_LOADED_AFTER(g, first) \
    EENN_CONV_S8_GROUP_LOADED("[%[a], #" #g "*8-32]", "[%[b], #" #g "*8-32]", first, "[%[w], #16+" #g "*4-32]")

/*
 * EENN_CONV_S8_CHUNK with the first row's weights loaded 8 at a time (one LDRD into wv and q for two groups; the
 * second row's one LDR a group): 62 instructions per 64 products, 14 registers. The weights must be word aligned
 * (LDRD faults otherwise): a pair's rows start at a multiple of 4 bytes.
 */
#define EENN_CONV_S8_CHUNK_WORDS                                                    \
    "ldrd %[wv], %[q], [%[w]], #32\n\t"                                             \
    EENN_CONV_S8_GROUP_LOADED("[%[a]], #32", "[%[b]], #32", "wv", "[%[w], #-16]")   \
    EENN_CONV_S8_GROUP_LOADED_AFTER(1, "q")                                         \
    "ldrd %[wv], %[q], [%[w], #8-32]\n\t"                                           \
    EENN_CONV_S8_GROUP_LOADED_AFTER(2, "wv")                                        \
    EENN_CONV_S8_GROUP_LOADED_AFTER(3, "q")

/* Back to `label` until column a reaches %[end]. */
#define EENN_CONV_S8_CHUNK_NEXT(label) \
    "ldr %[t], %[end]\n\t"             \
    "cmp %[a], %[t]\n\t"               \
    "bne " label "\n\t"

/*
 * s[0..3] (pixel a of channel m, pixel a of m + 1, pixel b of m, pixel b of m + 1) += the expanded columns a and b
 * times the rows of a pair of channels (paired) or twice the plain row of a lone channel (EENN_PAIRED_ROW_S8 `row`
 * values: `chunks` whole chunks of 16 then `tail` values when paired, or `tail` = row values when not). `end`:
 * a + 32 * chunks (the caller's, the same for every pair).
 */
EENN_CONV_S8_INLINE void eenn_dot_2x2_dsp(const uint8_t *a, const uint8_t *b, const int8_t **pw, int32_t chunks,
                                          int32_t tail, int32_t paired, const uint8_t *const *end, int32_t s[4])
{
    const int8_t *w = *pw;
    int32_t s00 = s[0], s01 = s[1], s10 = s[2], s11 = s[3];
    if (paired && (tail == 0 || chunks > 0)) { /* a paired row without a tail has a whole chunk at least */
#if defined(__OPTIMIZE__)
        /* Whole chunks of 16 values: 64 multiply-accumulates in 67 instructions, the pointers moved by the
           post-indexed loads of the first group (13 registers: the loop needs an optimized build). */
        uint32_t x0, x1, y0, y1, wv, t;
        __asm__(EENN_ASM_SYNTAX_UNIFIED "1:\n\t" EENN_CONV_S8_CHUNK EENN_CONV_S8_CHUNK_NEXT("1b")
                : [s00] "+r"(s00), [s01] "+r"(s01), [s10] "+r"(s10), [s11] "+r"(s11), [a] "+r"(a), [b] "+r"(b),
                  [w] "+r"(w), [x0] "=&r"(x0), [x1] "=&r"(x1), [y0] "=&r"(y0), [y1] "=&r"(y1), [wv] "=&r"(wv),
                  [t] "=&r"(t)
                : [end] "m"(*end)
                : "cc", "memory");
#else
        (void)end;
        for (int32_t c = 0; c < chunks; c++, w += 16) {
            for (int32_t g = 0; g < 4; g++, a += 8, b += 8, w += 4) {
                const uint32_t a02 = eenn_read_u32(a), a13 = eenn_read_u32(a + 4);
                const uint32_t b02 = eenn_read_u32(b), b13 = eenn_read_u32(b + 4);
                const uint32_t w0 = eenn_read_u32(w), w1 = eenn_read_u32(w + 16);
                s00 = __smlad((int32_t)a13, eenn_sxtb16_ror8_s8(w0), __smlad((int32_t)a02, __sxtb16((int32_t)w0), s00));
                s10 = __smlad((int32_t)b13, eenn_sxtb16_ror8_s8(w0), __smlad((int32_t)b02, __sxtb16((int32_t)w0), s10));
                s01 = __smlad((int32_t)a13, eenn_sxtb16_ror8_s8(w1), __smlad((int32_t)a02, __sxtb16((int32_t)w1), s01));
                s11 = __smlad((int32_t)b13, eenn_sxtb16_ror8_s8(w1), __smlad((int32_t)b02, __sxtb16((int32_t)w1), s11));
            }
        }
#endif
    }
    if (tail != 0) {
        /* The groups left (eenn_expand_column_s8), a short last one overlapping the one before; the second row
           is `partner` bytes on (the length of the pair's last chunk). */
        const int32_t partner = paired ? tail : 0;
        if (tail >= 4) {
            eenn_groups_2x2_dsp(&a, &b, &w, partner, tail >> 2, &s00, &s01, &s10, &s11);
        }
        if ((tail & 3) != 0) {
            w -= 4 - (tail & 3);
            eenn_groups_2x2_dsp(&a, &b, &w, partner, 1, &s00, &s01, &s10, &s11);
        }
    }
    *pw = w;
    s[0] = s00;
    s[1] = s01;
    s[2] = s10;
    s[3] = s11;
}

/*
 * The outputs of one channel for one or two pixels through the bounded requantization (the layer passed
 * eenn_requantize_bounded_ok_s8), the same bits as eenn_requantize_bounded_s8 plus the zero point with fewer
 * instructions: with v = SMMULR(2 acc, multiplier), u = v + (v < 0 ? -1 : 0) and e = -shift >= 1,
 * (u + 2^(e-1)) >> e = ((u >> (e-1)) + 1) >> 1, so that the output is ((u >> ~shift) + 2 zp + 1) >> 1 (~shift =
 * e - 1; adding 2 zp before the halving adds zp after it), the last shift folded into the SSAT of a full int8
 * range (`odd_zp`: 2 zp + 1).
 */
EENN_CONV_S8_INLINE void eenn_store_bounded_dsp(int8_t *out, int32_t pixels, int32_t acc0, int32_t acc1,
                                                int32_t multiplier, int32_t shift, int32_t odd_zp, int32_t full_range,
                                                const eenn_output_stage_s8 *o)
{
    const int32_t v0 = eenn_high_mult_round_s32(acc0 * 2, multiplier);
    const int32_t v1 = eenn_high_mult_round_s32(acc1 * 2, multiplier);
    const int32_t t0 = ((v0 + (v0 >> 31)) >> ~shift) + odd_zp;
    const int32_t t1 = ((v1 + (v1 >> 31)) >> ~shift) + odd_zp;
    if (full_range) {
        out[0] = (int8_t)__ssat(t0 >> 1, 8);
        if (pixels > 1) {
            out[1] = (int8_t)__ssat(t1 >> 1, 8);
        }
    } else {
        out[0] = (int8_t)eenn_clamp_s32(t0 >> 1, o->act_min, o->act_max);
        if (pixels > 1) {
            out[1] = (int8_t)eenn_clamp_s32(t1 >> 1, o->act_min, o->act_max);
        }
    }
}

#if defined(__OPTIMIZE__)
/* Where eenn_pairs_2x2_dsp keeps what its loop reads once a pair of channels (memory operands of the asm). */
typedef struct
{
    const uint8_t *col_a, *col_b, *end; /* the columns, and col_a past their whole chunks */
    const int32_t *bias;
    const int32_t *requantization[2]; /* the multipliers and shifts of the next pair */
    int8_t *out;                      /* the outputs of the next pair's first channel */
    int8_t *last;                     /* past the last pair's */
    int32_t out_stride;               /* elements from one output channel to the next */
    int32_t odd_zp;                   /* 2 * zero point + 1 (eenn_store_bounded_dsp) */
    uint32_t clamp[2];                /* act_min and act_max, in each of 4 bytes */
    int32_t tail[2];                  /* values of a row after its whole chunks (col_a then ends at col_b), and
                                         4 - that % 4: bytes from a short last group's weights back to the group's */
    const uint8_t *groups_end;        /* col_a past its whole groups of 4 values */
} eenn_pairs_state_dsp;

/* The requantization of one accumulator s by the multiplier m and ~shift n (eenn_store_bounded_dsp), to int8. */
#define EENN_CONV_S8_REQUANTIZE(s, m, n)            \
    "lsl %[" s "], %[" s "], #1\n\t"                \
    "smmulr %[" s "], %[" s "], %[" m "]\n\t"       \
    "add %[" s "], %[" s "], %[" s "], asr #31\n\t" \
    "asr %[" s "], %[" s "], %[" n "]\n\t"          \
    "add %[" s "], %[" s "], %[wv]\n\t"             \
    "ssat %[" s "], #8, %[" s "], asr #1\n\t"

/*
 * Every pair of channels of two pixels with a bias, a paired row of one whole chunk of 16 values or more and the
 * bounded output stage, in one loop: the bias, the chunks (`words`: EENN_CONV_S8_CHUNK_WORDS, 65 instructions
 * per 64 multiply-accumulates with the loop, the weights word aligned; else EENN_CONV_S8_CHUNK, 67), with `has_tail` the groups of 4 values after them (21 instructions per 16, the last one
 * short where the row is not whole groups: eenn_expand_column_s8), then the four outputs requantized as eenn_store_bounded_dsp computes them
 * and clamped (`full_range`: SSAT alone; else the four bytes packed in a word and clamped together by SSUB8 and
 * SEL). Per pair of channels 51 instructions besides the products (59 with a narrower clamp). *pw: moved past the
 * pairs' weights.
 */
EENN_CONV_S8_INLINE void eenn_pairs_2x2_dsp(eenn_pairs_state_dsp *st, const int8_t **pw, int32_t words,
                                            int32_t has_tail, int32_t full_range)
{
    const int8_t *w = *pw;
    const uint8_t *a, *b;
    int32_t s00, s01, s10, s11;
    uint32_t x0, x1, y0, y1, wv, q, t;
#define EENN_CONV_S8_PAIRS_HEAD           \
    EENN_ASM_SYNTAX_UNIFIED               \
    "1:\n\t"                              \
    "ldr %[t], %[bias]\n\t"               \
    "ldrd %[s10], %[s11], [%[t]]\n\t"     \
    "ldrd %[s00], %[s01], [%[t]], #8\n\t" \
    "str %[t], %[bias]\n\t"               \
    "ldr %[a], %[col_a]\n\t"              \
    "ldr %[b], %[col_b]\n\t"
/* The whole chunks. */
#define EENN_CONV_S8_PAIRS_CHUNKS(chunk) "2:\n\t" chunk EENN_CONV_S8_CHUNK_NEXT("2b")
#define EENN_CONV_S8_PAIRS_GROUPS           \
    "3:\n\t"                                \
    "ldrd %[x0], %[x1], [%[a]], #8\n\t"     \
    "ldrd %[y0], %[y1], [%[b]], #8\n\t"     \
    "ldr %[wv], [%[w]]\n\t"                 \
    "sxtb16 %[t], %[wv]\n\t"                \
    "smlad %[s00], %[x0], %[t], %[s00]\n\t" \
    "smlad %[s10], %[y0], %[t], %[s10]\n\t" \
    "sxtb16 %[t], %[wv], ror #8\n\t"        \
    "smlad %[s00], %[x1], %[t], %[s00]\n\t" \
    "smlad %[s10], %[y1], %[t], %[s10]\n\t" \
    "ldr %[t], %[tail]\n\t"                 \
    "ldr %[wv], [%[w], %[t]]\n\t"           \
    "sxtb16 %[t], %[wv]\n\t"                \
    "smlad %[s01], %[x0], %[t], %[s01]\n\t" \
    "smlad %[s11], %[y0], %[t], %[s11]\n\t" \
    "sxtb16 %[t], %[wv], ror #8\n\t"        \
    "smlad %[s01], %[x1], %[t], %[s01]\n\t" \
    "smlad %[s11], %[y1], %[t], %[s11]\n\t" \
    "add %[w], %[w], #4\n\t"                \
    "ldr %[t], %[groups_end]\n\t"           \
    "cmp %[a], %[t]\n\t"                    \
    "blo 3b\n\t"
/* After the whole groups, a short last group (once: column a then ends at col_b), its weights `back` bytes back. */
#define EENN_CONV_S8_PAIRS_SHORT \
    "ldr %[t], %[col_b]\n\t"     \
    "cmp %[a], %[t]\n\t"         \
    "beq 4f\n\t"                 \
    "ldrd %[x0], %[t], %[tail]\n\t" \
    "sub %[w], %[w], %[t]\n\t"   \
    "b 3b\n\t"                   \
    "4:\n\t"
/* Past the second row's groups. */
#define EENN_CONV_S8_PAIRS_SKIP \
    "ldr %[t], %[tail]\n\t"     \
    "add %[w], %[w], %[t]\n\t"
#define EENN_CONV_S8_PAIRS_STAGE                                                                                     \
    "ldrd %[a], %[b], %[requantization]\n\t"                                                                         \
    "ldrd %[x0], %[x1], [%[a]], #8\n\t"                                                                              \
    "ldrd %[y0], %[y1], [%[b]], #8\n\t"                                                                              \
    "strd %[a], %[b], %[requantization]\n\t"                                                                         \
    "mvn %[y0], %[y0]\n\t"                                                                                           \
    "mvn %[y1], %[y1]\n\t"                                                                                           \
    "ldr %[wv], %[odd_zp]\n\t" EENN_CONV_S8_REQUANTIZE("s00", "x0", "y0") EENN_CONV_S8_REQUANTIZE("s10", "x0", "y0") \
        EENN_CONV_S8_REQUANTIZE("s01", "x1", "y1") EENN_CONV_S8_REQUANTIZE("s11", "x1", "y1") "ldr %[t], %[out]\n\t" \
                                                                                              "ldr %[a], %[stride]\n\t"
#define EENN_CONV_S8_PAIRS_NEXT        \
    "add %[t], %[t], %[a], lsl #1\n\t" \
    "str %[t], %[out]\n\t"             \
    "ldr %[a], %[last]\n\t"            \
    "cmp %[t], %[a]\n\t"               \
    "bne 1b"
#define EENN_CONV_S8_PAIRS_OPERANDS                                                                              \
    : [s00] "=&r"(s00), [s01] "=&r"(s01), [s10] "=&r"(s10), [s11] "=&r"(s11), [a] "=&r"(a), [b] "=&r"(b),       \
      [w] "+r"(w), [x0] "=&r"(x0), [x1] "=&r"(x1), [y0] "=&r"(y0), [y1] "=&r"(y1), [wv] "=&r"(wv), [q] "=&r"(q), \
      [t] "=&r"(t), \
      [bias] "+m"(st->bias), [requantization] "+m"(st->requantization), [out] "+m"(st->out)                     \
    : [col_a] "m"(st->col_a), [col_b] "m"(st->col_b), [end] "m"(st->end), [stride] "m"(st->out_stride),          \
      [odd_zp] "m"(st->odd_zp), [last] "m"(st->last), [clamp] "m"(st->clamp), [tail] "m"(st->tail),         \
      [groups_end] "m"(st->groups_end)              \
    : "cc", "memory"
/* The stores of the four outputs: one byte each (the whole int8 range), or clamped together. */
#define EENN_CONV_S8_PAIRS_SATURATE \
    "strb %[s00], [%[t]]\n\t"       \
    "strb %[s10], [%[t], #1]\n\t"   \
    "add %[b], %[t], %[a]\n\t"      \
    "strb %[s01], [%[b]]\n\t"       \
    "strb %[s11], [%[b], #1]\n\t"
#define EENN_CONV_S8_PAIRS_CLAMP                \
    "and %[s00], %[s00], #255\n\t"              \
    "orr %[s00], %[s00], %[s10], lsl #8\n\t"    \
    "and %[s01], %[s01], #255\n\t"              \
    "orr %[s01], %[s01], %[s11], lsl #8\n\t"    \
    "pkhbt %[s00], %[s00], %[s01], lsl #16\n\t" \
    "ldrd %[y0], %[y1], %[clamp]\n\t"           \
    "ssub8 %[x0], %[s00], %[y0]\n\t"            \
    "sel %[s00], %[s00], %[y0]\n\t"             \
    "ssub8 %[x0], %[y1], %[s00]\n\t"            \
    "sel %[s00], %[s00], %[y1]\n\t"             \
    "strh %[s00], [%[t]]\n\t"                   \
    "lsr %[s00], %[s00], #16\n\t"               \
    "strh %[s00], [%[t], %[a]]\n\t"
    /* The products of a pair: whole chunks; has_tail: whole chunks if any, whole groups, a short one if any. */
#define EENN_CONV_S8_PAIRS_PRODUCTS_0(chunk) EENN_CONV_S8_PAIRS_CHUNKS(chunk)
#define EENN_CONV_S8_PAIRS_PRODUCTS_1(chunk)                                                                  \
    "ldr %[t], %[end]\n\t"                                                                                    \
    "cmp %[a], %[t]\n\t"                                                                                      \
    "beq 5f\n\t" EENN_CONV_S8_PAIRS_CHUNKS(chunk) "5:\n\t" EENN_CONV_S8_PAIRS_GROUPS EENN_CONV_S8_PAIRS_SHORT \
        EENN_CONV_S8_PAIRS_SKIP
#define EENN_CONV_S8_PAIRS_LOOP(products, store)                                                             \
    __asm__ volatile(EENN_CONV_S8_PAIRS_HEAD products EENN_CONV_S8_PAIRS_STAGE store EENN_CONV_S8_PAIRS_NEXT \
                         EENN_CONV_S8_PAIRS_OPERANDS)
#define EENN_CONV_S8_PAIRS_LOOPS(chunk)                                                                   \
    if (full_range) {                                                                                     \
        if (has_tail) {                                                                                   \
            EENN_CONV_S8_PAIRS_LOOP(EENN_CONV_S8_PAIRS_PRODUCTS_1(chunk), EENN_CONV_S8_PAIRS_SATURATE);   \
        } else {                                                                                          \
            EENN_CONV_S8_PAIRS_LOOP(EENN_CONV_S8_PAIRS_PRODUCTS_0(chunk), EENN_CONV_S8_PAIRS_SATURATE);   \
        }                                                                                                 \
    } else if (has_tail) {                                                                                \
        EENN_CONV_S8_PAIRS_LOOP(EENN_CONV_S8_PAIRS_PRODUCTS_1(chunk), EENN_CONV_S8_PAIRS_CLAMP);          \
    } else {                                                                                              \
        EENN_CONV_S8_PAIRS_LOOP(EENN_CONV_S8_PAIRS_PRODUCTS_0(chunk), EENN_CONV_S8_PAIRS_CLAMP);          \
    }
    if (words) {
        EENN_CONV_S8_PAIRS_LOOPS(EENN_CONV_S8_CHUNK_WORDS)
    }
#if EENN_CONV_S8_UNALIGNED_ROWS
    else {
        EENN_CONV_S8_PAIRS_LOOPS(EENN_CONV_S8_CHUNK)
    }
#endif
#undef EENN_CONV_S8_PAIRS_LOOPS
#undef EENN_CONV_S8_PAIRS_LOOP
#undef EENN_CONV_S8_PAIRS_PRODUCTS_0
#undef EENN_CONV_S8_PAIRS_PRODUCTS_1
#undef EENN_CONV_S8_PAIRS_CHUNKS
#undef EENN_CONV_S8_PAIRS_SATURATE
#undef EENN_CONV_S8_PAIRS_CLAMP
#undef EENN_CONV_S8_PAIRS_GROUPS
#undef EENN_CONV_S8_PAIRS_SHORT
#undef EENN_CONV_S8_PAIRS_SKIP
#undef EENN_CONV_S8_PAIRS_STAGE
#undef EENN_CONV_S8_PAIRS_HEAD
#undef EENN_CONV_S8_PAIRS_NEXT
#undef EENN_CONV_S8_PAIRS_OPERANDS
    *pw = w;
}
#endif

#if defined(__OPTIMIZE__) && EENN_HAS_UNALIGNED && (EENN_CONV_S8_TWO_PIXELS || EENN_CONV_S8_UNALIGNED_ROWS)
/*
 * The pairs of channels of two pixels through eenn_pairs_2x2_dsp when the layer allows it (a bias, the bounded output
 * stage, rows of whole chunks then none or 4 values or more); returns the channels left to the caller (the lone last
 * one), or all of them. `full_range`: a constant.
 */
EENN_CONV_S8_INLINE int32_t eenn_multiply_fast_dsp(int8_t *scratch, const eenn_conv_group_s8 *g, int32_t full_range,
                                                   int8_t *EENN_RESTRICT out)
{
    const int32_t row = EENN_PAIRED_ROW_S8(g->depth);
    const int32_t chunks = row >> 4;
    const int32_t tail = row & (EENN_PAIR_CHUNK_S8 - 1); /* values of a paired row after its whole chunks */
    if (g->bias == NULL || (tail != 0 && tail < 4) || g->channels < 2) {
        return 0;
    }
    const uint8_t *col_a = (const uint8_t *)scratch;
    const uint8_t *col_b = col_a + eenn_column_stride_s8(g->depth);
    const eenn_output_stage_s8 *o = g->o;
    eenn_pairs_state_dsp st = {
        col_a,
        col_b,
        col_a + 32 * chunks,
        g->bias,
        { g->multiplier, g->shift },
        out,
        out + (g->channels & ~1) * g->out_stride,
        g->out_stride,
        2 * o->output_offset + 1,
        { 0x01010101u * (uint8_t)o->act_min, 0x01010101u * (uint8_t)o->act_max },
        { tail, 4 - (tail & 3) },
        col_b - ((tail & 3) != 0 ? 8 : 0),
    };
    const int8_t *w = g->weights;
    /* Word-aligned rows (an even row from a word-aligned start) take the LDRD chunks; others the LDR ones, which
       models without such layers leave out (EENN_CONV_S8_UNALIGNED_ROWS: then the products in C). */
#if EENN_CONV_S8_TWO_PIXELS
    if (((uintptr_t)w & 3) == 0 && (row & 1) == 0) {
        if (tail == 0) {
            eenn_pairs_2x2_dsp(&st, &w, 1, 0, full_range);
        } else {
            eenn_pairs_2x2_dsp(&st, &w, 1, 1, full_range);
        }
        return g->channels & ~1;
    }
#endif
#if EENN_CONV_S8_UNALIGNED_ROWS
    if (tail != 0) { /* a depth not a multiple of 4 leaves a tail */
        eenn_pairs_2x2_dsp(&st, &w, 0, 1, full_range);
        return g->channels & ~1;
    }
#endif
    return 0;
}
#endif

/* The bias of the lone channels of a layer without one: two zeros, which the pairs' pointer does not move past. */
static const int32_t eenn_no_bias_dsp[2] = { 0, 0 };

/*
 * eenn_multiply_columns_s8 for two output channels (a lone last channel computed twice) of two pixels (a lone
 * pixel likewise), from channel `first` of the group on: the pairs of channels walk their weights, bias and
 * requantization by pointer, then a lone last channel.
 */
static void eenn_multiply_pairs_s8(int8_t *scratch, int32_t pixels, const eenn_conv_group_s8 *g, int32_t first,
                                   int8_t *EENN_RESTRICT out)
{
    const int32_t depth = g->depth, out_stride = g->out_stride;
    const int32_t row = EENN_PAIRED_ROW_S8(depth);
    const int8_t *w = g->weights + first * row;
    const int32_t *EENN_RESTRICT multiplier = g->multiplier + first;
    const int32_t *EENN_RESTRICT shift = g->shift + first;
    const eenn_output_stage_s8 *o = g->o;
    const int32_t bounded = !EENN_CONV_S8_EXACT || o->bounded; /* every layer, where EENN_CONV_S8_EXACT is 0 */
    const uint8_t *col_a = (const uint8_t *)scratch;
    const uint8_t *col_b = pixels > 1 ? col_a + eenn_column_stride_s8(depth) : col_a;
    const int32_t chunks = row >> 4;
    const int32_t tail = row & (EENN_PAIR_CHUNK_S8 - 1); /* values of a paired row after its whole chunks */
    const uint8_t *const end = col_a + 32 * chunks;      /* past the whole chunks */
    const int32_t bias_step = g->bias != NULL ? 2 : 0;
    const int32_t *b = g->bias != NULL ? g->bias + first : eenn_no_bias_dsp;
    out += first * out_stride;
    const int8_t *const last = out + (g->channels - first) * out_stride;
    const int32_t odd_zp = 2 * o->output_offset + 1;
    while (out != last) {
        /* A pair of channels, or a lone last channel (its plain row, computed twice). */
        const int32_t paired = out + out_stride != last;
        int32_t s[4] = { b[0], b[paired], b[0], b[paired] };
        const int8_t *pair = w;
        eenn_dot_2x2_dsp(col_a, col_b, &w, chunks, paired ? tail : row, paired, &end, s);
        w = pair + 2 * row;
        if (bounded) {
            eenn_store_bounded_dsp(out, pixels, s[0], s[2], multiplier[0], shift[0], odd_zp, 0, o);
        } else {
            eenn_conv_store_s8(out, pixels, s[0], s[2], multiplier[0], shift[0], 0, 0, o);
        }
        out += out_stride;
        if (!paired) {
            break;
        }
        if (bounded) {
            eenn_store_bounded_dsp(out, pixels, s[1], s[3], multiplier[1], shift[1], odd_zp, 0, o);
        } else {
            eenn_conv_store_s8(out, pixels, s[1], s[3], multiplier[1], shift[1], 0, 0, o);
        }
        out += out_stride;
        multiplier += 2;
        shift += 2;
        b += bias_step;
    }
}
#endif

#if defined(EENN_CONV_S8_X3)
/* Where eenn_triples_x3_dsp keeps what its loop reads once a pair of channels (memory operands of the asm). */
typedef struct
{
    const uint8_t *columns;           /* the three interleaved columns */
    const uint8_t *end;               /* past their whole chunks */
    const uint8_t *groups_end;        /* past their whole groups of 4 values */
    const int32_t *bias;              /* the next pair's */
    const int32_t *requantization[2]; /* the multipliers and shifts of the next pair */
    int8_t *out;                      /* the outputs of the next pair's first channel */
    int8_t *last;                     /* past the last pair's */
    int32_t out_stride;               /* elements from one output channel to the next */
    int32_t odd_zp;                   /* 2 * zero point + 1 (eenn_store_bounded_dsp) */
    uint32_t clamp[2];                /* act_min and act_max, in each of 4 bytes */
    int32_t tail;                     /* values of a row after its whole chunks (a multiple of 4) */
} eenn_triples_state_dsp;

/*
 * One group of 4 values of the 3 x 2 block: the weights of the pair's rows loaded by `load` into p1 and q1 and
 * expanded (p0 p1: channel m, q0 q1: channel m + 1), then each pixel's expanded values (x0 x2, x1 x3) from the
 * interleaved columns, one LDRD a pixel: 21 instructions per 24 multiply-accumulates.
 */
#define EENN_CONV_S8_X3_PIXEL(s0, s1)                 \
    "ldrd %[x0], %[x1], [%[a]], #8\n\t"               \
    "smlad %[" s0 "], %[x0], %[p0], %[" s0 "]\n\t"     \
    "smlad %[" s0 "], %[x1], %[p1], %[" s0 "]\n\t"     \
    "smlad %[" s1 "], %[x0], %[q0], %[" s1 "]\n\t"     \
    "smlad %[" s1 "], %[x1], %[q1], %[" s1 "]\n\t"
#define EENN_CONV_S8_X3_GROUP(load)   \
    load                              \
    "sxtb16 %[p0], %[p1]\n\t"         \
    "sxtb16 %[p1], %[p1], ror #8\n\t" \
    "sxtb16 %[q0], %[q1]\n\t"         \
    "sxtb16 %[q1], %[q1], ror #8\n\t" \
    EENN_CONV_S8_X3_PIXEL("s00", "s01") EENN_CONV_S8_X3_PIXEL("s10", "s11") EENN_CONV_S8_X3_PIXEL("s20", "s21")
/* The loads of group g = 1..3 of a chunk, after group 0 moved the weights' pointer past the chunk. */
#define EENN_CONV_S8_X3_LOAD_AFTER(g) \
    "ldr %[p1], [%[w], #" #g "*4-32]\n\t" \
    "ldr %[q1], [%[w], #16+" #g "*4-32]\n\t"
/* A chunk of 16 values of the 3 x 2 block, the pointers moved past it: 84 instructions per 96 products. */
#define EENN_CONV_S8_X3_CHUNK                                                          \
    EENN_CONV_S8_X3_GROUP("ldr %[p1], [%[w]], #32\n\t"                                 \
                          "ldr %[q1], [%[w], #-16]\n\t")                               \
    EENN_CONV_S8_X3_GROUP(EENN_CONV_S8_X3_LOAD_AFTER(1))                               \
    EENN_CONV_S8_X3_GROUP(EENN_CONV_S8_X3_LOAD_AFTER(2))                               \
    EENN_CONV_S8_X3_GROUP(EENN_CONV_S8_X3_LOAD_AFTER(3))
/* The requantization of accumulator s by the multiplier m and ~shift n, to int8 (EENN_CONV_S8_REQUANTIZE, the
   zero point term in x1). */
#define EENN_CONV_S8_X3_REQUANTIZE(s, m, n)          \
    "lsl %[" s "], %[" s "], #1\n\t"                \
    "smmulr %[" s "], %[" s "], %[" m "]\n\t"       \
    "add %[" s "], %[" s "], %[" s "], asr #31\n\t" \
    "asr %[" s "], %[" s "], %[" n "]\n\t"          \
    "add %[" s "], %[" s "], %[x1]\n\t"             \
    "ssat %[" s "], #8, %[" s "], asr #1\n\t"

/*
 * Every pair of channels of three pixels (a bias, rows of 16 values or more, a multiple of 4, the bounded output
 * stage) in one loop: the bias, the whole chunks of 16 values (87 instructions per 96 multiply-accumulates with the
 * loop), the groups of 4 values after them if any (24 instructions per 24), then the six outputs
 * requantized as eenn_store_bounded_dsp computes them and stored (`full_range`: SSAT alone; else each channel's
 * three bytes packed in a word and clamped together by SSUB8 and SEL): about 70 instructions a pair besides the
 * products (83 with a narrower clamp). 14 registers. *pw: moved past the pairs' weights.
 */
EENN_CONV_S8_INLINE void eenn_triples_x3_dsp(eenn_triples_state_dsp *st, const int8_t **pw, int32_t full_range)
{
    const int8_t *w = *pw;
    const uint8_t *a;
    int32_t s00, s01, s10, s11, s20, s21;
    uint32_t x0, x1, p0, p1, q0, q1;
#define EENN_CONV_S8_X3_HEAD                 \
    EENN_ASM_SYNTAX_UNIFIED                  \
    "1:\n\t"                                 \
    "ldr %[a], %[bias]\n\t"                  \
    "ldrd %[s00], %[s01], [%[a]], #8\n\t"    \
    "str %[a], %[bias]\n\t"                  \
    "mov %[s10], %[s00]\n\t"                 \
    "mov %[s11], %[s01]\n\t"                 \
    "mov %[s20], %[s00]\n\t"                 \
    "mov %[s21], %[s01]\n\t"                 \
    "ldr %[a], %[columns]\n\t"               \
    "2:\n\t" EENN_CONV_S8_X3_CHUNK           \
    "ldr %[x0], %[end]\n\t"                  \
    "cmp %[a], %[x0]\n\t"                    \
    "bne 2b\n\t"
/* The whole groups after the chunks, if any: the second row `tail` bytes after the first's. */
#define EENN_CONV_S8_X3_GROUPS                                                                    \
    "ldr %[x0], %[groups_end]\n\t"                                                                \
    "cmp %[a], %[x0]\n\t"                                                                         \
    "beq 4f\n\t"                                                                                  \
    "3:\n\t" EENN_CONV_S8_X3_GROUP("ldr %[x0], %[tail]\n\t"                                       \
                                   "ldr %[q1], [%[w], %[x0]]\n\t"                                 \
                                   "ldr %[p1], [%[w]], #4\n\t")                                   \
    "ldr %[x0], %[groups_end]\n\t"                                                                \
    "cmp %[a], %[x0]\n\t"                                                                         \
    "bne 3b\n\t"                                                                                  \
    "ldr %[x0], %[tail]\n\t"                                                                      \
    "add %[w], %[w], %[x0]\n\t"                                                                   \
    "4:\n\t"
#define EENN_CONV_S8_X3_STAGE                                                                          \
    "ldrd %[a], %[x0], %[requantization]\n\t"                                                          \
    "ldrd %[p0], %[p1], [%[a]], #8\n\t"                                                                \
    "ldrd %[q0], %[q1], [%[x0]], #8\n\t"                                                               \
    "strd %[a], %[x0], %[requantization]\n\t"                                                          \
    "mvn %[q0], %[q0]\n\t"                                                                             \
    "mvn %[q1], %[q1]\n\t"                                                                             \
    "ldr %[x1], %[odd_zp]\n\t" EENN_CONV_S8_X3_REQUANTIZE("s00", "p0", "q0")                           \
        EENN_CONV_S8_X3_REQUANTIZE("s10", "p0", "q0") EENN_CONV_S8_X3_REQUANTIZE("s20", "p0", "q0")    \
            EENN_CONV_S8_X3_REQUANTIZE("s01", "p1", "q1") EENN_CONV_S8_X3_REQUANTIZE("s11", "p1", "q1") \
                EENN_CONV_S8_X3_REQUANTIZE("s21", "p1", "q1")
/* The stores of the six outputs: one byte each (the whole int8 range)... */
#define EENN_CONV_S8_X3_SATURATE          \
    "ldr %[a], %[out]\n\t"                \
    "ldr %[x0], %[stride]\n\t"            \
    "strb %[s00], [%[a]]\n\t"             \
    "strb %[s10], [%[a], #1]\n\t"         \
    "strb %[s20], [%[a], #2]\n\t"         \
    "add %[x1], %[a], %[x0]\n\t"          \
    "strb %[s01], [%[x1]]\n\t"            \
    "strb %[s11], [%[x1], #1]\n\t"        \
    "strb %[s21], [%[x1], #2]\n\t"
/* ... or each channel's three in a word, clamped together, stored by a halfword and a byte. */
#define EENN_CONV_S8_X3_CLAMP                 \
    "bfi %[s00], %[s10], #8, #8\n\t"          \
    "bfi %[s00], %[s20], #16, #8\n\t"         \
    "bfi %[s01], %[s11], #8, #8\n\t"          \
    "bfi %[s01], %[s21], #16, #8\n\t"         \
    "ldrd %[p0], %[p1], %[clamp]\n\t"         \
    "ssub8 %[q0], %[s00], %[p0]\n\t"          \
    "sel %[s00], %[s00], %[p0]\n\t"           \
    "ssub8 %[q0], %[p1], %[s00]\n\t"          \
    "sel %[s00], %[s00], %[p1]\n\t"           \
    "ssub8 %[q0], %[s01], %[p0]\n\t"          \
    "sel %[s01], %[s01], %[p0]\n\t"           \
    "ssub8 %[q0], %[p1], %[s01]\n\t"          \
    "sel %[s01], %[s01], %[p1]\n\t"           \
    "ldr %[a], %[out]\n\t"                    \
    "ldr %[x0], %[stride]\n\t"                \
    "strh %[s00], [%[a]]\n\t"                 \
    "lsr %[s00], %[s00], #16\n\t"             \
    "strb %[s00], [%[a], #2]\n\t"             \
    "add %[x1], %[a], %[x0]\n\t"              \
    "strh %[s01], [%[x1]]\n\t"                \
    "lsr %[s01], %[s01], #16\n\t"             \
    "strb %[s01], [%[x1], #2]\n\t"
#define EENN_CONV_S8_X3_NEXT           \
    "add %[a], %[a], %[x0], lsl #1\n\t" \
    "str %[a], %[out]\n\t"             \
    "ldr %[x0], %[last]\n\t"           \
    "cmp %[a], %[x0]\n\t"              \
    "bne 1b"
#define EENN_CONV_S8_X3_OPERANDS                                                                                  \
    : [s00] "=&r"(s00), [s01] "=&r"(s01), [s10] "=&r"(s10), [s11] "=&r"(s11), [s20] "=&r"(s20),                 \
      [s21] "=&r"(s21), [a] "=&r"(a), [w] "+r"(w), [x0] "=&r"(x0), [x1] "=&r"(x1), [p0] "=&r"(p0),              \
      [p1] "=&r"(p1), [q0] "=&r"(q0), [q1] "=&r"(q1), [bias] "+m"(st->bias),                                    \
      [requantization] "+m"(st->requantization), [out] "+m"(st->out)                                            \
    : [columns] "m"(st->columns), [end] "m"(st->end), [groups_end] "m"(st->groups_end), [tail] "m"(st->tail),    \
      [stride] "m"(st->out_stride), [odd_zp] "m"(st->odd_zp), [last] "m"(st->last), [clamp] "m"(st->clamp)       \
    : "cc", "memory"
#define EENN_CONV_S8_X3_LOOP(store)                                                                           \
    __asm__ volatile(EENN_CONV_S8_X3_HEAD EENN_CONV_S8_X3_GROUPS EENN_CONV_S8_X3_STAGE store EENN_CONV_S8_X3_NEXT \
                         EENN_CONV_S8_X3_OPERANDS)
#if EENN_CONV_S8_SATURATE
    if (full_range) {
        EENN_CONV_S8_X3_LOOP(EENN_CONV_S8_X3_SATURATE);
    }
#endif
#if EENN_CONV_S8_CLAMP
    if (!full_range) {
        EENN_CONV_S8_X3_LOOP(EENN_CONV_S8_X3_CLAMP);
    }
#endif
#undef EENN_CONV_S8_X3_LOOP
#undef EENN_CONV_S8_X3_OPERANDS
#undef EENN_CONV_S8_X3_NEXT
#undef EENN_CONV_S8_X3_CLAMP
#undef EENN_CONV_S8_X3_SATURATE
#undef EENN_CONV_S8_X3_STAGE
#undef EENN_CONV_S8_X3_GROUPS
#undef EENN_CONV_S8_X3_HEAD
    *pw = w;
}

/*
 * The outputs of three pixels whose expanded columns are interleaved at `columns` (eenn_interleave_x3_dsp: group g
 * of pixel i at 24 g + 8 i), for every output channel of group `g`: channel m of pixel i goes to
 * out[m * g->out_stride + i]. Only for what eenn_conv_x3_takes_dsp accepts (a bias, the bounded output stage, a
 * depth of 16 values or more and a multiple of 4). The pairs of channels in eenn_triples_x3_dsp, a lone last
 * channel in C.
 */
void eenn_multiply_columns_x3_dsp(const uint8_t *columns, const eenn_conv_group_s8 *g, int8_t *EENN_RESTRICT out)
{
    const int32_t depth = g->depth;
    const int32_t tail = depth & (EENN_PAIR_CHUNK_S8 - 1);
    const eenn_output_stage_s8 *o = g->o;
    const int32_t odd_zp = 2 * o->output_offset + 1;
    const int8_t *w = g->weights;
    const int32_t pairs = g->channels >> 1;
    if (pairs > 0) {
        eenn_triples_state_dsp st = {
            columns,
            columns + 3 * 2 * (depth - tail),
            columns + 3 * 2 * depth,
            g->bias,
            { g->multiplier, g->shift },
            out,
            out + 2 * pairs * g->out_stride,
            g->out_stride,
            odd_zp,
            { 0x01010101u * (uint8_t)o->act_min, 0x01010101u * (uint8_t)o->act_max },
            tail,
        };
        eenn_triples_x3_dsp(&st, &w, o->full_range);
    }
    if (g->channels & 1) {
        /* A lone last channel: its plain row, one pixel at a time. */
        const int32_t m = g->channels - 1;
        for (int32_t i = 0; i < 3; i++) {
            int32_t acc = g->bias[m];
            const uint8_t *x = columns + 8 * i;
            for (int32_t k = 0; k < depth; k += 4, x += 24) {
                const uint32_t wv = eenn_read_u32(w + k);
                acc = __smlad((int32_t)eenn_read_u32(x + 4), eenn_sxtb16_ror8_s8(wv),
                              __smlad((int32_t)eenn_read_u32(x), __sxtb16((int32_t)wv), acc));
            }
            eenn_store_bounded_dsp(out + m * g->out_stride + i, 1, acc, acc, g->multiplier[m], g->shift[m], odd_zp, 0,
                                   o);
        }
    }
}
#endif

#if defined(EENN_CONV_S8_MVE)
/* As eenn_dot_2x2_dsp with int8 columns, 16 values per VMLADAVA, the last chunk predicated. */
EENN_CONV_S8_INLINE void eenn_dot_2x2_mve(const int8_t *a, const int8_t *b, const int8_t *w, int32_t depth,
                                          int32_t paired, int32_t s[4])
{
    int32_t s00 = s[0], s01 = s[1], s10 = s[2], s11 = s[3];
    const int32_t row = EENN_PAIRED_ROW_S8(depth);
    const int32_t whole = row / EENN_PAIR_CHUNK_S8; /* whole chunks of the layout */
    for (int32_t k = 0, c = 0; k < depth; k += EENN_PAIR_CHUNK_S8, c++) {
        /* Chunk c: its values of the column (predicated past the end), the second row `partner` bytes on. */
        const int32_t partner = !paired ? 0 : c < whole ? EENN_PAIR_CHUNK_S8
                                                        : row % EENN_PAIR_CHUNK_S8;
        const mve_pred16_t p = vctp8q((uint32_t)(depth - k));
        const int8x16_t va = vldrbq_z_s8(a + k, p), vb = vldrbq_z_s8(b + k, p);
        const int8x16_t v0 = vldrbq_z_s8(w, p), v1 = vldrbq_z_s8(w + partner, p);
        s00 = vmladavaq_s8(s00, va, v0);
        s01 = vmladavaq_s8(s01, va, v1);
        s10 = vmladavaq_s8(s10, vb, v0);
        s11 = vmladavaq_s8(s11, vb, v1);
        w += paired ? 2 * EENN_PAIR_CHUNK_S8 : EENN_PAIR_CHUNK_S8;
    }
    s[0] = s00;
    s[1] = s01;
    s[2] = s10;
    s[3] = s11;
}
#endif

#if defined(EENN_CONV_S8_MVE)
/* One chunk of 16 values of the 4 x 2 block: VLD4 de-interleaves the 4 columns at x into q0..q3, the pair's rows
   at w go to q4 (channel m) and q5 (m + 1); `op` is VMLADAV (the first chunk) or VMLADAVA. */
/* clang-format off */
#define EENN_CONV_S8_CHUNK_4X2(op)          \
    "vldrb.8 q5, [%[w], #16]\n\t"           \
    "vldrb.8 q4, [%[w]], #32\n\t"           \
    "vld40.8 {q0, q1, q2, q3}, [%[x]]\n\t"  \
    "vld41.8 {q0, q1, q2, q3}, [%[x]]\n\t"  \
    "vld42.8 {q0, q1, q2, q3}, [%[x]]\n\t"  \
    "vld43.8 {q0, q1, q2, q3}, [%[x]]!\n\t" \
    op " %[a0], q0, q4\n\t"                 \
    op " %[a1], q1, q4\n\t"                 \
    op " %[a2], q2, q4\n\t"                 \
    op " %[a3], q3, q4\n\t"                 \
    op " %[b0], q0, q5\n\t"                 \
    op " %[b1], q1, q5\n\t"                 \
    op " %[b2], q2, q5\n\t"                 \
    op " %[b3], q3, q5\n\t"
/* clang-format on */

/*
 * The sums of the `whole` (>= 1) chunks of 16 values of a pair of rows (w, paired layout) with the 4
 * byte-interleaved columns at x: *sum_m (lane j: pixel j, channel m) and *sum_m1 (channel m + 1). The 8 sums live
 * in even registers (VMLADAVA's accumulators) and go into the vectors at the end; advances x and w past them.
 */
EENN_CONV_S8_INLINE void eenn_dot_4x2_mve(const int8_t **px, const int8_t **pw, int32_t whole, int32x4_t *sum_m,
                                          int32x4_t *sum_m1)
{
    const int8_t *x = *px, *w = *pw;
    int32_t a0, a1, a2, a3, b0, b1, b2, b3;
    /* The sums leave in q0 and q1 (free again after the last chunk): q6 and q7 stay for the caller. */
    register int32x4_t va __asm__("q0");
    register int32x4_t vb __asm__("q1");
    /* clang-format off */
    __asm__(EENN_CONV_S8_CHUNK_4X2("vmladav.s8")
            "subs %[n], #1\n\t"
            "beq 2f\n\t"
            "1:\n\t"
            EENN_CONV_S8_CHUNK_4X2("vmladava.s8")
            "subs %[n], #1\n\t"
            "bne 1b\n\t"
            "2:\n\t"
            "vmov q0[2], q0[0], %[a0], %[a2]\n\t"
            "vmov q0[3], q0[1], %[a1], %[a3]\n\t"
            "vmov q1[2], q1[0], %[b0], %[b2]\n\t"
            "vmov q1[3], q1[1], %[b1], %[b3]"
            : [a0] "=&Te"(a0), [a1] "=&Te"(a1), [a2] "=&Te"(a2), [a3] "=&Te"(a3), [b0] "=&Te"(b0), [b1] "=&Te"(b1),
              [b2] "=&Te"(b2), [b3] "=&Te"(b3), [va] "=w"(va), [vb] "=w"(vb), [x] "+r"(x), [w] "+r"(w),
              [n] "+r"(whole)
            :
            : "q2", "q3", "q4", "q5", "cc", "memory");
    /* clang-format on */
    *px = x;
    *pw = w;
    *sum_m = va;
    *sum_m1 = vb;
}

/*
 * eenn_multiply_columns_x4_s8 with `bounded` a constant: two output channels (a pair of rows) of the 4 pixels
 * per pass (eenn_dot_4x2_mve: 128 multiply-accumulates in 16 instructions with the loop), the last depth % 16
 * values by predicated gathers (every 4th byte) and loads; a lone last channel on its own.
 */
EENN_CONV_S8_INLINE void eenn_multiply_x4_mve(const int8_t *columns, int32_t pixels, const eenn_conv_group_s8 *g,
                                              int8_t *EENN_RESTRICT out, int32_t bounded)
{
    static const int32_t no_bias[2] = { 0, 0 };
    const int8_t *w = g->weights;
    /* Without a bias, the two zeros again and again. */
    const int32_t *EENN_RESTRICT bias = g->bias != NULL ? g->bias : no_bias;
    const int32_t bias_step = g->bias != NULL ? 2 : 0;
    const int32_t *EENN_RESTRICT multiplier = g->multiplier;
    const int32_t *EENN_RESTRICT shift = g->shift;
    const int32_t depth = g->depth, out_stride = g->out_stride;
    const int32_t offset = g->o->output_offset;
    const int32x4_t lo = vdupq_n_s32(g->o->act_min), hi = vdupq_n_s32(g->o->act_max);
    const int32_t whole = depth / EENN_PAIR_CHUNK_S8; /* whole chunks: at least 1 (depth >= 16) */
    const int32_t rest = depth % EENN_PAIR_CHUNK_S8;
    const int8_t *tail_columns = columns + 4 * EENN_PAIR_CHUNK_S8 * whole;
    const mve_pred16_t store = vctp32q((uint32_t)pixels);
    for (int32_t pairs = g->channels >> 1; pairs > 0; pairs--) {
        const int8_t *x = columns;
        int32x4_t sum_m, sum_m1;
        eenn_dot_4x2_mve(&x, &w, whole, &sum_m, &sum_m1);
        if (rest != 0) {
            /* The last values: the second row `rest` bytes on; predicated lanes read nothing and add 0. */
            const mve_pred16_t tail = vctp8q((uint32_t)rest);
            const uint8x16_t every_4th = vidupq_n_u8(0u, 4);
            const int8x16_t r0 = vldrbq_z_s8(w, tail);
            const int8x16_t r1 = vldrbq_z_s8(w + rest, tail);
            const int8x16_t x0 = vldrbq_gather_offset_z_s8(tail_columns, every_4th, tail);
            const int8x16_t x1 = vldrbq_gather_offset_z_s8(tail_columns + 1, every_4th, tail);
            const int8x16_t x2 = vldrbq_gather_offset_z_s8(tail_columns + 2, every_4th, tail);
            const int8x16_t x3 = vldrbq_gather_offset_z_s8(tail_columns + 3, every_4th, tail);
            sum_m = vaddq_s32(sum_m, eenn_lanes_x4_mve(vmladavq_s8(x0, r0), vmladavq_s8(x1, r0), vmladavq_s8(x2, r0),
                                                       vmladavq_s8(x3, r0)));
            sum_m1 = vaddq_s32(sum_m1, eenn_lanes_x4_mve(vmladavq_s8(x0, r1), vmladavq_s8(x1, r1),
                                                         vmladavq_s8(x2, r1), vmladavq_s8(x3, r1)));
            w += 2 * rest;
        }
        eenn_conv_store_x4_mve(out, sum_m, bias[0], multiplier[0], shift[0], bounded, offset, lo, hi, store);
        eenn_conv_store_x4_mve(out + out_stride, sum_m1, bias[1], multiplier[1], shift[1], bounded, offset, lo, hi,
                               store);
        bias += bias_step;
        multiplier += 2;
        shift += 2;
        out += 2 * out_stride;
    }
    if (g->channels & 1) {
        /* A lone last channel: its plain row. */
        const int8_t *x = columns;
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (int32_t c = 0; c < depth; c += EENN_PAIR_CHUNK_S8, w += EENN_PAIR_CHUNK_S8, x += 4 * EENN_PAIR_CHUNK_S8) {
            /* The last chunk predicated: lanes past the row read nothing and add 0. */
            const mve_pred16_t p = vctp8q((uint32_t)(depth - c));
            const uint8x16_t every_4th = vidupq_n_u8(0u, 4);
            const int8x16_t row = vldrbq_z_s8(w, p);
            a0 = vmladavaq_s8(a0, vldrbq_gather_offset_z_s8(x, every_4th, p), row);
            a1 = vmladavaq_s8(a1, vldrbq_gather_offset_z_s8(x + 1, every_4th, p), row);
            a2 = vmladavaq_s8(a2, vldrbq_gather_offset_z_s8(x + 2, every_4th, p), row);
            a3 = vmladavaq_s8(a3, vldrbq_gather_offset_z_s8(x + 3, every_4th, p), row);
        }
        eenn_conv_store_x4_mve(out, eenn_lanes_x4_mve(a0, a1, a2, a3), bias[0], multiplier[0], shift[0], bounded,
                               offset, lo, hi, store);
    }
}

/*
 * The outputs of the `pixels` (1 to 4) columns of 16 values or more at `columns`, byte-interleaved (value k of
 * pixel j at columns[4 k + j]), for every output channel of group `g` (rows packed in pairs): channel m of pixel
 * j goes to out[m * g->out_stride + j].
 */
void eenn_multiply_columns_x4_s8(const int8_t *columns, int32_t pixels, const eenn_conv_group_s8 *g,
                                 int8_t *EENN_RESTRICT out)
{
#if EENN_CONV_S8_SATURATE || EENN_CONV_S8_CLAMP
    if (g->o->bounded) {
        eenn_multiply_x4_mve(columns, pixels, g, out, 1);
        return;
    }
#endif
    eenn_multiply_x4_mve(columns, pixels, g, out, 0);
}
#endif

#if defined(EENN_CONV_S8_MVE)
/*
 * eenn_multiply_columns_s8 for two output channels (a lone last channel computed twice) of two pixels (a lone
 * pixel likewise), with the caller's flags as constants.
 */
EENN_CONV_S8_INLINE void eenn_multiply_pairs_s8(int8_t *scratch, int32_t pixels, const int8_t *EENN_RESTRICT w,
                                                int32_t depth, int32_t channels, const int32_t *EENN_RESTRICT bias,
                                                const int32_t *EENN_RESTRICT multiplier,
                                                const int32_t *EENN_RESTRICT shift, const eenn_output_stage_s8 *o,
                                                int32_t bounded, int32_t full_range, int8_t *EENN_RESTRICT out,
                                                int32_t out_stride)
{
    const int8_t *col_b = pixels > 1 ? scratch + eenn_column_stride_s8(depth) : scratch;
    for (int32_t m = 0; m < channels; m += 2) {
        const int32_t paired = m + 1 < channels;
        int32_t s[4];
        s[0] = bias != NULL ? bias[m] : 0;
        s[1] = bias != NULL && paired ? bias[m + 1] : s[0];
        s[2] = s[0];
        s[3] = s[1];
        eenn_dot_2x2_mve(scratch, col_b, w, depth, paired, s);
        eenn_conv_store_s8(out, pixels, s[0], s[2], multiplier[m], shift[m], bounded, full_range, o);
        if (paired) {
            eenn_conv_store_s8(out + out_stride, pixels, s[1], s[3], multiplier[m + 1], shift[m + 1], bounded,
                               full_range, o);
        }
        w += 2 * EENN_PAIRED_ROW_S8(depth);
        out += 2 * out_stride;
    }
}
#endif

#if !defined(EENN_CONV_S8_DSP) && !defined(EENN_CONV_S8_MVE) && EENN_ARMV6M
/*
 * acc[j] += x . row(j) over `chunks` (>= 1) whole chunks of 16 values of two pairs of rows packed in pairs, the
 * first pair at p0 and the second at p1: one index for the five streams, running over the weights' chunks of 32
 * bytes (from -32 chunks up to 0) and skipping the partner's half after each chunk, while the column's pointer
 * steps back 16 so that the same index walks it 16 values a chunk. Eight steps unrolled (the index's low 4 bits
 * say when a chunk ends): 14 instructions per 4 multiply-accumulates and 3 per chunk (the loops of
 * eenn_dot_pairs_1x4_s8 take 15 and 10). Builds optimized for speed only (8 low and 4 high registers).
 */
static inline void eenn_dot_chunks_1x4_armv6m(const int8_t *x, const int8_t *p0, const int8_t *p1, int32_t chunks,
                                              int32_t acc[4])
{
#if defined(__OPTIMIZE__) && !defined(__OPTIMIZE_SIZE__)
    const int32_t span = 2 * EENN_PAIR_CHUNK_S8 * chunks; /* bytes of each pair's chunks */
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t index = -span, value, product;
    const int8_t *xs = x + span;
    __asm__(EENN_ASM_SYNTAX_UNIFIED
            "1:\n\t" EENN_DOT_1X4_STEP_ARMV6M EENN_DOT_1X4_STEP_ARMV6M EENN_DOT_1X4_STEP_ARMV6M
                EENN_DOT_1X4_STEP_ARMV6M EENN_DOT_1X4_STEP_ARMV6M EENN_DOT_1X4_STEP_ARMV6M
                    EENN_DOT_1X4_STEP_ARMV6M EENN_DOT_1X4_STEP_ARMV6M
            "lsls %[p], %[i], #28\n\t"
            "bne 1b\n\t"
            "subs %[x], #16\n\t"
            "adds %[i], #16\n\t"
            "bne 1b"
            : [a0] "+h"(a0), [a1] "+h"(a1), [a2] "+h"(a2), [a3] "+h"(a3), [i] "+l"(index), [v] "=&l"(value),
              [p] "=&l"(product), [x] "+l"(xs)
            : [w0] "l"(p0 + span), [w1] "l"(p0 + span + EENN_PAIR_CHUNK_S8), [w2] "l"(p1 + span),
              [w3] "l"(p1 + span + EENN_PAIR_CHUNK_S8)
            : "cc", "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
#else
    eenn_dot_pairs_1x4_s8(x, p0, p1, chunks, acc);
#endif
}

/* One step of eenn_dot_chunks_1x2_armv6m: value i of the column times value i of the pair's two rows. */
#define EENN_DOT_PAIR_STEP_ARMV6M   \
    "ldrsb %[v], [%[x], %[i]]\n\t"  \
    "ldrsb %[p], [%[w0], %[i]]\n\t" \
    "muls %[p], %[v]\n\t"           \
    "add %[a0], %[p]\n\t"           \
    "ldrsb %[p], [%[w1], %[i]]\n\t" \
    "muls %[p], %[v]\n\t"           \
    "add %[a1], %[p]\n\t"           \
    "adds %[i], #1\n\t"

/* As eenn_dot_chunks_1x4_armv6m for one pair of rows at p0 (acc[0], acc[1]): 8 instructions per 2 values. */
static inline void eenn_dot_chunks_1x2_armv6m(const int8_t *x, const int8_t *p0, int32_t chunks, int32_t acc[2])
{
#if defined(__OPTIMIZE__) && !defined(__OPTIMIZE_SIZE__)
    const int32_t span = 2 * EENN_PAIR_CHUNK_S8 * chunks;
    int32_t a0 = acc[0], a1 = acc[1];
    int32_t index = -span, value, product;
    const int8_t *xs = x + span;
    __asm__(EENN_ASM_SYNTAX_UNIFIED
            "1:\n\t" EENN_DOT_PAIR_STEP_ARMV6M EENN_DOT_PAIR_STEP_ARMV6M EENN_DOT_PAIR_STEP_ARMV6M
                EENN_DOT_PAIR_STEP_ARMV6M EENN_DOT_PAIR_STEP_ARMV6M EENN_DOT_PAIR_STEP_ARMV6M
                    EENN_DOT_PAIR_STEP_ARMV6M EENN_DOT_PAIR_STEP_ARMV6M
            "lsls %[p], %[i], #28\n\t"
            "bne 1b\n\t"
            "subs %[x], #16\n\t"
            "adds %[i], #16\n\t"
            "bne 1b"
            : [a0] "+h"(a0), [a1] "+h"(a1), [i] "+l"(index), [v] "=&l"(value), [p] "=&l"(product), [x] "+l"(xs)
            : [w0] "l"(p0 + span), [w1] "l"(p0 + span + EENN_PAIR_CHUNK_S8)
            : "cc", "memory");
    acc[0] = a0;
    acc[1] = a1;
#else
    uint32_t a0 = (uint32_t)acc[0], a1 = (uint32_t)acc[1];
    for (int32_t c = 0; c < chunks; c++, x += EENN_PAIR_CHUNK_S8, p0 += 2 * EENN_PAIR_CHUNK_S8) {
        for (int32_t k = 0; k < EENN_PAIR_CHUNK_S8; k++) {
            a0 += (uint32_t)(x[k] * p0[k]);
            a1 += (uint32_t)(x[k] * p0[EENN_PAIR_CHUNK_S8 + k]);
        }
    }
    acc[0] = (int32_t)a0;
    acc[1] = (int32_t)a1;
#endif
}

/*
 * The portable multiply of a bounded layer on Armv6-M: the column x times four rows at a time (two pairs of the
 * layout: eenn_dot_chunks_1x4_armv6m over the whole chunks of 16 values, eenn_dot_1x4_s8 over the shorter last one),
 * each output requantized by eenn_requantize_armv6m_s8; then a last pair (eenn_dot_chunks_1x2_armv6m) and a lone
 * last channel (a plain loop).
 */
static void eenn_multiply_column_armv6m(const int8_t *x, const int8_t *EENN_RESTRICT w, int32_t depth,
                                        int32_t channels, const int32_t *EENN_RESTRICT bias,
                                        const int32_t *EENN_RESTRICT multiplier, const int32_t *EENN_RESTRICT shift,
                                        const eenn_output_stage_s8 *o, int8_t *EENN_RESTRICT out, int32_t out_stride)
{
    const int32_t row = EENN_PAIRED_ROW_S8(depth);
    const int32_t whole = depth / EENN_PAIR_CHUNK_S8;         /* whole chunks of 16 values */
    const int32_t tail = depth - whole * EENN_PAIR_CHUNK_S8;  /* values of the last, shorter chunk */
    const int32_t partner = row - whole * EENN_PAIR_CHUNK_S8; /* its length in the layout (padded below 16) */
    const int32_t zp = o->output_offset, act_min = o->act_min, act_max = o->act_max;
    int32_t m = 0;
    for (; m + 4 <= channels; m += 4, w += 4 * row, out += 4 * out_stride) {
        int32_t acc[4] = { 0, 0, 0, 0 };
        if (bias != NULL) {
            acc[0] = bias[m];
            acc[1] = bias[m + 1];
            acc[2] = bias[m + 2];
            acc[3] = bias[m + 3];
        }
        if (whole > 0) {
            eenn_dot_chunks_1x4_armv6m(x, w, w + 2 * row, whole, acc);
        }
        if (tail > 0) {
            const int8_t *p0 = w + 2 * EENN_PAIR_CHUNK_S8 * whole, *p1 = p0 + 2 * row;
            eenn_dot_1x4_s8(x + EENN_PAIR_CHUNK_S8 * whole, p0, p0 + partner, p1, p1 + partner, tail, acc);
        }
        out[0] = eenn_requantize_armv6m_s8(acc[0], multiplier[m], shift[m], zp, act_min, act_max);
        out[out_stride] = eenn_requantize_armv6m_s8(acc[1], multiplier[m + 1], shift[m + 1], zp, act_min, act_max);
        out[2 * out_stride] = eenn_requantize_armv6m_s8(acc[2], multiplier[m + 2], shift[m + 2], zp, act_min, act_max);
        out[3 * out_stride] = eenn_requantize_armv6m_s8(acc[3], multiplier[m + 3], shift[m + 3], zp, act_min, act_max);
    }
    if (m + 2 <= channels) {
        /* A last pair. */
        int32_t acc[4] = { 0, 0, 0, 0 };
        if (bias != NULL) {
            acc[0] = bias[m];
            acc[1] = bias[m + 1];
        }
        if (whole > 0) {
            eenn_dot_chunks_1x2_armv6m(x, w, whole, acc);
        }
        if (tail > 0) {
            const int8_t *p0 = w + 2 * EENN_PAIR_CHUNK_S8 * whole;
            eenn_dot_1x4_s8(x + EENN_PAIR_CHUNK_S8 * whole, p0, p0 + partner, p0, p0 + partner, tail, acc);
        }
        out[0] = eenn_requantize_armv6m_s8(acc[0], multiplier[m], shift[m], zp, act_min, act_max);
        out[out_stride] = eenn_requantize_armv6m_s8(acc[1], multiplier[m + 1], shift[m + 1], zp, act_min, act_max);
        m += 2;
        w += 2 * row;
        out += 2 * out_stride;
    }
    if (m < channels) {
        /* A lone last channel: its plain row. */
        uint32_t acc = bias != NULL ? (uint32_t)bias[m] : 0u;
        for (int32_t k = 0; k < depth; k++) {
            acc += (uint32_t)(x[k] * w[k]);
        }
        out[0] = eenn_requantize_armv6m_s8((int32_t)acc, multiplier[m], shift[m], zp, act_min, act_max);
    }
}
#endif

/*
 * The outputs of `pixels` (1 or 2; EENN_CONV_S8_PIXELS at most) gathered columns for every output channel of a
 * group (`channels` rows packed in pairs): channel m of pixel i goes to out[m * out_stride + i].
 */
void eenn_multiply_columns_s8(int8_t *scratch, int32_t pixels, const eenn_conv_group_s8 *g, int8_t *EENN_RESTRICT out)
{
    /* In locals: the stores to out (int8_t, which may alias anything) do not make the loops load them again. */
    const int8_t *EENN_RESTRICT weights = g->weights;
    const int32_t *EENN_RESTRICT bias = g->bias;
    const int32_t *EENN_RESTRICT multiplier = g->multiplier;
    const int32_t *EENN_RESTRICT shift = g->shift;
    const int32_t depth = g->depth, channels = g->channels, out_stride = g->out_stride;
    const eenn_output_stage_s8 *o = g->o;
#if defined(EENN_CONV_S8_DSP)
    /* The pairs of channels of two pixels in the asm loop where the layer allows it, the rest in C. */
    int32_t first = 0;
#if defined(__OPTIMIZE__) && EENN_HAS_UNALIGNED && EENN_CONV_S8_SATURATE && (EENN_CONV_S8_TWO_PIXELS || EENN_CONV_S8_UNALIGNED_ROWS)
    if (pixels == 2 && o->bounded && o->full_range) {
        first = eenn_multiply_fast_dsp(scratch, g, 1, out);
    }
#endif
#if defined(__OPTIMIZE__) && EENN_HAS_UNALIGNED && EENN_CONV_S8_CLAMP && (EENN_CONV_S8_TWO_PIXELS || EENN_CONV_S8_UNALIGNED_ROWS)
    if (first == 0 && pixels == 2 && o->bounded) {
        first = eenn_multiply_fast_dsp(scratch, g, 0, out);
    }
#endif
    if (first < channels) {
        eenn_multiply_pairs_s8(scratch, pixels, g, first, out);
    }
    (void)weights, (void)bias, (void)multiplier, (void)shift, (void)depth, (void)out_stride, (void)o;
#elif defined(EENN_CONV_S8_MVE)
    /* Only layers of fewer than 16 values per output come here (EENN_CONV_S8_FEW_VALUES): the others take
       eenn_multiply_columns_x4_s8. */
#if EENN_CONV_S8_SATURATE && EENN_CONV_S8_FEW_VALUES
    if (pixels == 2 && o->bounded && o->full_range) {
        eenn_multiply_pairs_s8(scratch, 2, weights, depth, channels, bias, multiplier, shift, o, 1, 1, out, out_stride);
        return;
    }
#endif
#if EENN_CONV_S8_CLAMP && EENN_CONV_S8_FEW_VALUES
    if (pixels == 2 && o->bounded) {
        eenn_multiply_pairs_s8(scratch, 2, weights, depth, channels, bias, multiplier, shift, o, 1, 0, out, out_stride);
        return;
    }
#endif
    eenn_multiply_pairs_s8(scratch, pixels, weights, depth, channels, bias, multiplier, shift, o, o->bounded, 0, out,
                           out_stride);
#else
    /* Four output channels of one pixel. */
    (void)pixels;
#if EENN_ARMV6M
    if (o->bounded) {
        eenn_multiply_column_armv6m(scratch, weights, depth, channels, bias, multiplier, shift, o, out, out_stride);
        return;
    }
#endif
    for (int32_t m = 0; m < channels; m += 4) {
        const int32_t last = channels - 1;
        int32_t acc[4];
        for (int32_t j = 0; j < 4; j++) {
            acc[j] = bias != NULL ? bias[m + j < last ? m + j : last] : 0;
        }
        eenn_dot_paired_1x4_s8(scratch, weights, channels, depth, m, acc);
        const int32_t count = channels - m < 4 ? channels - m : 4;
        for (int32_t j = 0; j < count; j++) {
            eenn_conv_store_s8(out + (m + j) * out_stride, 1, acc[j], 0, multiplier[m + j], shift[m + j], o->bounded,
                               0, o);
        }
    }
#endif
}
