/*
 * eenn_depthwise_s8.c - int8 depthwise convolution (NCHW), any kernel, stride, dilation and channel multiplier.
 *
 * In NCHW a depthwise layer is a plane filter: output channel m reads input plane m / multiplier only, with
 * the kernel_h x kernel_w weights of channel m. The kernel works through a band of EENN_DEPTHWISE_S8_BAND output
 * rows at a time: it copies the input rows the band reads into `scratch` as padded rows (the padding holds the
 * input zero point; rows shared with the next band move down instead of being copied again) and runs one band
 * routine over them. The compiler folded the zero point into the bias (bias' = B - zero_point * sum(w)), so an
 * output is bias' plus the raw int8 inputs times the weights: a padded tap holding the zero point adds
 * zero_point * w, which cancels its share of the folded term, as the int8 dialect says (a padded tap adds
 * nothing). No tap is ever tested for the border.
 *
 * Band routines, by target (instructions per MAC on the 3x3 16x16x32 pad-1 reference layer, whole kernel):
 *   MVE                3x3, stride_w 1, fast channel (below) with a multiplier >= 0: assembly, 16 output pixels
 *                      a pass in 4 int32 vectors, each weight a VMLA scalar, the rest of a row in a
 *                      tail-predicated low-overhead loop; the output stage in 4 vector operations (1.37).
 *                      3x3 at stride_w > 1, fast channel: the same loop with one gather (VLDRB.S32 at lane
 *                      offsets) a tap. Any other window or channel: 4 output pixels per vector, gathers for
 *                      strides, exact requantization in vectors (VQRDMULH and a rounding shift fixed up for ties
 *                      away from zero, as CMSIS-NN's MVE path).
 *   DSP                3x3 (dilation_w 1), fast channel: each 4-byte load of a padded row gives two pairs of 16-bit
 *                      inputs (SXTB16) and the weights are SMLAD pairs, doubled so the sums are the 2 acc the
 *                      requantization takes. Stride 1: one assembly loop sums and requantizes 2 output pixels per
 *                      load and row (SMMLAR with the rounding offset, SSAT), 2, 4 or 8 pixels a pass by the row
 *                      width, 17.3 instructions a pixel (2.39); any other stride sums EENN_DW_CHUNK pixels, then
 *                      requantizes them. Other windows: the portable loop.
 *   portable           the 9 taps of a 3x3 window unrolled (Armv6-M: the high multiply in 3 MULS where a channel's
 *                      accumulators stay below 2^19, 11.1), and a plain loop for any other window.
 * Requantization: where a channel's accumulators provably stay inside (-2^30, 2^30), its shift is in [-22, -1]
 * and its multiplier >= 0 (nearly always: a "fast" channel), the routines use one rounding high multiply and
 * one shift with the output offset folded in: the same bits as eenn_requantize_s8 (see
 * eenn_dw_requantize_fast). Other channels go through eenn_requantize_s8.
 * Row copies: Armv7E-M and Armv8.1-M copy 16 bytes a pass (unaligned words), others words or bytes.
 *
 * Output may be the input (in place) when multiplier == 1, stride 1 and out_h == in_h, out_w == in_w: output
 * rows are written only after every input row up to them has been copied into the scratch.
 */
#include <string.h>

#include "eenn_nn_support_s8.h"

/* The band routines: Helium where present, else the DSP extension, else portable C. */
#if EENN_HAS_MVE
#define EENN_DW_MVE 1
#elif EENN_HAS_DSP
#define EENN_DW_DSP 1
#endif

/* Band routines keep their own registers: inlined into the channel loop, their inner loops would spill. */
#if defined(__GNUC__)
#define EENN_DW_NOINLINE __attribute__((noinline))
#else
#define EENN_DW_NOINLINE
#endif
/* A function whose assembly takes nearly every register: kept out of interprocedural optimisation (what gcc
   learns about its arguments from its one caller left the register allocator no way to place the operands). */
#if defined(__GNUC__) && !defined(__clang__)
#define EENN_DW_NOCLONE __attribute__((noipa))
#else
#define EENN_DW_NOCLONE
#endif
/* The assembly loops that take nearly every register build only where gcc optimizes (at -O0 it keeps r7 for the
   frame pointer); unoptimized builds run the C routines beside them. */
#if defined(__OPTIMIZE__)
#define EENN_DW_ASM 1
#else
#define EENN_DW_ASM 0
#endif
/* The DSP routines of 3x3 windows at stride_w > 1 (EENN_DEPTHWISE_S8_3X3_STRIDED; in builds not optimized they
   take stride 1 too). Switched off, such layers take eenn_dw_band_general. */
#if defined(EENN_DW_DSP) && (EENN_DEPTHWISE_S8_3X3_STRIDED || !EENN_DW_ASM)
#define EENN_DW_DSP_STRIDED 1
#endif
/* The row copies stay inline word loops: gcc would otherwise call memset/memmove, byte loops in newlib-nano. */
#if defined(__GNUC__) && !defined(__clang__)
#define EENN_DW_PLAIN_LOOPS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define EENN_DW_PLAIN_LOOPS
#endif

/* Everything the output stage of one output channel needs, computed once per channel. */
typedef struct
{
    int32_t bias;          /* the folded bias of the channel */
    int32_t multiplier;    /* Q31 requantization multiplier */
    int32_t shift;         /* its shift, [-31, 30] */
    int32_t fast;          /* 1 when eenn_dw_requantize_fast is exact for every accumulator of the channel */
    int32_t right_shift;   /* -shift (fast channels: [1, 22]) */
    int32_t round_offset;  /* 2^(right_shift - 1) + (output_offset << right_shift) (fast channels) */
    int32_t output_offset; /* zero point of the output */
    int32_t act_min;
    int32_t act_max;
#if EENN_ARMV6M
    int32_t small;                /* 1 when fast and |acc| < 2^19: eenn_dw_high_mult_small is exact */
    int32_t m_high, m_mid, m_low; /* multiplier = m_high 2^20 + m_mid 2^10 + m_low (small channels) */
#endif
} eenn_dw_channel_s8;

/* Where a band routine finds the window of each output pixel in the scratch rows. */
typedef struct
{
    int32_t row_bytes; /* bytes from one padded row to the next */
    int32_t tap_step;  /* dilation_h * row_bytes: from one kernel row to the next */
    int32_t out_step;  /* stride_h * row_bytes: from one output row's window to the next */
    int32_t kernel_h;
    int32_t kernel_w;
    int32_t stride_w;
    int32_t dilation_w;
} eenn_dw_geometry_s8;

/* ------------------------------------------------------------------------------------------------ */
/* Requantization                                                                                     */
/* ------------------------------------------------------------------------------------------------ */

/*
 * eenn_requantize_s8 for a channel with `fast` set (|acc| < 2^30, shift in [-22, -1]), given 2 acc:
 *   eenn_doubling_high_mult_no_sat(acc, m) = (acc * m + 2^30) >> 31 = (2 acc * m + 2^31) >> 32, |r| <= |acc|.
 *   eenn_divide_by_power_of_two(r, e) rounds half away from zero: (r + 2^(e-1) - (r < 0)) >> e for e >= 1, and
 *   adding output_offset * 2^e before the shift adds output_offset after it; with e <= 22 the sum stays inside
 *   int32 (|r| + 2^21 + 128 * 2^22 < 2^31).
 */
static inline int32_t eenn_dw_requantize_fast_s32(int32_t acc2, const eenn_dw_channel_s8 *ch)
{
    const int32_t r = eenn_high_mult_round_s32(acc2, ch->multiplier);
    /* Arithmetic right shift of a negative value: implementation-defined in C99, arithmetic in gcc and on Arm. */
    return (r + ch->round_offset + (r >> 31)) >> ch->right_shift;
}

/* eenn_requantize_s8 of acc for a fast channel. */
static inline int8_t eenn_dw_requantize_fast(int32_t acc, const eenn_dw_channel_s8 *ch)
{
    return (int8_t)eenn_clamp_s32(eenn_dw_requantize_fast_s32(2 * acc, ch), ch->act_min, ch->act_max);
}

/* The output stage of any channel: the fast form where it is exact, else eenn_requantize_s8. */
static inline int8_t eenn_dw_requantize(int32_t acc, const eenn_dw_channel_s8 *ch)
{
    if (ch->fast) {
        return eenn_dw_requantize_fast(acc, ch);
    }
    return eenn_requantize_s8(acc, ch->multiplier, ch->shift, ch->output_offset, ch->act_min, ch->act_max);
}

/* ------------------------------------------------------------------------------------------------ */
/* Padded rows                                                                                        */
/* ------------------------------------------------------------------------------------------------ */

/* dst[0, n) = value. */
static EENN_DW_PLAIN_LOOPS void eenn_dw_fill(int8_t *dst, int32_t n, int8_t value)
{
#if EENN_HAS_UNALIGNED
    const uint32_t word = (uint32_t)(uint8_t)value * 0x01010101u;
    for (; n >= 4; n -= 4) {
        memcpy(dst, &word, 4);
        dst += 4;
    }
#endif
    for (; n > 0; n--) {
        *dst++ = value;
    }
}

/*
 * dst[0, n) = src[0, n), copied forward: dst may overlap src when dst < src (rows moving down in the scratch),
 * each block being read before it is written. Armv7E-M and Armv8.1-M load and store unaligned words: 16 bytes a
 * pass in assembly (4 LDR, 4 STR; the compiler's loops take more), then words, then bytes.
 */
static inline EENN_DW_PLAIN_LOOPS void eenn_dw_copy(int8_t *dst, const int8_t *src, int32_t n)
{
#if EENN_HAS_DSP || EENN_HAS_MVE
    uint32_t w0, w1, w2, w3;
    /* clang-format off */
    __asm__ volatile("subs     %[n], %[n], #16\n\t"
                     "blt      2f\n"
                     "1:\n\t"
                     "ldr      %[w0], [%[src]], #4\n\t"
                     "ldr      %[w1], [%[src]], #4\n\t"
                     "ldr      %[w2], [%[src]], #4\n\t"
                     "ldr      %[w3], [%[src]], #4\n\t"
                     "str      %[w0], [%[dst]], #4\n\t"
                     "str      %[w1], [%[dst]], #4\n\t"
                     "str      %[w2], [%[dst]], #4\n\t"
                     "str      %[w3], [%[dst]], #4\n\t"
                     "subs     %[n], %[n], #16\n\t"
                     "bge      1b\n"
                     "2:\n\t"
                     "adds     %[n], %[n], #12\n\t"
                     "blt      4f\n"
                     "3:\n\t"
                     "ldr      %[w0], [%[src]], #4\n\t"
                     "str      %[w0], [%[dst]], #4\n\t"
                     "subs     %[n], %[n], #4\n\t"
                     "bge      3b\n"
                     "4:\n\t"
                     "adds     %[n], %[n], #4\n\t"
                     "beq      6f\n"
                     "5:\n\t"
                     "ldrb     %[w0], [%[src]], #1\n\t"
                     "strb     %[w0], [%[dst]], #1\n\t"
                     "subs     %[n], %[n], #1\n\t"
                     "bne      5b\n"
                     "6:\n\t"
                     : [src] "+r"(src), [dst] "+r"(dst), [n] "+r"(n), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2),
                       [w3] "=&r"(w3)
                     :
                     : "cc", "memory");
    /* clang-format on */
#else
#if EENN_HAS_UNALIGNED
    const int8_t *const end = src + (n & ~3);
    while (src != end) {
        uint32_t word;
        memcpy(&word, src, 4);
        memcpy(dst, &word, 4);
        src += 4;
        dst += 4;
    }
    n &= 3;
#endif
    for (; n > 0; n--) {
        *dst++ = *src++;
    }
#endif
}

/*
 * Padded rows [r, end) of the scratch (rows row_bytes apart, input columns from `lead` on): padded row r holds
 * input row iy = r - row_offset of the plane, or `pad` where iy is outside [0, in_h). One call a band: the
 * row loop and its word copies stay in registers.
 */
static EENN_DW_PLAIN_LOOPS void eenn_dw_load_rows(int8_t *scratch, int32_t row_bytes, int32_t lead, int32_t count,
                                                  const int8_t *plane, int32_t in_w, int32_t in_h, int32_t r,
                                                  int32_t end, int32_t row_offset, int8_t pad)
{
    int8_t *dst = scratch + r * row_bytes + lead;
    /* Rows above the input, rows of the input, rows below it. */
    for (; r < end && r < row_offset; r++) {
        eenn_dw_fill(dst, count, pad);
        dst += row_bytes;
    }
    const int32_t input_end = in_h + row_offset < end ? in_h + row_offset : end;
    const int8_t *src = plane + (r - row_offset) * in_w;
    for (; r < input_end; r++) {
        eenn_dw_copy(dst, src, count);
        src += in_w;
        dst += row_bytes;
    }
    for (; r < end; r++) {
        eenn_dw_fill(dst, count, pad);
        dst += row_bytes;
    }
}

/* ------------------------------------------------------------------------------------------------ */
/* Band routines: `rows` output rows of one channel from the padded rows at `window`                 */
/* ------------------------------------------------------------------------------------------------ */

#if defined(EENN_DW_MVE)

/* Any window, 4 output pixels per vector; exact requantization (CMSIS-NN arm_requantize_mve). */
static EENN_DW_NOINLINE void eenn_dw_band_mve(const int8_t *window, const eenn_dw_geometry_s8 *g,
                                              const int8_t *EENN_RESTRICT w, int8_t *out, int32_t out_w, int32_t rows,
                                              const eenn_dw_channel_s8 *ch)
{
    const uint32x4_t lanes = vmulq_n_u32(vidupq_n_u32(0u, 1), (uint32_t)g->stride_w);
    const int32_t left_shift = ch->shift > 0 ? ch->shift : 0;
    const int32_t right_shift = ch->shift > 0 ? 0 : -ch->shift;
    const int32x4_t neg_right = vdupq_n_s32(-right_shift);
    const int32x4_t lo = vdupq_n_s32(ch->act_min);
    const int32x4_t hi = vdupq_n_s32(ch->act_max);
    const int is_3x3 = g->kernel_h == 3 && g->kernel_w == 3 && g->stride_w == 1 && g->dilation_w == 1;
    for (int32_t row = 0; row < rows; row++) {
        const int8_t *r0 = window;
        const int8_t *r1 = r0 + g->tap_step;
        const int8_t *r2 = r1 + g->tap_step;
        for (int32_t ox = 0; ox < out_w; ox += 4) {
            const mve_pred16_t tail = vctp32q((uint32_t)(out_w - ox));
            int32x4_t acc = vdupq_n_s32(ch->bias);
            if (is_3x3) {
                acc = vmlaq_n_s32(acc, vldrbq_s32(r0 + ox), w[0]);
                acc = vmlaq_n_s32(acc, vldrbq_s32(r0 + ox + 1), w[1]);
                acc = vmlaq_n_s32(acc, vldrbq_s32(r0 + ox + 2), w[2]);
                acc = vmlaq_n_s32(acc, vldrbq_s32(r1 + ox), w[3]);
                acc = vmlaq_n_s32(acc, vldrbq_s32(r1 + ox + 1), w[4]);
                acc = vmlaq_n_s32(acc, vldrbq_s32(r1 + ox + 2), w[5]);
                acc = vmlaq_n_s32(acc, vldrbq_s32(r2 + ox), w[6]);
                acc = vmlaq_n_s32(acc, vldrbq_s32(r2 + ox + 1), w[7]);
                acc = vmlaq_n_s32(acc, vldrbq_s32(r2 + ox + 2), w[8]);
            } else {
                const int8_t *tap_row = window + ox * g->stride_w;
                const int8_t *wr = w;
                for (int32_t ky = 0; ky < g->kernel_h; ky++) {
                    for (int32_t kx = 0; kx < g->kernel_w; kx++) {
                        acc = vmlaq_n_s32(acc, vldrbq_gather_offset_s32(tap_row + kx * g->dilation_w, lanes), wr[kx]);
                    }
                    tap_row += g->tap_step;
                    wr += g->kernel_w;
                }
            }
            /* eenn_requantize: wrapping left shift, doubling high multiply, rounding divide (ties away from 0). */
            acc = vqrdmulhq_n_s32(vshlq_r_s32(acc, left_shift), ch->multiplier);
            const int32x4_t fixup = vshrq_n_s32(vandq_s32(acc, neg_right), 31);
            acc = vrshlq_s32(vqaddq_s32(acc, fixup), neg_right);
            acc = vminq_s32(vmaxq_s32(vaddq_n_s32(acc, ch->output_offset), lo), hi);
            vstrbq_p_s32(out + ox, acc, tail);
        }
        window += g->out_step;
        out += out_w;
    }
}

#if EENN_DW_ASM
/* Pixels of one full pass of eenn_dw_band_3x3_mve: 4 vectors of 4 int32 lanes. */
#define EENN_DW_MVE_PASS 16

/* The output stage of a fast channel (multiplier >= 0) of the accumulator q`n` into q4 (see eenn_dw_band_3x3_mve). */
#define EENN_DW_MVE_REQUANTIZE(n)                 \
    "vshr.s32     q4, q" #n ", #31\n\t"           \
    "vqrdmlah.s32 q4, q" #n ", %[multiplier]\n\t" \
    "vrshl.s32    q4, %[neg_shift]\n\t"           \
    "vadd.i32     q4, q4, %[output_offset]\n\t"   \
    "vmax.s32     q4, q4, %q[lo]\n\t"             \
    "vmin.s32     q4, q4, %q[hi]\n\t"

/* One tap of a full pass: weight `t` (of 9) times the 4 vectors at row + kx, into q0-q3. */
#define EENN_DW_MVE_TAP16(row, t, kx)                   \
    "ldrsb.w      %[weight], [%[w], #" #t "]\n\t"       \
    "vldrb.s32    q4, [%[" #row "], #" #kx "]\n\t"      \
    "vmla.s32     q0, q4, %[weight]\n\t"                \
    "vldrb.s32    q4, [%[" #row "], #" #kx " + 4]\n\t"  \
    "vmla.s32     q1, q4, %[weight]\n\t"                \
    "vldrb.s32    q4, [%[" #row "], #" #kx " + 8]\n\t"  \
    "vmla.s32     q2, q4, %[weight]\n\t"                \
    "vldrb.s32    q4, [%[" #row "], #" #kx " + 12]\n\t" \
    "vmla.s32     q3, q4, %[weight]\n\t"

/* EENN_DW_MVE_REQUANTIZE with the shift and the output offset in vectors (fewer general registers). */
#define EENN_DW_MVE_REQUANTIZE_Q(n)               \
    "vshr.s32     q4, q" #n ", #31\n\t"           \
    "vqrdmlah.s32 q4, q" #n ", %[multiplier]\n\t" \
    "vrshl.s32    q4, q4, %q[neg_shift]\n\t"      \
    "vadd.i32     q4, q4, %q[output_offset]\n\t"  \
    "vmax.s32     q4, q4, %q[lo]\n\t"             \
    "vmin.s32     q4, q4, %q[hi]\n\t"

/* One tap of the tail loop: weight `t` times the vector at row + kx, into q0. */
#define EENN_DW_MVE_TAP4(row, t, kx)               \
    "ldrsb.w      %[weight], [%[w], #" #t "]\n\t"  \
    "vldrb.s32    q4, [%[" #row "], #" #kx "]\n\t" \
    "vmla.s32     q0, q4, %[weight]\n\t"

/* One tap of the strided loop: weight `t` times the gathered vector at row + lanes * stride_w + kx, into q0. */
#define EENN_DW_MVE_TAP_GATHER(row, t, kx)                   \
    "ldrsb.w      %[weight], [%[w], #" #t "]\n\t"            \
    "vldrb.s32    q4, [%[" #row "], %q[offsets" #kx "]]\n\t" \
    "vmla.s32     q0, q4, %[weight]\n\t"

/*
 * 3x3 windows at stride_w > 1 (dilation_w 1) of a fast channel with a multiplier >= 0: as the tail loop of
 * eenn_dw_band_3x3_mve, 4 output pixels a vector, each tap one gather (VLDRB.S32 with the offsets
 * lane * stride_w + kx) and one VMLA (9.5 instructions a pixel).
 */
EENN_DW_NOINLINE EENN_DW_NOCLONE static void
eenn_dw_band_3x3_strided_mve(const int8_t *window, const eenn_dw_geometry_s8 *g, const int8_t *EENN_RESTRICT w,
                             int8_t *out, int32_t out_w, int32_t rows, const eenn_dw_channel_s8 *ch)
{
    const int32_t bias = ch->bias;
    const int32x4_t lo = vdupq_n_s32(ch->act_min);
    const int32x4_t hi = vdupq_n_s32(ch->act_max);
    const int32_t multiplier = ch->multiplier;
    const int32_t neg_shift = -ch->right_shift;
    const int32_t output_offset = ch->output_offset;
    const int32_t tap_step = g->tap_step;
    const int32_t vector_step = 4 * g->stride_w;
    const uint32x4_t offsets0 = vmulq_n_u32(vidupq_n_u32(0u, 1), (uint32_t)g->stride_w);
    const uint32x4_t offsets1 = vaddq_n_u32(offsets0, 1u);
    const uint32x4_t offsets2 = vaddq_n_u32(offsets0, 2u);
    for (int32_t row = 0; row < rows; row++) {
        const int8_t *r0 = window;
        const int8_t *r1; /* kernel rows 1 and 2 of the window at r0 */
        int8_t *o = out;
        int32_t weight;
        int32_t left = out_w;
        /* clang-format off */
        __asm__ volatile(
            "dlstp.32     lr, %[left]\n"
            "1:\n\t"
            "vdup.32      q0, %[bias]\n\t"
            EENN_DW_MVE_TAP_GATHER(r0, 0, 0) EENN_DW_MVE_TAP_GATHER(r0, 1, 1) EENN_DW_MVE_TAP_GATHER(r0, 2, 2)
            "add          %[r1], %[r0], %[tap_step]\n\t"
            EENN_DW_MVE_TAP_GATHER(r1, 3, 0) EENN_DW_MVE_TAP_GATHER(r1, 4, 1) EENN_DW_MVE_TAP_GATHER(r1, 5, 2)
            "add          %[r1], %[r1], %[tap_step]\n\t"
            EENN_DW_MVE_TAP_GATHER(r1, 6, 0) EENN_DW_MVE_TAP_GATHER(r1, 7, 1) EENN_DW_MVE_TAP_GATHER(r1, 8, 2)
            EENN_DW_MVE_REQUANTIZE(0)
            "vstrb.32     q4, [%[o]], #4\n\t"
            "add          %[r0], %[r0], %[vector_step]\n\t"
            "letp         lr, 1b\n\t"
            : [r0] "+l"(r0), [o] "+l"(o), [r1] "=&l"(r1), [weight] "=&r"(weight), [left] "+r"(left)
            : [w] "r"(w), [tap_step] "r"(tap_step), [vector_step] "r"(vector_step), [multiplier] "r"(multiplier),
              [neg_shift] "r"(neg_shift), [output_offset] "r"(output_offset), [bias] "r"(bias), [lo] "w"(lo),
              [hi] "w"(hi), [offsets0] "w"(offsets0), [offsets1] "w"(offsets1), [offsets2] "w"(offsets2)
            : "q0", "q4", "lr", "memory");
        /* clang-format on */
        window += g->out_step;
        out += out_w;
    }
}

/*
 * 3x3 windows, stride_w 1, dilation_w 1, of a fast channel with a multiplier >= 0, in assembly (the compiler
 * spills the 9 weights and the row pointers of the intrinsics). A full pass sums 16 output pixels of a row in
 * q0-q3, each weight one scalar for 4 VLDRB.S32 and 4 VMLA; the rest of the row goes 4 pixels a vector in a
 * tail-predicated low-overhead loop (DLSTP/LETP), which also covers a width that is not a multiple of 4. The
 * output stage takes 4 vector operations: with m >= 0 the sign of eenn_high_mult_round_s32(2 acc, m) is that
 * of acc (and a result of 0 rounds the same either way), so eenn_dw_requantize_fast_s32 is
 *   VRSHL(VQRDMLAH(acc >> 31, acc, m), -right_shift) + output_offset
 * (VQRDMLAH adds (2 acc m + 2^31) >> 32, VRSHL adds 2^(right_shift - 1) before shifting; nothing saturates:
 * |acc| < 2^30). 7.6 instructions per output pixel in full passes (0.84 per MAC).
 */
EENN_DW_NOINLINE EENN_DW_NOCLONE static void
eenn_dw_band_3x3_mve(const int8_t *window, const eenn_dw_geometry_s8 *g, const int8_t *EENN_RESTRICT w, int8_t *out,
                     int32_t out_w, int32_t rows, const eenn_dw_channel_s8 *ch)
{
    const int32x4_t bias = vdupq_n_s32(ch->bias);
    const int32x4_t lo = vdupq_n_s32(ch->act_min);
    const int32x4_t hi = vdupq_n_s32(ch->act_max);
    const int32_t multiplier = ch->multiplier;
    const int32_t neg_shift = -ch->right_shift;
    const int32_t output_offset = ch->output_offset;
    const int32x4_t neg_shift_q = vdupq_n_s32(neg_shift);
    const int32x4_t output_offset_q = vdupq_n_s32(output_offset);
    const int32_t tap_step = g->tap_step;
    const int32_t passes = out_w / EENN_DW_MVE_PASS;
    const int32_t rest = out_w - passes * EENN_DW_MVE_PASS;
    for (int32_t row = 0; row < rows; row++) {
        const int8_t *r0 = window;
        int8_t *o = out;
        for (int32_t pass = 0; pass < passes; pass++) {
            const int8_t *r1, *r2;
            int32_t weight;
            /* clang-format off */
            __asm__ volatile(
                "add          %[r1], %[r0], %[tap_step]\n\t"
                "add          %[r2], %[r1], %[tap_step]\n\t"
                "vmov         q0, %q[bias]\n\t"
                "vmov         q1, %q[bias]\n\t"
                "vmov         q2, %q[bias]\n\t"
                "vmov         q3, %q[bias]\n\t"
                EENN_DW_MVE_TAP16(r0, 0, 0) EENN_DW_MVE_TAP16(r0, 1, 1) EENN_DW_MVE_TAP16(r0, 2, 2)
                EENN_DW_MVE_TAP16(r1, 3, 0) EENN_DW_MVE_TAP16(r1, 4, 1) EENN_DW_MVE_TAP16(r1, 5, 2)
                EENN_DW_MVE_TAP16(r2, 6, 0) EENN_DW_MVE_TAP16(r2, 7, 1) EENN_DW_MVE_TAP16(r2, 8, 2)
                EENN_DW_MVE_REQUANTIZE(0)
                "vstrb.32     q4, [%[o]]\n\t"
                EENN_DW_MVE_REQUANTIZE(1)
                "vstrb.32     q4, [%[o], #4]\n\t"
                EENN_DW_MVE_REQUANTIZE(2)
                "vstrb.32     q4, [%[o], #8]\n\t"
                EENN_DW_MVE_REQUANTIZE(3)
                "vstrb.32     q4, [%[o], #12]\n\t"
                "add          %[r0], %[r0], #16\n\t"
                "add          %[o], %[o], #16\n\t"
                : [r0] "+l"(r0), [o] "+l"(o), [r1] "=&l"(r1), [r2] "=&l"(r2), [weight] "=&r"(weight)
                : [w] "r"(w), [tap_step] "r"(tap_step), [multiplier] "r"(multiplier), [neg_shift] "r"(neg_shift),
                  [output_offset] "r"(output_offset), [bias] "w"(bias), [lo] "w"(lo), [hi] "w"(hi)
                : "q0", "q1", "q2", "q3", "q4", "memory");
            /* clang-format on */
        }
        if (rest > 0) {
            const int8_t *r1, *r2;
            int32_t weight;
            int32_t left = rest;
            /* clang-format off */
            __asm__ volatile(
                "add          %[r1], %[r0], %[tap_step]\n\t"
                "add          %[r2], %[r1], %[tap_step]\n\t"
                "dlstp.32     lr, %[left]\n"
                "1:\n\t"
                "vmov         q0, %q[bias]\n\t"
                EENN_DW_MVE_TAP4(r0, 0, 0) EENN_DW_MVE_TAP4(r0, 1, 1) EENN_DW_MVE_TAP4(r0, 2, 2)
                EENN_DW_MVE_TAP4(r1, 3, 0) EENN_DW_MVE_TAP4(r1, 4, 1) EENN_DW_MVE_TAP4(r1, 5, 2)
                EENN_DW_MVE_TAP4(r2, 6, 0) EENN_DW_MVE_TAP4(r2, 7, 1) EENN_DW_MVE_TAP4(r2, 8, 2)
                EENN_DW_MVE_REQUANTIZE_Q(0)
                "vstrb.32     q4, [%[o]], #4\n\t"
                "add          %[r0], %[r0], #4\n\t"
                "add          %[r1], %[r1], #4\n\t"
                "add          %[r2], %[r2], #4\n\t"
                "letp         lr, 1b\n\t"
                : [r0] "+l"(r0), [o] "+l"(o), [r1] "=&l"(r1), [r2] "=&l"(r2), [weight] "=&r"(weight),
                  [left] "+r"(left)
                : [w] "r"(w), [tap_step] "r"(tap_step), [multiplier] "r"(multiplier), [neg_shift] "w"(neg_shift_q),
                  [output_offset] "w"(output_offset_q), [bias] "w"(bias), [lo] "w"(lo), [hi] "w"(hi)
                : "q0", "q4", "lr", "memory");
            /* clang-format on */
        }
        window += g->out_step;
        out += out_w;
    }
}
#endif /* EENN_DW_ASM */

#else

/* Any window, one output pixel at a time. */
static EENN_DW_NOINLINE void eenn_dw_band_general(const int8_t *window, const eenn_dw_geometry_s8 *g,
                                                  const int8_t *EENN_RESTRICT w, int8_t *out, int32_t out_w,
                                                  int32_t rows, const eenn_dw_channel_s8 *ch)
{
    for (int32_t row = 0; row < rows; row++) {
        for (int32_t ox = 0; ox < out_w; ox++) {
            const int8_t *tap_row = window + ox * g->stride_w;
            const int8_t *wr = w;
            int32_t acc = ch->bias;
            for (int32_t ky = 0; ky < g->kernel_h; ky++) {
                for (int32_t kx = 0; kx < g->kernel_w; kx++) {
                    acc += (int32_t)tap_row[kx * g->dilation_w] * wr[kx];
                }
                tap_row += g->tap_step;
                wr += g->kernel_w;
            }
            out[ox] = eenn_dw_requantize(acc, ch);
        }
        window += g->out_step;
        out += out_w;
    }
}

#if defined(EENN_DW_DSP)

/* Four int8 values from any address (Armv7E-M loads unaligned words). */
static inline int32_t eenn_dw_load_x4(const int8_t *p)
{
    int32_t word;
    memcpy(&word, p, 4);
    return word;
}

/* Bytes 1 and 3 of `word` as two sign-extended halfwords: SXTB16 with ROR #8. */
static inline int32_t eenn_dw_odd_bytes(int32_t word)
{
    int32_t result;
    __asm__("sxtb16 %0, %1, ror #8"
            : "=r"(result)
            : "r"(word));
    return result;
}

/* The low halfwords of a and b as one word (a low): PKHBT. */
static inline int32_t eenn_dw_pack_low(int32_t a, int32_t b)
{
    int32_t result;
    __asm__("pkhbt %0, %1, %2, lsl #16"
            : "=r"(result)
            : "r"(a), "r"(b));
    return result;
}

/* Two int8 weights, doubled, as the halfwords of one word (2 a first, 2 b second). */
static inline int32_t eenn_dw_pair(int8_t a, int8_t b)
{
    return (int32_t)((uint32_t)(uint16_t)(int16_t)(2 * a) | ((uint32_t)(uint16_t)(int16_t)(2 * b) << 16));
}

/*
 * The 9 weights of a 3x3 channel as SMLAD operands, doubled (|2 w| <= 254 fits a halfword), and the doubled
 * bias: the sums are 2 acc, the operand eenn_dw_requantize_fast_s32 takes (2 acc fits: |acc| < 2^30).
 */
typedef struct
{
    int32_t w02_0, w02_1, w02_2; /* 2 (w0, w2), 2 (w3, w5), 2 (w6, w8) */
    int32_t w1_01;               /* 2 (w1, w4) */
    int32_t w1_2;                /* 2 w7 */
    int32_t bias2;               /* 2 bias */
} eenn_dw_dsp3x3_s8;

#if defined(EENN_DW_DSP_STRIDED)
/* Output pixels summed before they are requantized (the sums live on the stack). */
#define EENN_DW_CHUNK 64

/*
 * 2 acc (bias included) of `rows` output rows of 3x3 windows, `width` pixels each, into acc (row after row),
 * any stride: one output pixel per 3 loads (eenn_dw_band_3x3_fused explains the pairs of weights).
 */
static EENN_DW_NOINLINE void eenn_dw_sum_3x3_strided(const int8_t *window, int32_t tap_step, int32_t out_step,
                                                     int32_t rows, const eenn_dw_dsp3x3_s8 *k, int32_t stride_w,
                                                     int32_t *acc, int32_t width)
{
    const int32_t w02_0 = k->w02_0, w02_1 = k->w02_1, w02_2 = k->w02_2, w1_01 = k->w1_01, w1_2 = k->w1_2;
    const int32_t bias2 = k->bias2;
    for (int32_t row = 0; row < rows; row++) {
        const int8_t *r0 = window;
        const int8_t *r1 = r0 + tap_step;
        const int8_t *r2 = r1 + tap_step;
        for (int32_t i = 0; i < width; i++) {
            int32_t word = eenn_dw_load_x4(r0);
            int32_t a = __smlad(__sxtb16(word), w02_0, bias2);
            a = __smlabb(eenn_dw_odd_bytes(word), w1_01, a);
            word = eenn_dw_load_x4(r1);
            a = __smlad(__sxtb16(word), w02_1, a);
            a = __smlabt(eenn_dw_odd_bytes(word), w1_01, a);
            word = eenn_dw_load_x4(r2);
            a = __smlad(__sxtb16(word), w02_2, a);
            a = __smlabb(eenn_dw_odd_bytes(word), w1_2, a);
            *acc++ = a;
            r0 += stride_w;
            r1 += stride_w;
            r2 += stride_w;
        }
        window += out_step;
    }
}

/* (acc2 * m + (round_offset << 32) + 2^31) >> 32: SMMLAR. */
static inline int32_t eenn_dw_smmlar(int32_t acc2, int32_t multiplier, int32_t round_offset)
{
    int32_t result;
    __asm__("smmlar %0, %1, %2, %3"
            : "=r"(result)
            : "r"(acc2), "r"(multiplier), "r"(round_offset));
    return result;
}

/*
 * eenn_dw_requantize_fast_s32 of a sum 2 acc, saturated to int8, in 4 instructions (SMMLAR, ADD, ASR, SSAT):
 * round_offset goes into the high multiply, and with multiplier >= 0 the sign of acc stands for the sign of
 * the product (a product of 0 rounds the same either way: 2^(right_shift - 1) - 1 >> right_shift is 0).
 */
static inline int32_t eenn_dw_requantize_dsp(int32_t acc2, int32_t multiplier, int32_t round_offset,
                                             int32_t right_shift)
{
    return __ssat((eenn_dw_smmlar(acc2, multiplier, round_offset) + (acc2 >> 31)) >> right_shift, 8);
}

/* One pixel of eenn_dw_output_saturated: sum `a` (a register operand name) requantized and stored at out + at. */
#define EENN_DW_DSP_REQUANTIZE(a, at)                              \
    "smmlar   %[t], %[" #a "], %[multiplier], %[round_offset]\n\t" \
    "add      %[t], %[t], %[" #a "], asr #31\n\t"                  \
    "asr      %[t], %[t], %[right_shift]\n\t"                      \
    "ssat     %[t], #8, %[t]\n\t"                                  \
    "strb     %[t], [%[out], #" #at "]\n\t"

/*
 * eenn_dw_output_fast without clamps (the activation range is the whole int8 range, which SSAT
 * gives), four pixels a pass in assembly: 2 LDRD, 4 x (SMMLAR, ADD, ASR, SSAT, STRB) and the loop, 6
 * instructions a pixel.
 */
static void eenn_dw_output_saturated(const int32_t *acc, int8_t *out, int32_t count, const eenn_dw_channel_s8 *ch)
{
    const int32_t multiplier = ch->multiplier;
    const int32_t round_offset = ch->round_offset;
    const int32_t right_shift = ch->right_shift;
    int8_t *const end4 = out + (count & ~3);
    if (out != end4) {
        int32_t a0, a1, a2, a3, t;
        /* clang-format off */
        __asm__ volatile(
            "1:\n\t"
            "ldrd     %[a2], %[a3], [%[acc], #8]\n\t"
            "ldrd     %[a0], %[a1], [%[acc]], #16\n\t"
            EENN_DW_DSP_REQUANTIZE(a0, 0) EENN_DW_DSP_REQUANTIZE(a1, 1) EENN_DW_DSP_REQUANTIZE(a2, 2)
            EENN_DW_DSP_REQUANTIZE(a3, 3)
            "adds     %[out], %[out], #4\n\t"
            "cmp      %[out], %[end4]\n\t"
            "bne      1b\n\t"
            : [acc] "+r"(acc), [out] "+r"(out), [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3),
              [t] "=&r"(t)
            : [end4] "r"(end4), [multiplier] "r"(multiplier), [round_offset] "r"(round_offset),
              [right_shift] "r"(right_shift)
            : "cc", "memory");
        /* clang-format on */
    }
    for (int32_t i = 0; i < (count & 3); i++) {
        out[i] = (int8_t)eenn_dw_requantize_dsp(acc[i], multiplier, round_offset, right_shift);
    }
}

/*
 * The output stage of a fast channel over `count` sums 2 acc: eenn_dw_requantize_dsp, then the clamp where the
 * activation range is narrower than int8.
 */
static EENN_DW_NOINLINE void eenn_dw_output_fast(const int32_t *acc, int8_t *out, int32_t count,
                                                 const eenn_dw_channel_s8 *ch)
{
    const int32_t act_min = ch->act_min;
    const int32_t act_max = ch->act_max;
    if (act_min == -128 && act_max == 127) {
        eenn_dw_output_saturated(acc, out, count, ch);
        return;
    }
    for (int32_t i = 0; i < count; i++) {
        const int32_t v = eenn_dw_requantize_dsp(acc[i], ch->multiplier, ch->round_offset, ch->right_shift);
        out[i] = (int8_t)eenn_clamp_s32(v, act_min, act_max);
    }
}
#endif /* EENN_DW_DSP_STRIDED */

#if EENN_DW_ASM
/* What the fused loop of eenn_dw_band_3x3_fused reads from memory (its registers hold the weights). */
typedef struct
{
    int32_t multiplier;   /* of the channel */
    int32_t round_offset; /* of the channel */
    int32_t right_shift;  /* of the channel */
    int32_t row_advance;  /* from the end of one row's windows to the start of the next's */
    int32_t width;        /* output pixels of a row (the loop computes width + overlap, an even count) */
    int32_t rows;         /* rows of the call */
    int32_t low2, high2;  /* act_min and act_max in both halfwords */
    int32_t clamp;        /* 1 when [act_min, act_max] is narrower than int8 */
    int32_t overlap;      /* 1 when each row computes one pixel more, the next row's first */
} eenn_dw_fused_s8;

/* The constants of eenn_dw_fused_rows for a fast channel (rows: set per call). */
static void eenn_dw_fused_setup(eenn_dw_fused_s8 *c, const eenn_dw_channel_s8 *ch, int32_t out_step, int32_t out_w)
{
    c->multiplier = ch->multiplier;
    c->round_offset = ch->round_offset;
    c->right_shift = ch->right_shift;
    c->row_advance = out_step - (out_w & ~1);
    c->width = out_w & ~1;
    c->rows = 0;
    c->low2 = eenn_dw_pack_low(ch->act_min, ch->act_min);
    c->high2 = eenn_dw_pack_low(ch->act_max, ch->act_max);
    c->clamp = ch->act_min > -128 || ch->act_max < 127;
    c->overlap = 0;
}

/* The sums 2 acc of output pixels a and b (x, x + 1) from the 3 rows at p (p advances 2): 21 instructions. */
#define EENN_DW_DSP_PAIR_SUMS                           \
    "ldr      %[word], [%[p], %[tap_step], lsl #1]\n\t" \
    "sxtb16   %[even], %[word]\n\t"                     \
    "sxtb16   %[word], %[word], ror #8\n\t"             \
    "smlad    %[a], %[even], %[w02_2], %[bias2]\n\t"    \
    "smlad    %[b], %[word], %[w02_2], %[bias2]\n\t"    \
    "smlabb   %[a], %[word], %[w1_2], %[a]\n\t"         \
    "smlatb   %[b], %[even], %[w1_2], %[b]\n\t"         \
    "ldr      %[word], [%[p], %[tap_step]]\n\t"         \
    "sxtb16   %[even], %[word]\n\t"                     \
    "sxtb16   %[word], %[word], ror #8\n\t"             \
    "smlad    %[a], %[even], %[w02_1], %[a]\n\t"        \
    "smlad    %[b], %[word], %[w02_1], %[b]\n\t"        \
    "smlabt   %[a], %[word], %[w1_01], %[a]\n\t"        \
    "smlatt   %[b], %[even], %[w1_01], %[b]\n\t"        \
    "ldr      %[word], [%[p]], #2\n\t"                  \
    "sxtb16   %[even], %[word]\n\t"                     \
    "sxtb16   %[word], %[word], ror #8\n\t"             \
    "smlad    %[a], %[even], %[w02_0], %[a]\n\t"        \
    "smlad    %[b], %[word], %[w02_0], %[b]\n\t"        \
    "smlabb   %[a], %[word], %[w1_01], %[a]\n\t"        \
    "smlatb   %[b], %[even], %[w1_01], %[b]\n\t"

/*
 * eenn_dw_requantize_dsp of a and b, saturated to int8 (11 instructions): the rounding offset, plus the sign of
 * the sum, goes into SMMLAR's accumulator.
 */
#define EENN_DW_DSP_PAIR_REQUANTIZE                \
    "ldrd     %[word], %[even], %[multiplier]\n\t" \
    "add      %[even], %[even], %[a], asr #31\n\t" \
    "smmlar   %[a], %[a], %[word], %[even]\n\t"    \
    "ldr      %[even], %[round_offset]\n\t"        \
    "add      %[even], %[even], %[b], asr #31\n\t" \
    "smmlar   %[b], %[b], %[word], %[even]\n\t"    \
    "ldr      %[word], %[right_shift]\n\t"         \
    "asr      %[a], %[a], %[word]\n\t"             \
    "asr      %[b], %[b], %[word]\n\t"             \
    "ssat     %[a], #8, %[a]\n\t"                  \
    "ssat     %[b], #8, %[b]\n\t"

/* Store a and b (int8 in registers) as 2 bytes. */
#define EENN_DW_DSP_PAIR_STORE        \
    "bfi      %[a], %[b], #8, #8\n\t" \
    "strh     %[a], [%[o]], #2\n\t"

/* Clamp a and b to [act_min, act_max] as halfwords (SSUB16 sets the GE flags SEL reads), then store them. */
#define EENN_DW_DSP_PAIR_CLAMP_STORE         \
    "pkhbt    %[a], %[a], %[b], lsl #16\n\t" \
    "ldrd     %[word], %[even], %[low2]\n\t" \
    "ssub16   %[b], %[a], %[word]\n\t"       \
    "sel      %[a], %[a], %[word]\n\t"       \
    "ssub16   %[b], %[even], %[a]\n\t"       \
    "sel      %[a], %[a], %[even]\n\t"       \
    "and      %[a], %[a], #0x00FF00FF\n\t"   \
    "orr      %[a], %[a], %[a], lsr #8\n\t"  \
    "strh     %[a], [%[o]], #2\n\t"

/* One pair: sums, requantization, `store` (one of the two above). */
#define EENN_DW_DSP_PAIR(store) EENN_DW_DSP_PAIR_SUMS EENN_DW_DSP_PAIR_REQUANTIZE store

/* The loop over c->rows rows of c->width pixels, `pairs` (one or two EENN_DW_DSP_PAIR) a pass. */
#define EENN_DW_DSP_FUSED_LOOP(pairs)               \
    "1:\n\t" pairs                                  \
    "cmp      %[o], %[end]\n\t"                     \
    "bne      1b\n\t"                               \
    "ldrd     %[word], %[even], %[row_advance]\n\t" \
    "add      %[p], %[p], %[word]\n\t"              \
    "add      %[end], %[end], %[even]\n\t"          \
    "ldr      %[word], %[last]\n\t"                 \
    "cmp      %[o], %[word]\n\t"                    \
    "bne      1b\n\t"

/*
 * EENN_DW_DSP_FUSED_LOOP with a row step for rows of an odd width W computed as W + 1 pixels (c->overlap 1): each
 * row's extra pixel lands on the first pixel of the next row, which that row then writes (o steps back
 * c->overlap bytes a row).
 */
#define EENN_DW_DSP_FUSED_LOOP_OVERLAP(pairs)       \
    "1:\n\t" pairs                                  \
    "cmp      %[o], %[end]\n\t"                     \
    "bne      1b\n\t"                               \
    "ldr      %[word], %[overlap]\n\t"              \
    "subs     %[o], %[o], %[word]\n\t"              \
    "ldrd     %[word], %[even], %[row_advance]\n\t" \
    "add      %[p], %[p], %[word]\n\t"              \
    "add      %[end], %[end], %[even]\n\t"          \
    "ldr      %[word], %[last]\n\t"                 \
    "cmp      %[o], %[word]\n\t"                    \
    "bne      1b\n\t"

#define EENN_DW_DSP_FUSED_OPERANDS                                                                                \
    : [p] "+r"(p), [o] "+r"(o), [end] "+r"(end), [word] "=&r"(word), [even] "=&r"(even), [a] "=&r"(a),          \
      [b] "=&r"(b)                                                                                             \
    : [tap_step] "r"(tap_step), [w02_0] "r"(w02_0), [w02_1] "r"(w02_1), [w02_2] "r"(w02_2), [w1_01] "r"(w1_01), \
      [w1_2] "r"(w1_2), [bias2] "r"(bias2), [multiplier] "m"(c->multiplier), [round_offset] "m"(c->round_offset), \
      [right_shift] "m"(c->right_shift), [row_advance] "m"(c->row_advance), [width] "m"(c->width),            \
      [low2] "m"(c->low2), [last] "m"(last), [overlap] "m"(c->overlap)                                                                    \
    : "cc", "memory"

/*
 * c->rows rows of c->width (even, >= 2) output pixels of 3x3 windows at stride 1 from the rows at p, written
 * from o on (rows back to back), in one loop of assembly: the 5 weight words, the bias and the row step live
 * in registers, the output stage's constants in memory (c, on the stack: sp-relative loads).
 */
EENN_DW_NOINLINE EENN_DW_NOCLONE static void
eenn_dw_fused_rows(const int8_t *p, int32_t tap_step, const eenn_dw_dsp3x3_s8 *k, int8_t *o,
                   const eenn_dw_fused_s8 *constants)
{
    const int32_t clamp = constants->clamp;
    /* A copy on this function's stack: the loop addresses it from sp, every other register being taken. */
    eenn_dw_fused_s8 copy = *constants;
    eenn_dw_fused_s8 *const c = &copy;
    const int32_t w02_0 = k->w02_0, w02_1 = k->w02_1, w02_2 = k->w02_2, w1_01 = k->w1_01, w1_2 = k->w1_2;
    const int32_t bias2 = k->bias2;
    int8_t *end = o + c->width + c->overlap;
    int8_t *const last = o + c->rows * c->width; /* in memory: read once a row */
    int32_t word, even, a, b;
    /* One loop test a pass: four pairs a pass on rows of a multiple of 8 pixels, two on clamped rows of a multiple
       of 4, else one (fewer copies of the loop in flash). */
    if (!EENN_DEPTHWISE_S8_3X3_WIDE || c->overlap || c->width % 4 != 0 || (!clamp && c->width % 8 != 0)) {
#if EENN_DEPTHWISE_S8_3X3_CLAMP
        if (clamp) {
            /* clang-format off */
            __asm__ volatile(EENN_DW_DSP_FUSED_LOOP_OVERLAP(EENN_DW_DSP_PAIR(EENN_DW_DSP_PAIR_CLAMP_STORE))
                                 EENN_DW_DSP_FUSED_OPERANDS);
            /* clang-format on */
        } else
#endif
        {
            /* clang-format off */
            __asm__ volatile(EENN_DW_DSP_FUSED_LOOP_OVERLAP(EENN_DW_DSP_PAIR(EENN_DW_DSP_PAIR_STORE))
                                 EENN_DW_DSP_FUSED_OPERANDS);
            /* clang-format on */
        }
    }
#if EENN_DEPTHWISE_S8_3X3_WIDE
    else if (c->width % 8 == 0 && !clamp) {
        /* clang-format off */
        __asm__ volatile(EENN_DW_DSP_FUSED_LOOP(EENN_DW_DSP_PAIR(EENN_DW_DSP_PAIR_STORE)
                                                    EENN_DW_DSP_PAIR(EENN_DW_DSP_PAIR_STORE)
                                                        EENN_DW_DSP_PAIR(EENN_DW_DSP_PAIR_STORE)
                                                            EENN_DW_DSP_PAIR(EENN_DW_DSP_PAIR_STORE))
                             EENN_DW_DSP_FUSED_OPERANDS);
        /* clang-format on */
    } else {
        /* clang-format off */
        __asm__ volatile(EENN_DW_DSP_FUSED_LOOP(EENN_DW_DSP_PAIR(EENN_DW_DSP_PAIR_CLAMP_STORE)
                                                    EENN_DW_DSP_PAIR(EENN_DW_DSP_PAIR_CLAMP_STORE))
                             EENN_DW_DSP_FUSED_OPERANDS);
        /* clang-format on */
    }
#endif
}

/*
 * 3x3 windows at stride 1 (dilation_w 1) of a fast channel, each output pixel summed and requantized in one
 * pass (no sums in memory). Output pixels go in pairs from one 4-byte load per kernel row,
 * x = (x0, x1, x2, x3): even = (x0, x2), odd = (x1, x3) (SXTB16, SXTB16 ROR 8);
 *   a = SMLAD(even, (w0, w2)) + x1 * w1 + ...      b = SMLAD(odd, (w0, w2)) + x2 * w1 + ...
 * 17 instructions a pixel and the loop test (21 for the sums of a pair, 11 for its requantization, 2 to store
 * it; 2, 4 or 8 pixels a pass), 7 more a pair with a clamp narrower than int8. The rows of a band go in one
 * call of eenn_dw_fused_rows when the width is even (the caller makes it); this function takes odd widths: the
 * rows but the last as width + 1 pixels (each extra pixel lands on the next row's first, written after it), the
 * last row's final pixel in C (its extra one would land past the band).
 */
static EENN_DW_NOINLINE void eenn_dw_band_3x3_fused(const int8_t *window, const eenn_dw_geometry_s8 *g,
                                                    const eenn_dw_dsp3x3_s8 *k, eenn_dw_fused_s8 *c,
                                                    const int8_t *w, int8_t *out, int32_t out_w, int32_t rows,
                                                    const eenn_dw_channel_s8 *ch)
{
    /* All rows but the last as out_w + 1 pixels, each row's extra pixel overwritten by the next row. */
    if (rows > 1) {
        c->width = out_w;
        c->overlap = 1;
        c->row_advance = g->out_step - (out_w + 1);
        c->rows = rows - 1;
        eenn_dw_fused_rows(window, g->tap_step, k, out, c);
        window += (rows - 1) * g->out_step;
        out += (rows - 1) * out_w;
    }
    /* The last row (its extra pixel would land past the band): out_w - 1 pixels in pairs, the last one in C. */
    const int32_t even_w = out_w - 1;
    if (even_w > 0) {
        c->width = even_w;
        c->overlap = 0;
        c->row_advance = g->out_step - even_w;
        c->rows = 1;
        eenn_dw_fused_rows(window, g->tap_step, k, out, c);
    }
    const int8_t *r0 = window + even_w;
    const int8_t *r1 = r0 + g->tap_step;
    const int8_t *r2 = r1 + g->tap_step;
    int32_t acc = ch->bias;
    acc += r0[0] * w[0] + r0[1] * w[1] + r0[2] * w[2];
    acc += r1[0] * w[3] + r1[1] * w[4] + r1[2] * w[5];
    acc += r2[0] * w[6] + r2[1] * w[7] + r2[2] * w[8];
    out[even_w] = eenn_dw_requantize_fast(acc, ch);
}
#endif /* EENN_DW_ASM */

#if defined(EENN_DW_DSP_STRIDED)
/*
 * 3x3 windows (dilation_w 1) of a fast channel. The sums of whole output rows (as many as EENN_DW_CHUNK pixels
 * hold; the rows of a plane are contiguous in the output) are requantized in one pass; rows wider than that go
 * EENN_DW_CHUNK pixels at a time.
 */
static EENN_DW_NOINLINE void eenn_dw_band_3x3_dsp(const int8_t *window, const eenn_dw_geometry_s8 *g,
                                                  const eenn_dw_dsp3x3_s8 *k, int8_t *out, int32_t out_w,
                                                  int32_t rows, const eenn_dw_channel_s8 *ch)
{
    int32_t acc[EENN_DW_CHUNK + 1];
    const int32_t stride_w = g->stride_w;
    if (out_w <= EENN_DW_CHUNK) {
        const int32_t per_pass = EENN_DW_CHUNK / out_w;
        for (int32_t row = 0; row < rows; row += per_pass) {
            const int32_t n = rows - row < per_pass ? rows - row : per_pass;
            eenn_dw_sum_3x3_strided(window, g->tap_step, g->out_step, n, k, stride_w, acc, out_w);
            window += n * g->out_step;
            eenn_dw_output_fast(acc, out + row * out_w, n * out_w, ch);
        }
        return;
    }
    for (int32_t row = 0; row < rows; row++) {
        for (int32_t ox = 0; ox < out_w; ox += EENN_DW_CHUNK) {
            const int32_t count = out_w - ox < EENN_DW_CHUNK ? out_w - ox : EENN_DW_CHUNK;
            eenn_dw_sum_3x3_strided(window + ox * stride_w, g->tap_step, g->out_step, 1, k, stride_w, acc, count);
            eenn_dw_output_fast(acc, out + ox, count, ch);
        }
        window += g->out_step;
        out += out_w;
    }
}
#endif /* EENN_DW_DSP_STRIDED */

#else

#if EENN_ARMV6M
/*
 * eenn_high_mult_round_s32(2 acc, m) = (acc m + 2^30) >> 31 for |acc| < 2^19 without a long multiply: with
 * m = m_high 2^20 + m_mid 2^10 + m_low (m_high < 2^11, m_mid and m_low < 2^10) each partial product fits int32
 * (|acc m_high| < 2^30), and the floors nest: floor(X / 2^31) = floor(floor(floor(X / 2^10) / 2^10) / 2^11),
 * the 2^30 becoming 2^10 at the last step. 3 MULS instead of the 4 and the carries of a 32 x 32 high multiply.
 */
static inline int32_t eenn_dw_high_mult_small(int32_t acc, int32_t m_high, int32_t m_mid, int32_t m_low)
{
    const int32_t low = (acc * m_low) >> 10;
    const int32_t mid = (acc * m_mid + low) >> 10;
    return (acc * m_high + mid + (1 << 10)) >> 11;
}

/* eenn_dw_requantize_fast of a small channel (see eenn_dw_high_mult_small). */
static inline int8_t eenn_dw_requantize_small(int32_t acc, const eenn_dw_channel_s8 *ch)
{
    const int32_t r = eenn_dw_high_mult_small(acc, ch->m_high, ch->m_mid, ch->m_low);
    return (int8_t)eenn_clamp_s32((r + ch->round_offset + (r >> 31)) >> ch->right_shift, ch->act_min, ch->act_max);
}
#endif

/* 3x3 windows (dilation_w 1) of a fast channel: the 9 taps unrolled. */
static EENN_DW_NOINLINE void eenn_dw_band_3x3(const int8_t *window, const eenn_dw_geometry_s8 *g,
                                              const int8_t *EENN_RESTRICT w, int8_t *out, int32_t out_w, int32_t rows,
                                              const eenn_dw_channel_s8 *ch)
{
    const int32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7], w8 = w[8];
    const int32_t stride_w = g->stride_w;
    for (int32_t row = 0; row < rows; row++) {
        const int8_t *r0 = window;
        const int8_t *r1 = r0 + g->tap_step;
        const int8_t *r2 = r1 + g->tap_step;
        for (int32_t ox = 0; ox < out_w; ox++) {
            int32_t acc = ch->bias;
            acc += r0[0] * w0 + r0[1] * w1 + r0[2] * w2;
            acc += r1[0] * w3 + r1[1] * w4 + r1[2] * w5;
            acc += r2[0] * w6 + r2[1] * w7 + r2[2] * w8;
#if EENN_ARMV6M
            out[ox] = ch->small ? eenn_dw_requantize_small(acc, ch) : eenn_dw_requantize_fast(acc, ch);
#else
            out[ox] = eenn_dw_requantize_fast(acc, ch);
#endif
            r0 += stride_w;
            r1 += stride_w;
            r2 += stride_w;
        }
        window += g->out_step;
        out += out_w;
    }
}

#endif /* EENN_DW_DSP */
#endif /* EENN_DW_MVE */

/* ------------------------------------------------------------------------------------------------ */
/* The kernel                                                                                         */
/* ------------------------------------------------------------------------------------------------ */

/* The output stage of one output channel: requantization constants and whether the fast form is exact. */
static void eenn_dw_channel_setup(eenn_dw_channel_s8 *ch, const int8_t *EENN_RESTRICT w, int32_t taps, int32_t bias,
                                  int32_t multiplier, int32_t shift, int32_t output_offset, int32_t act_min,
                                  int32_t act_max)
{
    /* |acc| <= |bias| + 128 * sum |w|: every value summed (padding included) is an int8. The sum of the
       weights is needed only where |w| <= 128 does not already bound acc tightly enough. */
    const uint64_t abs_bias = bias < 0 ? (uint64_t)(-(int64_t)bias) : (uint64_t)bias;
    uint64_t bound = abs_bias + 128u * 128u * (uint64_t)taps;
#if EENN_ARMV6M
    const uint64_t enough = (uint64_t)1 << 19;
#else
    const uint64_t enough = (uint64_t)1 << 30;
#endif
    if (bound >= enough) {
        uint32_t weight_sum = 0u;
        for (int32_t t = 0; t < taps; t++) {
            weight_sum += (uint32_t)(w[t] < 0 ? -w[t] : w[t]);
        }
        bound = abs_bias + 128u * (uint64_t)weight_sum;
    }
    ch->bias = bias;
    ch->multiplier = multiplier;
    ch->shift = shift;
    ch->fast = bound < ((uint64_t)1 << 30) && shift <= -1 && shift >= -22 && multiplier >= 0;
    ch->right_shift = ch->fast ? -shift : 0;
    ch->round_offset = ch->fast ? (int32_t)((1u << (ch->right_shift - 1)) + ((uint32_t)output_offset << ch->right_shift))
                                : 0;
    ch->output_offset = output_offset;
    ch->act_min = act_min;
    ch->act_max = act_max;
#if EENN_ARMV6M
    ch->small = ch->fast && bound < ((uint64_t)1 << 19);
    ch->m_high = (int32_t)((uint32_t)multiplier >> 20);
    ch->m_mid = (int32_t)(((uint32_t)multiplier >> 10) & 0x3FFu);
    ch->m_low = (int32_t)((uint32_t)multiplier & 0x3FFu);
#endif
}

void eenn_depthwise_conv2d_s8(const int8_t *input, const int8_t *EENN_RESTRICT weights,
                              const int32_t *EENN_RESTRICT bias, int8_t *output, int8_t *EENN_RESTRICT scratch,
                              int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                              int32_t multiplier, int32_t out_h, int32_t out_w,
                              int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                              int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                              int32_t input_offset, int32_t output_offset,
                              const int32_t *EENN_RESTRICT output_multiplier,
                              const int32_t *EENN_RESTRICT output_shift, int32_t act_min, int32_t act_max)
{
    if (out_h <= 0 || out_w <= 0) {
        return;
    }
    const int32_t out_c = in_c * multiplier;
    const int32_t taps = kernel_h * kernel_w;
    const int8_t pad = (int8_t)(-input_offset);
    const int32_t band = out_h < EENN_DEPTHWISE_S8_BAND ? out_h : EENN_DEPTHWISE_S8_BAND;
    const int32_t span = (kernel_h - 1) * dilation_h + 1;
    /* Padded rows in the scratch: those a band of `band` output rows reads. */
    const int32_t band_rows = (band - 1) * stride_h + span;
    eenn_dw_geometry_s8 g;
    g.row_bytes = EENN_DEPTHWISE_S8_ROW_BYTES(out_w, kernel_w, stride_w, dilation_w);
    g.tap_step = dilation_h * g.row_bytes;
    g.out_step = stride_h * g.row_bytes;
    g.kernel_h = kernel_h;
    g.kernel_w = kernel_w;
    g.stride_w = stride_w;
    g.dilation_w = dilation_w;
    /* Input columns [0, count) sit at row columns [lead, lead + count); every other column is padding. */
    const int32_t lead = pad_left < g.row_bytes ? pad_left : g.row_bytes;
    const int32_t count = g.row_bytes - lead < in_w ? g.row_bytes - lead : in_w;
    const int32_t is_3x3 = EENN_DEPTHWISE_S8_3X3 && kernel_h == 3 && kernel_w == 3 && dilation_w == 1;
    (void)is_3x3; /* Helium without EENN_DW_ASM runs the general band routine only */
    eenn_dw_fill(scratch, band_rows * g.row_bytes, pad);

    for (int32_t n = 0; n < batches; n++) {
        for (int32_t oc = 0; oc < out_c; oc++) {
            const int8_t *plane = input + (n * in_c + oc / multiplier) * in_h * in_w;
            const int8_t *w = weights + oc * taps;
            int8_t *out = output + (n * out_c + oc) * out_h * out_w;
            eenn_dw_channel_s8 ch;
            eenn_dw_channel_setup(&ch, w, taps, bias != NULL ? bias[oc] : 0, output_multiplier[oc], output_shift[oc],
                                  output_offset, act_min, act_max);
#if defined(EENN_DW_DSP)
            eenn_dw_dsp3x3_s8 packed = { 0, 0, 0, 0, 0, 0 };
#if EENN_DW_ASM
            eenn_dw_fused_s8 fused = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
#endif
            if (is_3x3 && ch.fast) {
                packed.w02_0 = eenn_dw_pair(w[0], w[2]);
                packed.w02_1 = eenn_dw_pair(w[3], w[5]);
                packed.w02_2 = eenn_dw_pair(w[6], w[8]);
                packed.w1_01 = eenn_dw_pair(w[1], w[4]);
                packed.w1_2 = 2 * w[7];
                packed.bias2 = 2 * ch.bias;
#if EENN_DW_ASM
                eenn_dw_fused_setup(&fused, &ch, g.out_step, out_w);
#endif
            }
#endif
            /* The scratch holds padded rows [held, held + held_rows) (padded row p is input row p - pad_top). */
            int32_t held = 0;
            int32_t held_rows = 0;
            for (int32_t oy = 0; oy < out_h; oy += band) {
                const int32_t rows = out_h - oy < band ? out_h - oy : band;
                const int32_t first = oy * stride_h;
                const int32_t needed = (rows - 1) * stride_h + span;
                /* Rows the previous band shares with this one move to the top. */
                int32_t kept = held + held_rows - first;
                kept = kept < 0 ? 0 : kept;
                if (kept > 0 && first > held) {
                    eenn_dw_copy(scratch, scratch + (first - held) * g.row_bytes, kept * g.row_bytes);
                }
                eenn_dw_load_rows(scratch, g.row_bytes, lead, count, plane, in_w, in_h, kept, needed, pad_top - first,
                                  pad);
                held = first;
                held_rows = needed;
                int8_t *out_rows = out + oy * out_w;
#if defined(EENN_DW_MVE)
#if EENN_DW_ASM
                if (is_3x3 && stride_w == 1 && ch.fast) {
                    eenn_dw_band_3x3_mve(scratch, &g, w, out_rows, out_w, rows, &ch);
                } else if (is_3x3 && ch.fast) {
                    eenn_dw_band_3x3_strided_mve(scratch, &g, w, out_rows, out_w, rows, &ch);
                } else
#endif
                {
                    eenn_dw_band_mve(scratch, &g, w, out_rows, out_w, rows, &ch);
                }
#else
                if (is_3x3 && ch.fast) {
#if defined(EENN_DW_DSP)
#if EENN_DW_ASM
                    /* A clamp narrower than int8 at stride 1 without EENN_DEPTHWISE_S8_3X3_CLAMP: the loops below. */
                    if (stride_w == 1 && !EENN_DEPTHWISE_S8_3X3_CLAMP && fused.clamp) {
#if defined(EENN_DW_DSP_STRIDED)
                        eenn_dw_band_3x3_dsp(scratch, &g, &packed, out_rows, out_w, rows, &ch);
#else
                        eenn_dw_band_general(scratch, &g, w, out_rows, out_w, rows, &ch);
#endif
                    } else if (stride_w == 1 && (out_w & 1) == 0) {
                        fused.rows = rows;
                        eenn_dw_fused_rows(scratch, g.tap_step, &packed, out_rows, &fused);
                    } else if (stride_w == 1) {
                        eenn_dw_band_3x3_fused(scratch, &g, &packed, &fused, w, out_rows, out_w, rows, &ch);
                    } else
#endif
                    {
#if defined(EENN_DW_DSP_STRIDED)
                        eenn_dw_band_3x3_dsp(scratch, &g, &packed, out_rows, out_w, rows, &ch);
#else
                        eenn_dw_band_general(scratch, &g, w, out_rows, out_w, rows, &ch);
#endif
                    }
#else
                    eenn_dw_band_3x3(scratch, &g, w, out_rows, out_w, rows, &ch);
#endif
                } else {
                    eenn_dw_band_general(scratch, &g, w, out_rows, out_w, rows, &ch);
                }
#endif
            }
        }
    }
}
