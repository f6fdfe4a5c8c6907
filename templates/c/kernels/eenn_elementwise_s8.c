/*
 * eenn_elementwise_s8.c - int8 Add, Sub and Mul with numpy broadcasting over a 4-D index space.
 *
 * The per-element arithmetic is eenn_fixedpoint.h's (eenn_add_s8, eenn_mul_s8: CMSIS-NN's arm_elementwise_add_s8 /
 * arm_elementwise_mul_s8); the compiler merges dimensions so d3 is the longest run. Each innermost run goes
 * through one of two paths, chosen once per call:
 *   fast   when every value requantized provably stays inside (-2^30, 2^30) (int8 inputs bound the sums: Add
 *          with left_shift <= 20, Mul with output_shift <= 13) and each rounding shift is at most 22: every
 *          eenn_requantize is one rounding high multiply of the doubled value (SMMULR with the DSP extension) and one
 *          shift that rounds half away from zero, the output offset folded into it (see eenn_ew_requantize): the
 *          same bits as eenn_requantize.
 *          MVE: 4 elements per vector, exact vector requantization for any parameters
 *          (VQRDMULH and a rounding shift fixed up for ties away from zero, as CMSIS-NN's MVE path).
 *   exact  eenn_add_s8 / eenn_mul_s8 per element, for any parameters.
 * Each output element is computed from the two input elements at its own index only, so the output may be
 * either input when that input has the output's shape.
 */
#include <string.h>

#include "eenn_nn_support_s8.h"

#if EENN_HAS_MVE
#define EENN_EW_MVE 1
#endif
#if EENN_HAS_DSP
#define EENN_EW_DSP 1
#endif

/* Loops with constant flags are copied into each caller, one copy per flag value. */
#if defined(__GNUC__)
#define EENN_EW_SPECIALIZED __attribute__((always_inline)) inline
#else
#define EENN_EW_SPECIALIZED inline
#endif

/* ------------------------------------------------------------------------------------------------ */
/* Fast requantization                                                                                */
/* ------------------------------------------------------------------------------------------------ */

/*
 * One requantization in fast form: multiplier, left shift + 1, right shift and rounding constant.
 *   eenn_requantize(x, m, s) = divide_by_power_of_two(doubling_high_mult(x << l, m), e)   (l = max(s, 0), e = max(-s, 0))
 *   doubling_high_mult(y, m) = (y m + 2^30) >> 31 = (2 y m + 2^31) >> 32 when |y| < 2^30, and
 *   divide_by_power_of_two(r, e) + offset = (r + 2^(e-1) - (r < 0) + offset 2^e) >> e for e >= 1 (r for e = 0).
 */
typedef struct
{
    int32_t multiplier;
    int32_t doubling_shift; /* l + 1 */
    int32_t right_shift;    /* e, [0, 22] */
    int32_t round;          /* 2^(e-1) + offset 2^e for e >= 1, offset for e = 0 */
} eenn_ew_requant;

/*
 * The fast form of eenn_requantize(x << pre_shift, multiplier, shift) + offset for |x| <= bound; 0 when it does
 * not apply (a value could reach 2^30, or a rounding shift is over 22).
 */
static int eenn_ew_requant_setup(eenn_ew_requant *q, int32_t pre_shift, int32_t multiplier, int32_t shift,
                                 int32_t offset, uint32_t bound)
{
    const int32_t left = pre_shift + (shift > 0 ? shift : 0);
    const int32_t right = shift > 0 ? 0 : -shift;
    if (pre_shift < 0 || left > 29 || right > 22 || ((uint64_t)bound << left) >= ((uint64_t)1 << 30)) {
        return 0;
    }
    q->multiplier = multiplier;
    q->doubling_shift = left + 1;
    q->right_shift = right;
    q->round = right > 0 ? (int32_t)((1u << (right - 1)) + ((uint32_t)offset << right)) : offset;
    return 1;
}

/* eenn_requantize(x, ...) + offset in fast form; `rounds`: right_shift > 0 (constant in each loop copy). */
static inline int32_t eenn_ew_requantize(int32_t x, const eenn_ew_requant *q, int rounds)
{
    const int32_t r = eenn_high_mult_round_s32(x << q->doubling_shift, q->multiplier);
    if (!rounds) {
        return r + q->round;
    }
    /* Arithmetic right shift of a negative value: implementation-defined in C99, arithmetic in gcc and on Arm. */
    return (r + q->round + (r >> 31)) >> q->right_shift;
}

/* ------------------------------------------------------------------------------------------------ */
/* Add and Sub                                                                                        */
/* ------------------------------------------------------------------------------------------------ */

/* The fast form of one Add / Sub call. */
typedef struct
{
    int32_t offset1, offset2; /* input offsets */
    eenn_ew_requant in1, in2, out;
    int32_t act_min, act_max;
} eenn_ew_add_fast;

/* Elements of a fast Add / Sub summed before the output stage (the sums live on the stack). */
#define EENN_EW_CHUNK 64

/* eenn_requantize(x << pre_shift, ...) of an Add input in fast form (no offset: its round is 2^(e-1) or 0). */
static inline int32_t eenn_ew_scale_input(int32_t x, const eenn_ew_requant *q, int rounds)
{
    const int32_t r = eenn_high_mult_round_s32(x << q->doubling_shift, q->multiplier);
    return rounds ? (r + q->round + (r >> 31)) >> q->right_shift : r;
}

/*
 * The scaled sums (or differences) of n element pairs; the flags say which input requantization rounds and
 * whether both inputs advance one element at a time (`unit`: no broadcast in the run).
 */
static EENN_EW_SPECIALIZED void eenn_ew_add_sums(const int8_t *a, int32_t sa, const int8_t *b, int32_t sb,
                                                 int32_t *sums, int32_t n, const eenn_ew_add_fast *f, int subtract,
                                                 int rounds1, int rounds2, int unit)
{
    const int32_t offset1 = f->offset1, offset2 = f->offset2;
    const eenn_ew_requant in1 = f->in1, in2 = f->in2;
    for (int32_t i = 0; i < n; i++) {
        const int32_t a_scaled = eenn_ew_scale_input((int32_t)*a + offset1, &in1, rounds1);
        const int32_t b_scaled = eenn_ew_scale_input((int32_t)*b + offset2, &in2, rounds2);
        sums[i] = subtract ? a_scaled - b_scaled : a_scaled + b_scaled;
        a += unit ? 1 : sa;
        b += unit ? 1 : sb;
    }
}

/* eenn_clamp_s32(v, act_min, act_max) for an int32 v, with only the bounds a saturation to int8 leaves. */
static inline int32_t eenn_ew_clamp(int32_t v, int32_t act_min, int32_t act_max, int clamp_low, int clamp_high)
{
#if defined(EENN_EW_DSP)
    v = __ssat(v, 8);
#else
    v = eenn_clamp_s8(v);
#endif
    if (clamp_low) {
        v = v > act_min ? v : act_min;
    }
    if (clamp_high) {
        v = v < act_max ? v : act_max;
    }
    return v;
}

/* The output stage of n sums in fast form, clamped (flags: see eenn_ew_clamp, rounding: right_shift > 0). */
static EENN_EW_SPECIALIZED void eenn_ew_output_fast(const int32_t *sums, int8_t *out, int32_t n,
                                                    const eenn_ew_requant *q, int32_t act_min, int32_t act_max,
                                                    int rounds, int clamp_low, int clamp_high)
{
    const eenn_ew_requant local = *q;
    for (int32_t i = 0; i < n; i++) {
        out[i] = (int8_t)eenn_ew_clamp(eenn_ew_requantize(sums[i], &local, rounds), act_min, act_max, clamp_low,
                                       clamp_high);
    }
}

/* eenn_ew_output_fast with its flags resolved. */
static void eenn_ew_output(const int32_t *sums, int8_t *out, int32_t n, const eenn_ew_requant *q, int32_t act_min,
                           int32_t act_max)
{
    if (q->right_shift > 0 && act_min == -128 && act_max == 127) {
        eenn_ew_output_fast(sums, out, n, q, act_min, act_max, 1, 0, 0);
    } else if (q->right_shift > 0 && act_max == 127) {
        eenn_ew_output_fast(sums, out, n, q, act_min, act_max, 1, 1, 0); /* a fused Relu */
    } else {
        eenn_ew_output_fast(sums, out, n, q, act_min, act_max, q->right_shift > 0, 1, 1);
    }
}

/* n elements of a fast Add / Sub, EENN_EW_CHUNK at a time: the scaled sums, then the output stage. */
static void eenn_ew_add_run(const int8_t *a, int32_t sa, const int8_t *b, int32_t sb, int8_t *out, int32_t n,
                            const eenn_ew_add_fast *f, int subtract)
{
    int32_t sums[EENN_EW_CHUNK];
    const int rounds1 = f->in1.right_shift > 0, rounds2 = f->in2.right_shift > 0;
    const int unit = sa == 1 && sb == 1;
    for (int32_t done = 0; done < n; done += EENN_EW_CHUNK) {
        const int32_t count = n - done < EENN_EW_CHUNK ? n - done : EENN_EW_CHUNK;
        /* One input has the larger scale: its multiplier is 1/2, shift 0 (no rounding). */
        if (unit && !subtract && !rounds1 && rounds2) {
            eenn_ew_add_sums(a, 1, b, 1, sums, count, f, 0, 0, 1, 1);
        } else if (unit && !subtract && rounds1 && !rounds2) {
            eenn_ew_add_sums(a, 1, b, 1, sums, count, f, 0, 1, 0, 1);
        } else {
            eenn_ew_add_sums(a, sa, b, sb, sums, count, f, subtract, rounds1, rounds2, 0);
        }
        eenn_ew_output(sums, out, count, &f->out, f->act_min, f->act_max);
        a += count * sa;
        b += count * sb;
        out += count;
    }
}

#if defined(EENN_EW_MVE)
/* eenn_requantize of 4 lanes (CMSIS-NN arm_requantize_mve): exact for any value, multiplier >= 0. */
static inline int32x4_t eenn_ew_requantize_mve(int32x4_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32x4_t neg_right = vdupq_n_s32(shift > 0 ? 0 : shift);
    x = vqrdmulhq_n_s32(vshlq_r_s32(x, left), multiplier);
    const int32x4_t fixup = vshrq_n_s32(vandq_s32(x, neg_right), 31);
    return vrshlq_s32(vqaddq_s32(x, fixup), neg_right);
}

/* n elements of an Add / Sub with unit strides, 4 lanes at a time (eenn_add_s8 in vectors). */
static void eenn_ew_add_run_mve(const int8_t *a, const int8_t *b, int8_t *out, int32_t n,
                                const eenn_add_params_s8 *p, int subtract)
{
    const int32x4_t lo = vdupq_n_s32(p->act_min);
    const int32x4_t hi = vdupq_n_s32(p->act_max);
    for (int32_t i = 0; i < n; i += 4) {
        const mve_pred16_t tail = vctp32q((uint32_t)(n - i));
        int32x4_t va = vaddq_n_s32(vldrbq_z_s32(a + i, tail), p->input1_offset);
        int32x4_t vb = vaddq_n_s32(vldrbq_z_s32(b + i, tail), p->input2_offset);
        va = eenn_ew_requantize_mve(vshlq_r_s32(va, p->left_shift), p->input1_multiplier, p->input1_shift);
        vb = eenn_ew_requantize_mve(vshlq_r_s32(vb, p->left_shift), p->input2_multiplier, p->input2_shift);
        int32x4_t sum = subtract ? vsubq_s32(va, vb) : vaddq_s32(va, vb);
        sum = vaddq_n_s32(eenn_ew_requantize_mve(sum, p->output_multiplier, p->output_shift), p->output_offset);
        vstrbq_p_s32(out + i, vminq_s32(vmaxq_s32(sum, lo), hi), tail);
    }
}
#endif

/* One element of an int8 Sub: eenn_add_s8 with the scaled second input subtracted (wrapping). */
static inline int8_t eenn_sub_element_s8(int8_t a, int8_t b, const eenn_add_params_s8 *params)
{
    const int32_t a_shifted = (int32_t)((uint32_t)((int32_t)a + params->input1_offset) << params->left_shift);
    const int32_t b_shifted = (int32_t)((uint32_t)((int32_t)b + params->input2_offset) << params->left_shift);
    const int32_t a_scaled = eenn_requantize(a_shifted, params->input1_multiplier, params->input1_shift);
    const int32_t b_scaled = eenn_requantize(b_shifted, params->input2_multiplier, params->input2_shift);
    const int32_t difference = (int32_t)((uint32_t)a_scaled - (uint32_t)b_scaled);
    return eenn_requantize_s8(difference, params->output_multiplier, params->output_shift, params->output_offset,
                              params->act_min, params->act_max);
}

/* The loops over the broadcast index space, shared by add and sub. */
static void eenn_add_sub_s8(EENN_BINARY_PARAMS_S8, const eenn_add_params_s8 *params, int32_t subtract)
{
    /* The fast form: |x + offset| <= 255 for each input; each scaled input is at most 255 << left_shift (the
       input multipliers are below 1, their shifts <= 0), the sum twice that. */
    eenn_ew_add_fast f;
    memset(&f, 0, sizeof f);
    const int fast = params->left_shift >= 0 && params->left_shift <= 21 &&
                     eenn_ew_requant_setup(&f.in1, params->left_shift, params->input1_multiplier,
                                           params->input1_shift, 0, 255u) &&
                     eenn_ew_requant_setup(&f.in2, params->left_shift, params->input2_multiplier,
                                           params->input2_shift, 0, 255u) &&
                     params->input1_shift <= 0 && params->input2_shift <= 0 &&
                     eenn_ew_requant_setup(&f.out, 0, params->output_multiplier, params->output_shift,
                                           params->output_offset, 510u << params->left_shift);
    f.offset1 = params->input1_offset;
    f.offset2 = params->input2_offset;
    f.act_min = params->act_min;
    f.act_max = params->act_max;
    for (int32_t i0 = 0; i0 < d0; i0++) {
        for (int32_t i1 = 0; i1 < d1; i1++) {
            for (int32_t i2 = 0; i2 < d2; i2++) {
                const int8_t *pa = a + i0 * a_s0 + i1 * a_s1 + i2 * a_s2;
                const int8_t *pb = b + i0 * b_s0 + i1 * b_s1 + i2 * b_s2;
#if defined(EENN_EW_MVE)
                if (a_s3 == 1 && b_s3 == 1) {
                    eenn_ew_add_run_mve(pa, pb, output, d3, params, subtract);
                    output += d3;
                    continue;
                }
#endif
                if (fast) {
                    eenn_ew_add_run(pa, a_s3, pb, b_s3, output, d3, &f, subtract);
                    output += d3;
                    continue;
                }
                for (int32_t i3 = 0; i3 < d3; i3++) {
                    const int8_t va = pa[i3 * a_s3];
                    const int8_t vb = pb[i3 * b_s3];
                    *output++ = subtract ? eenn_sub_element_s8(va, vb, params) : eenn_add_s8(va, vb, params);
                }
            }
        }
    }
}

void eenn_elementwise_add_s8(EENN_BINARY_PARAMS_S8, int32_t input1_offset, int32_t input1_multiplier,
                             int32_t input1_shift, int32_t input2_offset, int32_t input2_multiplier,
                             int32_t input2_shift, int32_t left_shift, int32_t output_offset,
                             int32_t output_multiplier, int32_t output_shift, int32_t act_min, int32_t act_max)
{
    const eenn_add_params_s8 params = {
        input1_offset,
        input1_multiplier,
        input1_shift,
        input2_offset,
        input2_multiplier,
        input2_shift,
        left_shift,
        output_offset,
        output_multiplier,
        output_shift,
        act_min,
        act_max,
    };
    eenn_add_sub_s8(a, b, output, d0, d1, d2, d3, a_s0, a_s1, a_s2, a_s3, b_s0, b_s1, b_s2, b_s3, &params, 0);
}

void eenn_elementwise_sub_s8(EENN_BINARY_PARAMS_S8, int32_t input1_offset, int32_t input1_multiplier,
                             int32_t input1_shift, int32_t input2_offset, int32_t input2_multiplier,
                             int32_t input2_shift, int32_t left_shift, int32_t output_offset,
                             int32_t output_multiplier, int32_t output_shift, int32_t act_min, int32_t act_max)
{
    const eenn_add_params_s8 params = {
        input1_offset,
        input1_multiplier,
        input1_shift,
        input2_offset,
        input2_multiplier,
        input2_shift,
        left_shift,
        output_offset,
        output_multiplier,
        output_shift,
        act_min,
        act_max,
    };
    eenn_add_sub_s8(a, b, output, d0, d1, d2, d3, a_s0, a_s1, a_s2, a_s3, b_s0, b_s1, b_s2, b_s3, &params, 1);
}

/* ------------------------------------------------------------------------------------------------ */
/* Mul                                                                                                */
/* ------------------------------------------------------------------------------------------------ */

/* The products (a + o1)(b + o2) of n element pairs, |product| <= 255 * 255 (`unit`: no broadcast in the run). */
static EENN_EW_SPECIALIZED void eenn_ew_mul_products(const int8_t *a, int32_t sa, const int8_t *b, int32_t sb,
                                                     int32_t *products, int32_t n, int32_t offset1, int32_t offset2,
                                                     int unit)
{
    for (int32_t i = 0; i < n; i++) {
        products[i] = ((int32_t)*a + offset1) * ((int32_t)*b + offset2);
        a += unit ? 1 : sa;
        b += unit ? 1 : sb;
    }
}

/* n elements of a fast Mul, EENN_EW_CHUNK at a time: the products, then the output stage. */
static void eenn_ew_mul_run(const int8_t *a, int32_t sa, const int8_t *b, int32_t sb, int8_t *out, int32_t n,
                            const eenn_mul_params_s8 *p, const eenn_ew_requant *q)
{
    int32_t products[EENN_EW_CHUNK];
    for (int32_t done = 0; done < n; done += EENN_EW_CHUNK) {
        const int32_t count = n - done < EENN_EW_CHUNK ? n - done : EENN_EW_CHUNK;
        if (sa == 1 && sb == 1) {
            eenn_ew_mul_products(a, 1, b, 1, products, count, p->input1_offset, p->input2_offset, 1);
        } else {
            eenn_ew_mul_products(a, sa, b, sb, products, count, p->input1_offset, p->input2_offset, 0);
        }
        eenn_ew_output(products, out, count, q, p->act_min, p->act_max);
        a += count * sa;
        b += count * sb;
        out += count;
    }
}

void eenn_elementwise_mul_s8(EENN_BINARY_PARAMS_S8, int32_t input1_offset, int32_t input2_offset,
                             int32_t output_offset, int32_t output_multiplier, int32_t output_shift,
                             int32_t act_min, int32_t act_max)
{
    const eenn_mul_params_s8 params = {
        input1_offset,
        input2_offset,
        output_offset,
        output_multiplier,
        output_shift,
        act_min,
        act_max,
    };
    eenn_ew_requant q = { 0, 0, 0, 0 };
    const int fast = eenn_ew_requant_setup(&q, 0, output_multiplier, output_shift, output_offset, 255u * 255u);
    for (int32_t i0 = 0; i0 < d0; i0++) {
        for (int32_t i1 = 0; i1 < d1; i1++) {
            for (int32_t i2 = 0; i2 < d2; i2++) {
                const int8_t *pa = a + i0 * a_s0 + i1 * a_s1 + i2 * a_s2;
                const int8_t *pb = b + i0 * b_s0 + i1 * b_s1 + i2 * b_s2;
                if (fast) {
                    eenn_ew_mul_run(pa, a_s3, pb, b_s3, output, d3, &params, &q);
                    output += d3;
                    continue;
                }
                for (int32_t i3 = 0; i3 < d3; i3++) {
                    *output++ = eenn_mul_s8(pa[i3 * a_s3], pb[i3 * b_s3], &params);
                }
            }
        }
    }
}
