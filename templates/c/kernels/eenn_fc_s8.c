/*
 * eenn_fc_s8.c - int8 fully connected layer (constant weights packed in pairs, eenn_kernels_s8.h) with
 * per-output-feature requantization.
 *
 * The compiler folds the input zero point into the bias, so each output is a plain dot product of the raw int8
 * input row with a weight row. Four output features (two pairs) at a time, so that each input value loaded
 * feeds four:
 *   DSP       4 input values and 4 weights per word, both expanded to int16 pairs by SXTB16 (bytes
 *             0 2 and 1 3), 2 SMLAD per feature
 *   MVE       16 values per VMLADAVA, the last chunk predicated
 *   portable  eenn_dot_paired_1x4_s8 (an assembly loop on Armv6-M)
 * Output stage: eenn_requantize_output_s8.
 */
#include <string.h>

#include "eenn_nn_support_s8.h"

/* The dot product path: Helium where present, else the DSP extension, else portable C. */
#if EENN_HAS_MVE
#define EENN_FC_S8_MVE 1
#elif EENN_HAS_DSP
#define EENN_FC_S8_DSP 1
#endif

#if defined(EENN_FC_S8_DSP)
/* One group of 4 values: the input word at x, the weights of the four features at p0, p0 + partner, p1 and
   p1 + partner. */
#define EENN_FC_S8_GROUP(x, p0, p1, partner)                                        \
    do {                                                                            \
        uint32_t v_;                                                                \
        memcpy(&v_, (x), 4);                                                        \
        const int32_t x02_ = __sxtb16((int32_t)v_), x13_ = eenn_sxtb16_ror8_s8(v_); \
        memcpy(&v_, (p0), 4);                                                       \
        a0 = __smlad(x02_, __sxtb16((int32_t)v_), a0);                              \
        a0 = __smlad(x13_, eenn_sxtb16_ror8_s8(v_), a0);                            \
        memcpy(&v_, (p0) + (partner), 4);                                           \
        a1 = __smlad(x02_, __sxtb16((int32_t)v_), a1);                              \
        a1 = __smlad(x13_, eenn_sxtb16_ror8_s8(v_), a1);                            \
        memcpy(&v_, (p1), 4);                                                       \
        a2 = __smlad(x02_, __sxtb16((int32_t)v_), a2);                              \
        a2 = __smlad(x13_, eenn_sxtb16_ror8_s8(v_), a2);                            \
        memcpy(&v_, (p1) + (partner), 4);                                           \
        a3 = __smlad(x02_, __sxtb16((int32_t)v_), a3);                              \
        a3 = __smlad(x13_, eenn_sxtb16_ror8_s8(v_), a3);                            \
    } while (0)

/* One group of 4 values in assembly: the input word at x + 4g, the weights at p0, p0 + 16, p1 and p1 + 16. */
#define EENN_FC_S8_ROW_ASM(acc, p, offset)             \
    "ldr %[wv], [%[" #p "], #" offset "]\n\t"          \
    "sxtb16 %[t], %[wv]\n\t"                           \
    "smlad %[" #acc "], %[x02], %[t], %[" #acc "]\n\t" \
    "sxtb16 %[t], %[wv], ror #8\n\t"                   \
    "smlad %[" #acc "], %[x13], %[t], %[" #acc "]\n\t"
#define EENN_FC_S8_GROUP_ASM(g)                                                                                      \
    "ldr %[wv], [%[x], #" #g "*4]\n\t"                                                                               \
    "sxtb16 %[x02], %[wv]\n\t"                                                                                       \
    "sxtb16 %[x13], %[wv], ror #8\n\t" EENN_FC_S8_ROW_ASM(a0, p0, #g "*4") EENN_FC_S8_ROW_ASM(a1, p0, "16+" #g "*4") \
        EENN_FC_S8_ROW_ASM(a2, p1, #g "*4") EENN_FC_S8_ROW_ASM(a3, p1, "16+" #g "*4")

/* acc[j] += x . row(n + j) for the two whole pairs of features (n, n + 1) and (n + 2, n + 3) at p0 and p1. */
static void eenn_fc_dot_pairs_dsp(const int8_t *x, const int8_t *p0, const int8_t *p1, int32_t depth, int32_t acc[4])
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    const int32_t chunks = depth / EENN_PAIR_CHUNK_S8;
#if defined(__OPTIMIZE__)
    if (chunks > 0) {
        /* Whole chunks of 16 values: 64 multiply-accumulates in 98 instructions. */
        const int8_t *end = x + 16 * chunks;
        uint32_t x02, x13, wv, t;
        __asm__(EENN_ASM_SYNTAX_UNIFIED
                "1:\n\t" EENN_FC_S8_GROUP_ASM(0) EENN_FC_S8_GROUP_ASM(1) EENN_FC_S8_GROUP_ASM(2)
                    EENN_FC_S8_GROUP_ASM(3) "add %[x], %[x], #16\n\t"
                                            "add %[p0], %[p0], #32\n\t"
                                            "add %[p1], %[p1], #32\n\t"
                                            "ldr %[t], %[end]\n\t"
                                            "cmp %[x], %[t]\n\t"
                                            "bne 1b"
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [p0] "+r"(p0),
                  [p1] "+r"(p1), [x02] "=&r"(x02), [x13] "=&r"(x13), [wv] "=&r"(wv), [t] "=&r"(t)
                : [end] "m"(end)
                : "cc", "memory");
    }
#else
    for (int32_t c = chunks; c > 0; c--) {
        EENN_FC_S8_GROUP(x, p0, p1, 16);
        EENN_FC_S8_GROUP(x + 4, p0 + 4, p1 + 4, 16);
        EENN_FC_S8_GROUP(x + 8, p0 + 8, p1 + 8, 16);
        EENN_FC_S8_GROUP(x + 12, p0 + 12, p1 + 12, 16);
        x += 16;
        p0 += 32;
        p1 += 32;
    }
#endif
    const int32_t rest = depth % EENN_PAIR_CHUNK_S8; /* the second row of a pair's last chunk is `rest` further */
    for (int32_t i = rest >> 2; i > 0; i--) {
        EENN_FC_S8_GROUP(x, p0, p1, rest);
        x += 4;
        p0 += 4;
        p1 += 4;
    }
    for (int32_t i = rest & 3; i > 0; i--) {
        const int32_t v = *x++;
        a0 = (int32_t)((uint32_t)a0 + (uint32_t)(v * p0[0]));
        a1 = (int32_t)((uint32_t)a1 + (uint32_t)(v * p0[rest]));
        a2 = (int32_t)((uint32_t)a2 + (uint32_t)(v * p1[0]));
        a3 = (int32_t)((uint32_t)a3 + (uint32_t)(v * p1[rest]));
        p0++;
        p1++;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#endif

#if defined(EENN_FC_S8_MVE)
/* acc[j] += x . row(n + j) for the two whole pairs of features at p0 and p1, 16 values per step. */
static void eenn_fc_dot_pairs_mve(const int8_t *x, const int8_t *p0, const int8_t *p1, int32_t depth, int32_t acc[4])
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int32_t c = depth / EENN_PAIR_CHUNK_S8; c > 0; c--) {
        const int8x16_t v = vldrbq_s8(x);
        a0 = vmladavaq_s8(a0, v, vldrbq_s8(p0));
        a1 = vmladavaq_s8(a1, v, vldrbq_s8(p0 + 16));
        a2 = vmladavaq_s8(a2, v, vldrbq_s8(p1));
        a3 = vmladavaq_s8(a3, v, vldrbq_s8(p1 + 16));
        x += 16;
        p0 += 32;
        p1 += 32;
    }
    const int32_t rest = depth % EENN_PAIR_CHUNK_S8;
    if (rest > 0) {
        const mve_pred16_t p = vctp8q((uint32_t)rest);
        const int8x16_t v = vldrbq_z_s8(x, p);
        a0 = vmladavaq_s8(a0, v, vldrbq_z_s8(p0, p));
        a1 = vmladavaq_s8(a1, v, vldrbq_z_s8(p0 + rest, p));
        a2 = vmladavaq_s8(a2, v, vldrbq_z_s8(p1, p));
        a3 = vmladavaq_s8(a3, v, vldrbq_z_s8(p1 + rest, p));
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#endif

void eenn_fc_s8(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                int32_t rows, int32_t in_features, int32_t out_features, int32_t output_offset,
                const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                int32_t act_min, int32_t act_max)
{
    const int32_t bounded = !EENN_FC_S8_EXACT || eenn_requantize_bounded_ok_s8(bias, output_shift, out_features, in_features);
    const int32_t last = out_features - 1;
    for (int32_t r = 0; r < rows; r++) {
        const int8_t *x = input + r * in_features;
        int8_t *out = output + r * out_features;
        for (int32_t n = 0; n < out_features; n += 4) {
            int32_t acc[4];
            for (int32_t j = 0; j < 4; j++) {
                acc[j] = bias != NULL ? bias[n + j < last ? n + j : last] : 0;
            }
#if defined(EENN_FC_S8_DSP) || defined(EENN_FC_S8_MVE)
            if (n + 3 < out_features && in_features >= EENN_PAIR_CHUNK_S8) {
                const int8_t *p0 = weights + n * in_features;
#if defined(EENN_FC_S8_DSP)
                eenn_fc_dot_pairs_dsp(x, p0, p0 + 2 * in_features, in_features, acc);
#else
                eenn_fc_dot_pairs_mve(x, p0, p0 + 2 * in_features, in_features, acc);
#endif
            } else {
                eenn_dot_paired_1x4_s8(x, weights, out_features, in_features, n, acc);
            }
#else
            eenn_dot_paired_1x4_s8(x, weights, out_features, in_features, n, acc);
#endif
            const int32_t count = out_features - n < 4 ? out_features - n : 4;
#if (defined(EENN_FC_S8_DSP) || defined(EENN_FC_S8_MVE)) && EENN_FC_S8_SATURATE
            if (bounded && act_min == -128 && act_max == 127) {
                /* The usual case: bounded requantization, the clamp a plain saturation to int8. */
                for (int32_t j = 0; j < count; j++) {
                    const int32_t exponent = -output_shift[n + j];
                    const int32_t v = eenn_requantize_bounded_s8(acc[j], output_multiplier[n + j], exponent,
                                                                 1 << (exponent - 1));
                    out[n + j] = (int8_t)__ssat(v + output_offset, 8);
                }
                continue;
            }
#endif
            for (int32_t j = 0; j < count; j++) {
                out[n + j] = eenn_requantize_output_s8(acc[j], output_multiplier[n + j], output_shift[n + j], bounded,
                                                       output_offset, act_min, act_max);
            }
        }
    }
}
