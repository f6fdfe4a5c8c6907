/*
 * eenn_fc_s8.c - int8 fully connected layer (constant weights in the grouped layout of eenn_kernels_s8.h) with
 * per-output-feature requantization.
 *
 * The compiler folds the input zero point into the bias, so each output is a plain dot product of the raw int8
 * input row with a weight row. The output features go in groups of 4 (then one of 2 and one of 1 for the last
 * out_features % 4), and the rows of a group are interleaved word by word: one load brings 4 input values of
 * every row of the group. Every group runs a fast loop, whatever the number of outputs; a row whose length is
 * not a multiple of 4 ends with up to 3 values in plain C (MVE: one predicated vector).
 *
 * Which path runs (per group of rows, on weights aligned to 4 bytes as the compiler emits them):
 *   DSP (Cortex-M4/M7/M33)  4 rows: 4 input values (one LDR, two SXTB16) and their 16 weights (one LDM, two
 *                           SXTB16 per row) feed 8 SMLAD: ~1.3 instructions per MAC; 2 rows ~1.5; 1 row ~1.9
 *   MVE (Cortex-M55/M85)    16 input values per vector; the 4 (2) rows of a group de-interleaved by VLD4 (VLD2),
 *                           one VMLADAVA per row: 4 rows ~0.16 instructions per MAC, 2 rows ~0.19, 1 row ~0.25;
 *                           the last chunk predicated (VCTP), the weights read by a predicated gather
 *   Armv6-M (Cortex-M0+)    assembly loops, one LDRSB of the input and per row LDRSB, MULS and an ADD into a
 *                           high register: 4 rows ~3.6 instructions per MAC, 2 rows ~4.3, 1 row ~5.5
 *   portable                the same steps in plain C, a group of 4 rows in registers (Cortex-M3: ~2.3
 *                           instructions per MAC; any core, and builds not optimized)
 * Output stage: eenn_requantize_output_s8 (bounded layers: SSAT where the clamp is the whole int8 range with DSP,
 * eenn_requantize_armv6m_s8 on Armv6-M).
 */
#include <stdint.h>

#include "eenn_conv_support_s8.h" /* eenn_requantize_armv6m_s8 */
#include "eenn_nn_support_s8.h"

/* The dot product path: Helium where present, else the DSP extension, else Armv6-M assembly, else portable C. */
#if EENN_HAS_MVE
#define EENN_FC_S8_MVE 1
#elif EENN_HAS_DSP && defined(__OPTIMIZE__)
#define EENN_FC_S8_DSP 1
#elif EENN_ARMV6M && defined(__OPTIMIZE__) && !defined(__OPTIMIZE_SIZE__)
#define EENN_FC_S8_ARMV6M 1
#endif

/* Input values of one word of the layout: each row of a group contributes one word per step. */
#define EENN_FC_S8_STEP 4

/*
 * acc[j] += sum over k in [from, depth) of x[k] * row j (k) for the `group` rows interleaved word by word at w:
 * value k of row j at w[(k / 4) * 4 * group + 4 * j + k % 4]. The reference order of every path, and the tail
 * of the fast ones.
 */
static void eenn_fc_dot_c_s8(const int8_t *x, const int8_t *w, int32_t group, int32_t from, int32_t depth,
                             int32_t acc[4])
{
    for (int32_t k = from; k < depth; k++) {
        const int32_t v = x[k];
        const int8_t *p = w + (k / EENN_FC_S8_STEP) * EENN_FC_S8_STEP * group + k % EENN_FC_S8_STEP;
        for (int32_t j = 0; j < group; j++) {
            acc[j] = (int32_t)((uint32_t)acc[j] + (uint32_t)(v * p[EENN_FC_S8_STEP * j]));
        }
    }
}

#if !defined(EENN_FC_S8_MVE) && !defined(EENN_FC_S8_DSP) && !defined(EENN_FC_S8_ARMV6M)
/* Input value t of a step against value t of the words of rows 0 and 1 (named as in eenn_fc_dot_steps_c_s8). */
#define EENN_FC_S8_VALUE2_C(t)                           \
    do {                                                 \
        const int32_t v_ = x[t];                         \
        a0 += (uint32_t)(v_ * w[t]);                     \
        a1 += (uint32_t)(v_ * w[EENN_FC_S8_STEP + (t)]); \
    } while (0)

/* The same for the 4 rows of a group of 4. */
#define EENN_FC_S8_VALUE4_C(t)                                 \
    do {                                                       \
        EENN_FC_S8_VALUE2_C(t);                                \
        a2 += (uint32_t)(x[t] * w[2 * EENN_FC_S8_STEP + (t)]); \
        a3 += (uint32_t)(x[t] * w[3 * EENN_FC_S8_STEP + (t)]); \
    } while (0)

/*
 * acc[j] += x . row j over `steps` whole words of the `group` (4, 2 or 1) rows at w, in plain C: one step (4 input
 * values against a word of each row) at a time, written out, the accumulators in registers.
 */
static void eenn_fc_dot_steps_c_s8(const int8_t *x, const int8_t *w, int32_t group, int32_t steps, int32_t acc[4])
{
    uint32_t a0 = (uint32_t)acc[0], a1 = (uint32_t)acc[1], a2 = (uint32_t)acc[2], a3 = (uint32_t)acc[3];
    if (group == 4) {
        for (int32_t s = steps; s > 0; s--) {
            EENN_FC_S8_VALUE4_C(0);
            EENN_FC_S8_VALUE4_C(1);
            EENN_FC_S8_VALUE4_C(2);
            EENN_FC_S8_VALUE4_C(3);
            x += EENN_FC_S8_STEP;
            w += 4 * EENN_FC_S8_STEP;
        }
        acc[2] = (int32_t)a2;
        acc[3] = (int32_t)a3;
    } else if (group == 2) {
        for (int32_t s = steps; s > 0; s--) {
            EENN_FC_S8_VALUE2_C(0);
            EENN_FC_S8_VALUE2_C(1);
            EENN_FC_S8_VALUE2_C(2);
            EENN_FC_S8_VALUE2_C(3);
            x += EENN_FC_S8_STEP;
            w += 2 * EENN_FC_S8_STEP;
        }
    } else {
        /* One plain row: two accumulators over the odd and even values. */
        a1 = 0;
        for (int32_t k = 0; k < EENN_FC_S8_STEP * steps; k += 2) {
            a0 += (uint32_t)(x[k] * w[k]);
            a1 += (uint32_t)(x[k + 1] * w[k + 1]);
        }
        a0 += a1;
    }
    acc[0] = (int32_t)a0;
    if (group >= 2) {
        acc[1] = (int32_t)a1;
    }
}
#endif

#if defined(EENN_FC_S8_DSP)
/* One row of a step: the word of weights `w` (destroyed), two SXTB16 and two SMLAD into `acc`, `t` a free
   register (named as in eenn_fc_dot4_dsp). */
#define EENN_FC_S8_ROW_DSP(acc, w, t)                    \
    "sxtb16 %[" t "], %[" w "]\n\t"                      \
    "smlad %[" acc "], %[x02], %[" t "], %[" acc "]\n\t" \
    "sxtb16 %[" w "], %[" w "], ror #8\n\t"              \
    "smlad %[" acc "], %[x13], %[" w "], %[" acc "]\n\t"

/* One step of 4 rows: 4 input values (bytes 0 2 and 1 3 sign-extended to int16 pairs), the 4 words of weights by
   one LDM, and each row through the register its predecessor freed. */
#define EENN_FC_S8_STEP4_DSP                                                \
    "ldr %[x13], [%[x]], #4\n\t"                                            \
    "ldm %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"                           \
    "sxtb16 %[x02], %[x13]\n\t"                                             \
    "sxtb16 %[x13], %[x13], ror #8\n\t" EENN_FC_S8_ROW_DSP("a0", "w0", "t") \
        EENN_FC_S8_ROW_DSP("a1", "w1", "w0") EENN_FC_S8_ROW_DSP("a2", "w2", "w1") EENN_FC_S8_ROW_DSP("a3", "w3", "w2")

/* acc[j] += x . row j over `steps` words of 4 rows interleaved word by word at w (word aligned). 8 steps (128
   multiply-accumulates) in 162 instructions, then single steps. The weight words live in r8-r11 so that the LDM
   list ascends. */
static void eenn_fc_dot4_dsp(const int8_t *x, const int8_t *w, int32_t steps, int32_t acc[4])
{
    register uint32_t w0 __asm__("r8");
    register uint32_t w1 __asm__("r9");
    register uint32_t w2 __asm__("r10");
    register uint32_t w3 __asm__("r11");
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    uint32_t x02, x13, t;
    if (steps >= 8) {
        const int8_t *end = x + EENN_FC_S8_STEP * (steps & ~7);
        __asm__ volatile(EENN_ASM_SYNTAX_UNIFIED
                         "1:\n\t" EENN_FC_S8_STEP4_DSP EENN_FC_S8_STEP4_DSP EENN_FC_S8_STEP4_DSP EENN_FC_S8_STEP4_DSP
                             EENN_FC_S8_STEP4_DSP EENN_FC_S8_STEP4_DSP EENN_FC_S8_STEP4_DSP EENN_FC_S8_STEP4_DSP
                         "cmp %[x], %[end]\n\t"
                         "bne 1b"
                         : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w] "+r"(w),
                           [x02] "=&r"(x02), [x13] "=&r"(x13), [t] "=&r"(t), [w0] "=&r"(w0), [w1] "=&r"(w1),
                           [w2] "=&r"(w2), [w3] "=&r"(w3)
                         : [end] "r"(end)
                         : "cc", "memory");
    }
    for (int32_t s = steps & 7; s > 0; s--) {
        __asm__ volatile(EENN_ASM_SYNTAX_UNIFIED EENN_FC_S8_STEP4_DSP
                         : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w] "+r"(w),
                           [x02] "=&r"(x02), [x13] "=&r"(x13), [t] "=&r"(t), [w0] "=&r"(w0), [w1] "=&r"(w1),
                           [w2] "=&r"(w2), [w3] "=&r"(w3)
                         :
                         : "memory");
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

#if EENN_FC_S8_TAIL_ROWS
/* One row of a step in C: the weights word v against the input pairs x02, x13. */
static inline int32_t eenn_fc_row_dsp(int32_t acc, int32_t x02, int32_t x13, uint32_t v)
{
    acc = __smlad(x02, __sxtb16((int32_t)v), acc);
    return __smlad(x13, eenn_sxtb16_ror8_s8(v), acc);
}

/* acc[j] += x . row j over `steps` words of `group` (2 or 1) rows interleaved word by word at w (word aligned):
   2 rows one step at a time, 1 row two steps at a time (two accumulators). */
static void eenn_fc_dot_small_dsp(const int8_t *x, const int8_t *w, int32_t group, int32_t steps, int32_t acc[4])
{
    int32_t a0 = acc[0], a1 = group == 2 ? acc[1] : 0;
    const uint32_t *p = (const uint32_t *)(const void *)w;
    if (group == 2) {
        for (int32_t s = steps; s > 0; s--) {
            const uint32_t v = eenn_read_u32(x);
            const int32_t x02 = __sxtb16((int32_t)v), x13 = eenn_sxtb16_ror8_s8(v);
            a0 = eenn_fc_row_dsp(a0, x02, x13, p[0]);
            a1 = eenn_fc_row_dsp(a1, x02, x13, p[1]);
            x += EENN_FC_S8_STEP;
            p += 2;
        }
    } else {
        int32_t b = 0; /* the odd words of the row, beside a0's even ones */
        for (int32_t s = steps >> 1; s > 0; s--) {
            const uint32_t v0 = eenn_read_u32(x), v1 = eenn_read_u32(x + EENN_FC_S8_STEP);
            a0 = eenn_fc_row_dsp(a0, __sxtb16((int32_t)v0), eenn_sxtb16_ror8_s8(v0), p[0]);
            b = eenn_fc_row_dsp(b, __sxtb16((int32_t)v1), eenn_sxtb16_ror8_s8(v1), p[1]);
            x += 2 * EENN_FC_S8_STEP;
            p += 2;
        }
        if (steps & 1) {
            const uint32_t v = eenn_read_u32(x);
            a0 = eenn_fc_row_dsp(a0, __sxtb16((int32_t)v), eenn_sxtb16_ror8_s8(v), p[0]);
        }
        acc[0] = (int32_t)((uint32_t)a0 + (uint32_t)b);
        return;
    }
    acc[0] = a0;
    acc[1] = a1;
}
#endif /* EENN_FC_S8_TAIL_ROWS */
#endif

#if defined(EENN_FC_S8_MVE)
/* acc[j] += x . row j for the `group` (4, 2 or 1) rows interleaved word by word at w (word aligned): 16 input
   values per vector, the rows de-interleaved by VLD4 / VLD2, the last chunk predicated. */
static void eenn_fc_dot_mve(const int8_t *x, const int8_t *w, int32_t group, int32_t depth, int32_t acc[4])
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    const int32_t chunks = depth / 16, rest = depth % 16;
    if (group == 4) {
        for (int32_t c = chunks; c > 0; c--) {
            const int8x16_t v = vldrbq_s8(x);
            const int32x4x4_t q = vld4q_s32((const int32_t *)(const void *)w);
            a0 = vmladavaq_s8(a0, v, vreinterpretq_s8_s32(q.val[0]));
            a1 = vmladavaq_s8(a1, v, vreinterpretq_s8_s32(q.val[1]));
            a2 = vmladavaq_s8(a2, v, vreinterpretq_s8_s32(q.val[2]));
            a3 = vmladavaq_s8(a3, v, vreinterpretq_s8_s32(q.val[3]));
            x += 16;
            w += 64;
        }
    }
#if EENN_FC_S8_TAIL_ROWS
    else if (group == 2) {
        for (int32_t c = chunks; c > 0; c--) {
            const int8x16_t v = vldrbq_s8(x);
            const int32x4x2_t q = vld2q_s32((const int32_t *)(const void *)w);
            a0 = vmladavaq_s8(a0, v, vreinterpretq_s8_s32(q.val[0]));
            a1 = vmladavaq_s8(a1, v, vreinterpretq_s8_s32(q.val[1]));
            x += 16;
            w += 32;
        }
    } else {
        for (int32_t c = chunks; c > 0; c--) {
            a0 = vmladavaq_s8(a0, vldrbq_s8(x), vldrbq_s8(w));
            x += 16;
            w += 16;
        }
    }
#endif
    if (rest > 0) {
        /* The last words of each row (zeros past the end of the row) by a gather at a stride of `group` words;
           the input lanes past the end read as zero. */
        const int8x16_t v = vldrbq_z_s8(x, vctp8q((uint32_t)rest));
        const mve_pred16_t words = vctp32q((uint32_t)(rest + 3) / 4);
        const uint32x4_t offsets = vmulq_n_u32(vidupq_n_u32(0, 1), (uint32_t)(4 * group));
        const int32_t *p = (const int32_t *)(const void *)w;
        a0 = vmladavaq_s8(a0, v, vreinterpretq_s8_s32(vldrwq_gather_offset_z_s32(p, offsets, words)));
        if (group >= 2) {
            a1 = vmladavaq_s8(a1, v, vreinterpretq_s8_s32(vldrwq_gather_offset_z_s32(p + 1, offsets, words)));
        }
        if (group == 4) {
            a2 = vmladavaq_s8(a2, v, vreinterpretq_s8_s32(vldrwq_gather_offset_z_s32(p + 2, offsets, words)));
            a3 = vmladavaq_s8(a3, v, vreinterpretq_s8_s32(vldrwq_gather_offset_z_s32(p + 3, offsets, words)));
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#endif

#if defined(EENN_FC_S8_ARMV6M)
/* Armv6-M loads a signed byte only from a base plus a register, so one base pointer b walks the weights (1 per value,
   the rest of a step's words after its last value) and every row and the input are registers of offsets from it:
   row j at b + oj, the input at b + dx. The base starts where it makes dx count down to 0 at the end of the row
   (dx = the bytes the weights advance beyond the input per step, times the steps left), so that one SUBS per step
   moves the input and ends the loop. */
#define EENN_FC_S8_ROW_ARMV6M(acc, offset)  \
    "ldrsb %[p], [%[b], %[" offset "]]\n\t" \
    "muls %[p], %[v]\n\t"                   \
    "add %[" acc "], %[p]\n\t"

/* One input value of a step of 4 rows, then b + advance. */
#define EENN_FC_S8_VALUE4_ARMV6M(advance)                                                               \
    "ldrsb %[v], [%[b], %[dx]]\n\t" EENN_FC_S8_ROW_ARMV6M("a0", "o0") EENN_FC_S8_ROW_ARMV6M("a1", "o1") \
        EENN_FC_S8_ROW_ARMV6M("a2", "o2") EENN_FC_S8_ROW_ARMV6M("a3", "o3") "adds %[b], #" advance "\n\t"

/* One input value of a step of 2 rows, then b + advance. */
#define EENN_FC_S8_VALUE2_ARMV6M(advance) \
    "ldrsb %[v], [%[b], %[dx]]\n\t" EENN_FC_S8_ROW_ARMV6M("a0", "o0") EENN_FC_S8_ROW_ARMV6M("a1", "o1") "adds %[b], #" advance "\n\t"

/* One step of 4 rows: 4 input values, then dx - 12. */
#define EENN_FC_S8_STEP4_ARMV6M                                 \
    EENN_FC_S8_VALUE4_ARMV6M("1")                               \
    EENN_FC_S8_VALUE4_ARMV6M("1") EENN_FC_S8_VALUE4_ARMV6M("1") \
        EENN_FC_S8_VALUE4_ARMV6M("13") "subs %[dx], #12\n\t"

/* acc[j] += x . row j over `steps` (>= 1) words of 4 rows interleaved word by word at w: two steps (32
   multiply-accumulates: LDRSB of the input, per row LDRSB, MULS and an ADD into a high register) in 115
   instructions, an odd count entering at the second (bit 2 of dx = 12 * steps). */
static void eenn_fc_dot4_armv6m(const int8_t *x, const int8_t *w, int32_t steps, int32_t acc[4])
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t dx = 12 * steps, value, product;
    const int8_t *b = x - dx;
    const int32_t o0 = (int32_t)(w - b);
    __asm__(EENN_ASM_SYNTAX_UNIFIED
            "lsls %[v], %[dx], #29\n\t" /* bit 2 of dx = 12 * steps: steps is odd */
            "bmi 2f\n\t"
            "1:\n\t" EENN_FC_S8_STEP4_ARMV6M
            "2:\n\t" EENN_FC_S8_STEP4_ARMV6M
            "bne 1b"
            : [a0] "+h"(a0), [a1] "+h"(a1), [a2] "+h"(a2), [a3] "+h"(a3), [b] "+l"(b), [dx] "+l"(dx),
              [v] "=&l"(value), [p] "=&l"(product)
            : [o0] "l"(o0), [o1] "l"(o0 + 4), [o2] "l"(o0 + 8), [o3] "l"(o0 + 12)
            : "cc", "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* acc[j] += x . row j over `steps` (>= 1) words of 2 rows interleaved word by word at w: 34 instructions per 8
   multiply-accumulates. */
static void eenn_fc_dot2_armv6m(const int8_t *x, const int8_t *w, int32_t steps, int32_t acc[4])
{
    int32_t a0 = acc[0], a1 = acc[1];
    int32_t dx = 4 * steps, value, product;
    const int8_t *b = x - dx;
    const int32_t o0 = (int32_t)(w - b);
    __asm__(EENN_ASM_SYNTAX_UNIFIED
            "1:\n\t" EENN_FC_S8_VALUE2_ARMV6M("1") EENN_FC_S8_VALUE2_ARMV6M("1") EENN_FC_S8_VALUE2_ARMV6M("1")
                EENN_FC_S8_VALUE2_ARMV6M("5") "subs %[dx], #4\n\t"
                                              "bne 1b"
            : [a0] "+h"(a0), [a1] "+h"(a1), [b] "+l"(b), [dx] "+l"(dx), [v] "=&l"(value), [p] "=&l"(product)
            : [o0] "l"(o0), [o1] "l"(o0 + 4)
            : "cc", "memory");
    acc[0] = a0;
    acc[1] = a1;
}

/* acc[0] += x . row over `steps` (>= 1) words of one plain row at w: the input and the row advance together, one
   index counting up to 0 (22 instructions per 4 multiply-accumulates). */
static void eenn_fc_dot1_armv6m(const int8_t *x, const int8_t *w, int32_t steps, int32_t acc[4])
{
    int32_t a0 = acc[0];
    int32_t index = -EENN_FC_S8_STEP * steps, value, product;
    __asm__(EENN_ASM_SYNTAX_UNIFIED
            "1:\n\t"
            "ldrsb %[v], [%[x], %[i]]\n\t" EENN_FC_S8_ROW_ARMV6M("a0", "i") "adds %[i], #1\n\t"
                                                                            "ldrsb %[v], [%[x], %[i]]\n\t" EENN_FC_S8_ROW_ARMV6M("a0", "i") "adds %[i], #1\n\t"
                                                                                                                                            "ldrsb %[v], [%[x], %[i]]\n\t" EENN_FC_S8_ROW_ARMV6M("a0", "i") "adds %[i], #1\n\t"
                                                                                                                                                                                                            "ldrsb %[v], [%[x], %[i]]\n\t" EENN_FC_S8_ROW_ARMV6M("a0", "i") "adds %[i], #1\n\t"
                                                                                                                                                                                                                                                                            "bne 1b"
            : [a0] "+h"(a0), [i] "+l"(index), [v] "=&l"(value), [p] "=&l"(product)
            : [x] "l"(x - index), [b] "l"(w - index)
            : "cc", "memory");
    acc[0] = a0;
}
#endif

/* acc[j] += x . row j over the whole row (`depth` values) for the `group` rows of weights at w. */
static void eenn_fc_dot_group_s8(const int8_t *x, const int8_t *w, int32_t group, int32_t depth, int32_t aligned,
                                 int32_t acc[4])
{
    int32_t from = 0; /* the values the fast path leaves to eenn_fc_dot_c_s8 start here */
#if defined(EENN_FC_S8_MVE)
    /* The last 2 and 1 rows with EENN_FC_S8_TAIL_ROWS at 0: the plain C below. */
    if (aligned && (EENN_FC_S8_TAIL_ROWS || group == EENN_FC_GROUP_S8)) {
        eenn_fc_dot_mve(x, w, group, depth, acc);
        return;
    }
#elif defined(EENN_FC_S8_DSP)
    const int32_t steps = depth / EENN_FC_S8_STEP;
    /* The last 2 and 1 rows with EENN_FC_S8_TAIL_ROWS at 0: the plain C below. */
    if (aligned && steps > 0 && (EENN_FC_S8_TAIL_ROWS || group == EENN_FC_GROUP_S8)) {
        if (group == EENN_FC_GROUP_S8) {
            eenn_fc_dot4_dsp(x, w, steps, acc);
        }
#if EENN_FC_S8_TAIL_ROWS
        else {
            eenn_fc_dot_small_dsp(x, w, group, steps, acc);
        }
#endif
        from = EENN_FC_S8_STEP * steps;
        if (from == depth) {
            return;
        }
    }
#elif defined(EENN_FC_S8_ARMV6M)
    const int32_t steps = depth / EENN_FC_S8_STEP;
    if (steps > 0) {
        if (group == 4) {
            eenn_fc_dot4_armv6m(x, w, steps, acc);
        } else if (group == 2) {
            eenn_fc_dot2_armv6m(x, w, steps, acc);
        } else {
            eenn_fc_dot1_armv6m(x, w, steps, acc);
        }
        from = EENN_FC_S8_STEP * steps;
    }
#else
    const int32_t steps = depth / EENN_FC_S8_STEP;
    eenn_fc_dot_steps_c_s8(x, w, group, steps, acc);
    from = EENN_FC_S8_STEP * steps;
#endif
    (void)aligned;
    eenn_fc_dot_c_s8(x, w, group, from, depth, acc);
}

#if (defined(EENN_FC_S8_DSP) || defined(EENN_FC_S8_MVE)) && EENN_FC_S8_SATURATE
/* The output stage of a bounded layer whose clamp is the whole int8 range: a plain saturation to int8. */
static inline int8_t eenn_fc_saturate_s8(int32_t acc, int32_t multiplier, int32_t shift, int32_t output_offset)
{
    const int32_t exponent = -shift;
    const int32_t v = eenn_requantize_bounded_s8(acc, multiplier, exponent, 1 << (exponent - 1));
    return (int8_t)__ssat(v + output_offset, 8);
}
#endif

/* Output feature n of accumulator acc: the fast output stage when `saturate` (bounded requantization and the
   whole int8 range, EENN_FC_S8_SATURATE), else eenn_requantize_output_s8. */
static inline int8_t eenn_fc_output_s8(int32_t acc, int32_t n, int32_t saturate, int32_t bounded, int32_t output_offset,
                                       const int32_t *output_multiplier, const int32_t *output_shift, int32_t act_min,
                                       int32_t act_max)
{
#if (defined(EENN_FC_S8_DSP) || defined(EENN_FC_S8_MVE)) && EENN_FC_S8_SATURATE
    if (saturate) {
        return eenn_fc_saturate_s8(acc, output_multiplier[n], output_shift[n], output_offset);
    }
#else
    (void)saturate;
#endif
#if defined(EENN_FC_S8_ARMV6M)
    if (bounded) {
        return eenn_requantize_armv6m_s8(acc, output_multiplier[n], output_shift[n], output_offset, act_min, act_max);
    }
#endif
    return eenn_requantize_output_s8(acc, output_multiplier[n], output_shift[n], bounded, output_offset, act_min,
                                     act_max);
}

/* The outputs of features n .. n + count - 1 from acc[0 .. count - 1] through eenn_fc_output_s8: the last rows of
   a layer; out of line where no layer has such rows (EENN_FC_S8_TAIL_ROWS at 0: one copy of the output stages
   beside the written-out ones of the groups of 4). */
#if defined(__GNUC__) && !EENN_FC_S8_TAIL_ROWS
#define EENN_FC_S8_STORE static __attribute__((noinline))
#else
#define EENN_FC_S8_STORE static inline
#endif
EENN_FC_S8_STORE void eenn_fc_store_s8(const int32_t acc[4], int32_t count, int8_t *out, int32_t n, int32_t saturate,
                             int32_t bounded, int32_t output_offset, const int32_t *output_multiplier,
                             const int32_t *output_shift, int32_t act_min, int32_t act_max)
{
    for (int32_t j = 0; j < count; j++) {
        out[n + j] = eenn_fc_output_s8(acc[j], n + j, saturate, bounded, output_offset, output_multiplier, output_shift,
                                       act_min, act_max);
    }
}

void eenn_fc_s8(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                int32_t rows, int32_t in_features, int32_t out_features, int32_t output_offset,
                const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                int32_t act_min, int32_t act_max)
{
    const int32_t bounded = !EENN_FC_S8_EXACT || eenn_requantize_bounded_ok_s8(bias, output_shift, out_features, in_features);
    const int32_t saturate = bounded && act_min == -128 && act_max == 127;
    const int32_t row_bytes = EENN_FC_ROW_BYTES_S8(in_features);
    const int32_t aligned = ((uintptr_t)weights & 3u) == 0;
    const int32_t whole = out_features / EENN_FC_GROUP_S8 * EENN_FC_GROUP_S8; /* features in whole groups */
    for (int32_t r = 0; r < rows; r++) {
        const int8_t *x = input + r * in_features;
        int8_t *out = output + r * out_features;
        const int8_t *w = weights;
        int32_t acc[4] = { 0, 0, 0, 0 };
        for (int32_t n = 0; n < whole; n += EENN_FC_GROUP_S8) {
            if (bias != NULL) {
                acc[0] = bias[n];
                acc[1] = bias[n + 1];
                acc[2] = bias[n + 2];
                acc[3] = bias[n + 3];
            } else {
                acc[0] = acc[1] = acc[2] = acc[3] = 0;
            }
            eenn_fc_dot_group_s8(x, w, EENN_FC_GROUP_S8, in_features, aligned, acc);
            w += EENN_FC_GROUP_S8 * row_bytes;
#if (defined(EENN_FC_S8_DSP) || defined(EENN_FC_S8_MVE)) && EENN_FC_S8_SATURATE
            if (saturate) {
                /* The usual case, written out for the 4 features so that no accumulator goes through memory. */
                out[n] = eenn_fc_saturate_s8(acc[0], output_multiplier[n], output_shift[n], output_offset);
                out[n + 1] = eenn_fc_saturate_s8(acc[1], output_multiplier[n + 1], output_shift[n + 1], output_offset);
                out[n + 2] = eenn_fc_saturate_s8(acc[2], output_multiplier[n + 2], output_shift[n + 2], output_offset);
                out[n + 3] = eenn_fc_saturate_s8(acc[3], output_multiplier[n + 3], output_shift[n + 3], output_offset);
                continue;
            }
#endif
#if defined(EENN_FC_S8_ARMV6M)
            if (bounded) {
                /* The bounded output stage in Armv6-M assembly, written out for the 4 features. */
                out[n] = eenn_requantize_armv6m_s8(acc[0], output_multiplier[n], output_shift[n], output_offset, act_min,
                                                   act_max);
                out[n + 1] = eenn_requantize_armv6m_s8(acc[1], output_multiplier[n + 1], output_shift[n + 1],
                                                       output_offset, act_min, act_max);
                out[n + 2] = eenn_requantize_armv6m_s8(acc[2], output_multiplier[n + 2], output_shift[n + 2],
                                                       output_offset, act_min, act_max);
                out[n + 3] = eenn_requantize_armv6m_s8(acc[3], output_multiplier[n + 3], output_shift[n + 3],
                                                       output_offset, act_min, act_max);
                continue;
            }
#endif
            out[n] = eenn_requantize_output_s8(acc[0], output_multiplier[n], output_shift[n], bounded, output_offset,
                                               act_min, act_max);
            out[n + 1] = eenn_requantize_output_s8(acc[1], output_multiplier[n + 1], output_shift[n + 1], bounded,
                                                   output_offset, act_min, act_max);
            out[n + 2] = eenn_requantize_output_s8(acc[2], output_multiplier[n + 2], output_shift[n + 2], bounded,
                                                   output_offset, act_min, act_max);
            out[n + 3] = eenn_requantize_output_s8(acc[3], output_multiplier[n + 3], output_shift[n + 3], bounded,
                                                   output_offset, act_min, act_max);
        }
        /* The last out_features % 4: a group of 2, then one of 1. */
        for (int32_t n = whole; n < out_features;) {
            const int32_t group = out_features - n >= 2 ? 2 : 1;
            for (int32_t j = 0; j < group; j++) {
                acc[j] = bias != NULL ? bias[n + j] : 0;
            }
#if EENN_FC_S8_TAIL_ROWS
            eenn_fc_dot_group_s8(x, w, group, in_features, aligned, acc);
#else
            eenn_fc_dot_c_s8(x, w, group, 0, in_features, acc);
#endif
            eenn_fc_store_s8(acc, group, out, n, saturate, bounded, output_offset, output_multiplier, output_shift,
                             act_min, act_max);
            w += group * row_bytes;
            n += group;
        }
    }
}
