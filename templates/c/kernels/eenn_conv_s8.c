/*
 * eenn_conv_s8.c - int8 convolutions (NCHW): general (any groups, 1-D and 2-D), 1x1, and transposed.
 *
 * eenn_conv2d_s8 and eenn_conv2d_1x1_s8 gather the values an output pixel reads (its im2col column: the window
 * in the order of a weight row, padded taps holding the input zero point) into the scratch, and multiply
 * columns with weight rows packed in pairs (eenn_kernels_s8.h). The compiler folds the input zero point into
 * the bias, so the multiply loops are plain dot products of raw int8 values:
 *   __ARM_FEATURE_DSP  the columns of two pixels expanded to int16 pairs by SXTB16 (each group of 4 values
 *                      x0 x1 x2 x3 stored as x0 x2 x1 x3), weights expanded the same way on the fly: two output
 *                      channels of two pixels per step, 2 LDRD, 2 LDR, 4 SXTB16 and 8 SMLAD per 16
 *                      multiply-accumulates (the scheme of CMSIS-NN's arm_nn_mat_mult_kernel_s8_s16).
 *                      Layers of fewer than 16 values per output (first layers) gather tiles of 8 pixels and
 *                      requantize each pair of channels over the tile.
 *   __ARM_FEATURE_MVE  two int8 columns, two output channels of two pixels, one VMLADAVA per 16 values.
 *   portable C         one int8 column, four output channels (eenn_dot_1x4_s8: an assembly loop on Armv6-M).
 * Without a scratch (NULL) the input is read in place, a run of output pixels of one channel at a time (the
 * memory planner's choice when the scratch would set the arena's peak, `--arena min`). Output stage: eenn_requantize_bounded_s8 when the layer allows it
 * (eenn_requantize_bounded_ok_s8), else eenn_requantize_s8. The transposed convolution gathers each output's taps
 * directly.
 */
#include <string.h>

#include "eenn_kernels_s8.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#endif
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include <arm_mve.h>
#define EENN_CONV_S8_MVE 1
#elif defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#define EENN_CONV_S8_DSP 1
#endif

/* Pixels gathered at once by the path for fewer than 16 values per output (EENN_CONV_S8_SCRATCH_BYTES). */
#define EENN_CONV_S8_TILE 8

/* Output pixels whose columns are multiplied together. */
#if defined(EENN_CONV_S8_MVE) || defined(EENN_CONV_S8_DSP)
#define EENN_CONV_S8_PIXELS 2
#else
#define EENN_CONV_S8_PIXELS 1
#endif

/* The window geometry of one group of a convolution. */
typedef struct
{
    const int8_t *input; /* first input channel of the group, [channels, in_h, in_w] */
    int32_t channels, in_h, in_w;
    int32_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w;
    int8_t pad_value; /* the input zero point */
} eenn_window_s8;

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

static inline uint32_t eenn_read_u32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline void eenn_write_u32(void *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

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

/* v, hidden from the optimizer (no instruction): a loop copying such values is not turned into a call to memcpy,
   which costs more than the few bytes of an im2col row. */
static inline uint32_t eenn_opaque_u32(uint32_t v)
{
    __asm__("" : "+r"(v));
    return v;
}

/*
 * The run of n bytes at `from` copied to `to`; returns to + n. With unaligned word access (__ARM_FEATURE_UNALIGNED)
 * whole words: up to 3 bytes past to + n change (the scratch has room for them, eenn_column_s8).
 */
static inline int8_t *eenn_copy_run_s8(int8_t *EENN_RESTRICT to, const int8_t *EENN_RESTRICT from, int32_t n)
{
#if defined(__ARM_FEATURE_UNALIGNED)
    for (int32_t i = 0; i < n; i += 4) {
        eenn_write_u32(to + i, eenn_opaque_u32(eenn_read_u32(from + i)));
    }
#else
    for (int32_t i = 0; i < n; i++) {
        to[i] = (int8_t)eenn_opaque_u32((uint32_t)from[i]);
    }
#endif
    return to + n;
}

/*
 * The im2col column of output pixel (oy, ox): channels * kernel_h * kernel_w int8 values in the order of a
 * weight row (channel, kernel row, kernel column), taps in the padding holding the zero point. May write up to 3
 * bytes past the column.
 */
/* Kept out of line: inlined into the pixel loop it makes the loop's registers spill. */
static EENN_CONV_S8_NOINLINE void eenn_im2col_s8(const eenn_window_s8 *g, int32_t oy, int32_t ox, int8_t *EENN_RESTRICT col)
{
    const int32_t iy0 = oy * g->stride_h - g->pad_top;
    const int32_t ix0 = ox * g->stride_w - g->pad_left;
    const int32_t plane = g->in_h * g->in_w;
    const int32_t row_step = g->dilation_h * g->in_w;
    const int32_t kh = g->kernel_h, kw = g->kernel_w, dw = g->dilation_w;
    if (iy0 >= 0 && ix0 >= 0 && iy0 + (kh - 1) * g->dilation_h < g->in_h && ix0 + (kw - 1) * dw < g->in_w) {
        /* The whole window inside the input. */
        const int8_t *x = g->input + iy0 * g->in_w + ix0;
#if defined(__ARM_FEATURE_UNALIGNED)
        if (dw == 1 && kw == 3 && kh == 3) {
            /* 3x3 windows: three words per channel, each row's 4th byte overwritten by the next row. */
            for (int32_t c = 0; c < g->channels; c++, x += plane, col += 9) {
                eenn_write_u32(col, eenn_opaque_u32(eenn_read_u32(x)));
                eenn_write_u32(col + 3, eenn_opaque_u32(eenn_read_u32(x + row_step)));
                eenn_write_u32(col + 6, eenn_opaque_u32(eenn_read_u32(x + 2 * row_step)));
            }
            return;
        }
        if (dw == 1 && kw <= 4) {
            /* Rows of at most 4 contiguous values (3x3 kernels): one word each, up to 3 bytes written past. */
            for (int32_t c = 0; c < g->channels; c++, x += plane) {
                const int8_t *row = x;
                for (int32_t ky = 0; ky < kh; ky++, row += row_step) {
                    eenn_write_u32(col, eenn_opaque_u32(eenn_read_u32(row)));
                    col += kw;
                }
            }
            return;
        }
#endif
        if (dw == 1) {
            for (int32_t c = 0; c < g->channels; c++, x += plane) {
                const int8_t *row = x;
                for (int32_t ky = 0; ky < kh; ky++, row += row_step) {
                    col = eenn_copy_run_s8(col, row, kw);
                }
            }
            return;
        }
        for (int32_t c = 0; c < g->channels; c++, x += plane) {
            const int8_t *row = x;
            for (int32_t ky = 0; ky < kh; ky++, row += row_step) {
                for (int32_t kx = 0; kx < kw; kx++) {
                    *col++ = row[kx * dw];
                }
            }
        }
        return;
    }
    /* A window over the border: tap by tap (one loop with a test, which compilers leave as it is). */
    for (int32_t c = 0; c < g->channels; c++) {
        const int8_t *x = g->input + c * plane;
        for (int32_t ky = 0; ky < kh; ky++) {
            const int32_t iy = iy0 + ky * g->dilation_h;
            const int32_t row_inside = iy >= 0 && iy < g->in_h;
            const int8_t *row = x + iy * g->in_w;
            for (int32_t kx = 0, ix = ix0; kx < kw; kx++, ix += dw) {
                *col++ = row_inside && ix >= 0 && ix < g->in_w ? row[ix] : g->pad_value;
            }
        }
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
    for (int32_t k = whole - 4; k >= 0; k -= 4) {
        const uint32_t x = eenn_read_u32(col + k);
        eenn_write_u32(col + 2 * k, (uint32_t)__sxtb16((int32_t)x));
        eenn_write_u32(col + 2 * k + 4, (uint32_t)eenn_sxtb16_ror8_s8(x));
    }
}

/*
 * The expanded columns of the two adjacent pixels `x` (first channel) and x + 1 of a 1x1 convolution, channels
 * `size` apart, as eenn_expand_column_s8 lays them out (in_c >= 16): one halfword load per channel holds both
 * pixels, and SXTB16 of (h0 | h2 << 16) is pixel a's pair (x0, x2), SXTB16 rotated by 8 pixel b's.
 */
static void eenn_gather_pair_1x1_dsp(const int8_t *x, int32_t size, int32_t in_c, uint8_t *col_a, uint8_t *col_b)
{
    const int32_t whole = in_c & ~3;
    for (int32_t c = 0; c < whole; c += 4) {
        uint16_t h0, h1, h2, h3;
        memcpy(&h0, x, 2);
        memcpy(&h1, x + size, 2);
        memcpy(&h2, x + 2 * size, 2);
        memcpy(&h3, x + 3 * size, 2);
        const uint32_t t02 = (uint32_t)h0 | (uint32_t)h2 << 16, t13 = (uint32_t)h1 | (uint32_t)h3 << 16;
        eenn_write_u32(col_a, (uint32_t)__sxtb16((int32_t)t02));
        eenn_write_u32(col_a + 4, (uint32_t)__sxtb16((int32_t)t13));
        eenn_write_u32(col_b, (uint32_t)eenn_sxtb16_ror8_s8(t02));
        eenn_write_u32(col_b + 4, (uint32_t)eenn_sxtb16_ror8_s8(t13));
        x += 4 * size;
        col_a += 8;
        col_b += 8;
    }
    if (whole < in_c) {
        /* The last 4 channels, those already in the group before set to 0. */
        const int32_t skip = whole + 4 - in_c;
        uint16_t h[4];
        x -= skip * size;
        for (int32_t i = 0; i < 4; i++) {
            memcpy(&h[i], x + i * size, 2);
            h[i] = i < skip ? 0 : h[i];
        }
        const uint32_t t02 = (uint32_t)h[0] | (uint32_t)h[2] << 16, t13 = (uint32_t)h[1] | (uint32_t)h[3] << 16;
        eenn_write_u32(col_a, (uint32_t)__sxtb16((int32_t)t02));
        eenn_write_u32(col_a + 4, (uint32_t)__sxtb16((int32_t)t13));
        eenn_write_u32(col_b, (uint32_t)eenn_sxtb16_ror8_s8(t02));
        eenn_write_u32(col_b + 4, (uint32_t)eenn_sxtb16_ror8_s8(t13));
    }
}

/* One group of 4 values of the 2 x 2 block: columns a, b (expanded), weights at w and w + partner. */
#define EENN_CONV_S8_GROUP(g)                                                              \
    "ldrd %[x0], %[x1], [%[a], #" #g "*8]\n\t"                                             \
    "ldrd %[y0], %[y1], [%[b], #" #g "*8]\n\t"                                             \
    "ldr %[wv], [%[w], #" #g "*4]\n\t"                                                     \
    "sxtb16 %[t], %[wv]\n\t"                                                               \
    "smlad %[s00], %[x0], %[t], %[s00]\n\t"                                                \
    "smlad %[s10], %[y0], %[t], %[s10]\n\t"                                                \
    "sxtb16 %[t], %[wv], ror #8\n\t"                                                       \
    "smlad %[s00], %[x1], %[t], %[s00]\n\t"                                                \
    "smlad %[s10], %[y1], %[t], %[s10]\n\t"                                                \
    "ldr %[wv], [%[w], #16+" #g "*4]\n\t"                                                  \
    "sxtb16 %[t], %[wv]\n\t"                                                               \
    "smlad %[s01], %[x0], %[t], %[s01]\n\t"                                                \
    "smlad %[s11], %[y0], %[t], %[s11]\n\t"                                                \
    "sxtb16 %[t], %[wv], ror #8\n\t"                                                       \
    "smlad %[s01], %[x1], %[t], %[s01]\n\t"                                                \
    "smlad %[s11], %[y1], %[t], %[s11]\n\t"

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
    __asm__("1:\n\t"
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

/*
 * s[0..3] (pixel a of channel m, pixel a of m + 1, pixel b of m, pixel b of m + 1) += the expanded columns a and b
 * times the rows of a pair of channels (paired) or twice the plain row of a lone channel.
 */
EENN_CONV_S8_INLINE void eenn_dot_2x2_dsp(const uint8_t *a, const uint8_t *b, const int8_t *w, int32_t depth,
                                         int32_t paired, int32_t s[4])
{
    int32_t s00 = s[0], s01 = s[1], s10 = s[2], s11 = s[3];
    if (paired) {
        const int32_t chunks = EENN_PAIRED_ROW_S8(depth) >> 4; /* whole chunks of 16 values */
#if defined(__OPTIMIZE__)
        if (chunks > 0) {
            /* Whole chunks of 16 values: 64 multiply-accumulates in 70 instructions (13 registers: the loop
               needs an optimized build). */
            const uint8_t *end = a + 32 * chunks;
            uint32_t x0, x1, y0, y1, wv, t;
            __asm__(
                "1:\n\t" EENN_CONV_S8_GROUP(0) EENN_CONV_S8_GROUP(1) EENN_CONV_S8_GROUP(2) EENN_CONV_S8_GROUP(3)
                "add %[a], %[a], #32\n\t"
                "add %[b], %[b], #32\n\t"
                "add %[w], %[w], #32\n\t"
                "ldr %[t], %[end]\n\t"
                "cmp %[a], %[t]\n\t"
                "bne 1b"
                : [s00] "+r"(s00), [s01] "+r"(s01), [s10] "+r"(s10), [s11] "+r"(s11), [a] "+r"(a), [b] "+r"(b),
                  [w] "+r"(w), [x0] "=&r"(x0), [x1] "=&r"(x1), [y0] "=&r"(y0), [y1] "=&r"(y1), [wv] "=&r"(wv),
                  [t] "=&r"(t)
                : [end] "m"(end)
                : "cc", "memory");
        }
#else
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
    const int32_t row = EENN_PAIRED_ROW_S8(depth);
    const int32_t tail = paired ? row & (EENN_PAIR_CHUNK_S8 - 1) : row; /* values after the whole chunks */
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
    s[0] = s00;
    s[1] = s01;
    s[2] = s10;
    s[3] = s11;
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
        const int32_t partner = !paired ? 0 : c < whole ? EENN_PAIR_CHUNK_S8 : row % EENN_PAIR_CHUNK_S8;
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

#if defined(EENN_CONV_S8_DSP) || defined(EENN_CONV_S8_MVE)
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
#if defined(EENN_CONV_S8_DSP)
        eenn_dot_2x2_dsp((const uint8_t *)scratch, (const uint8_t *)col_b, w, depth, paired, s);
#else
        eenn_dot_2x2_mve(scratch, col_b, w, depth, paired, s);
#endif
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

/*
 * The outputs of `pixels` (1 or 2; EENN_CONV_S8_PIXELS at most) gathered columns for every output channel of a
 * group (`channels` rows packed in pairs): channel m of pixel i goes to out[m * out_stride + i].
 */
static void eenn_multiply_columns_s8(int8_t *scratch, int32_t pixels, const int8_t *EENN_RESTRICT weights,
                                     int32_t depth, int32_t channels, const int32_t *EENN_RESTRICT bias,
                                     const int32_t *EENN_RESTRICT multiplier, const int32_t *EENN_RESTRICT shift,
                                     const eenn_output_stage_s8 *o, int8_t *EENN_RESTRICT out, int32_t out_stride)
{
#if defined(EENN_CONV_S8_DSP) || defined(EENN_CONV_S8_MVE)
#if EENN_CONV_S8_SATURATE
    if (pixels == 2 && o->bounded && o->full_range) {
        eenn_multiply_pairs_s8(scratch, 2, weights, depth, channels, bias, multiplier, shift, o, 1, 1, out, out_stride);
        return;
    }
#endif
#if EENN_CONV_S8_CLAMP
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

#if EENN_CONV_S8_DIRECT
/* Output pixels of one row whose sums the scratch-less path keeps on the stack at once. */
#define EENN_CONV_S8_DIRECT_PIXELS 32

/*
 * Without a scratch: every output of a group, reading the input in place. For each run of up to
 * EENN_CONV_S8_DIRECT_PIXELS pixels of an output row and each output channel, the sums sit on the stack and each
 * weight (walked chunk by chunk of the paired layout) is multiplied with the input values of its tap across the
 * run: taps in the padding add weight * pad_value.
 */
static void eenn_conv_direct_s8(const eenn_window_s8 *g, int32_t out_h, int32_t out_w,
                                const int8_t *EENN_RESTRICT weights, int32_t channels,
                                const int32_t *EENN_RESTRICT bias, const int32_t *EENN_RESTRICT multiplier,
                                const int32_t *EENN_RESTRICT shift, const eenn_output_stage_s8 *o,
                                int8_t *EENN_RESTRICT out, int32_t out_stride)
{
    const int32_t depth = g->channels * g->kernel_h * g->kernel_w;
    const int32_t plane = g->in_h * g->in_w;
    uint32_t acc[EENN_CONV_S8_DIRECT_PIXELS]; /* int32 sums, added modulo 2^32 */
    for (int32_t oy = 0; oy < out_h; oy++) {
        const int32_t iy0 = oy * g->stride_h - g->pad_top;
        for (int32_t x0 = 0; x0 < out_w; x0 += EENN_CONV_S8_DIRECT_PIXELS) {
            const int32_t n = out_w - x0 < EENN_CONV_S8_DIRECT_PIXELS ? out_w - x0 : EENN_CONV_S8_DIRECT_PIXELS;
            for (int32_t m = 0; m < channels; m++) {
                const uint32_t b = bias != NULL ? (uint32_t)bias[m] : 0u;
                for (int32_t i = 0; i < n; i++) {
                    acc[i] = b;
                }
                int32_t chunk = 0;
                const int8_t *w = eenn_paired_chunk_s8(weights, m, channels, depth, 0);
                int32_t left = EENN_PAIR_CHUNK_S8; /* weights left in this chunk of the row */
                for (int32_t c = 0; c < g->channels; c++) {
                    for (int32_t ky = 0; ky < g->kernel_h; ky++) {
                        const int32_t iy = iy0 + ky * g->dilation_h;
                        const int32_t row_inside = iy >= 0 && iy < g->in_h;
                        for (int32_t kx = 0; kx < g->kernel_w; kx++) {
                            const int32_t wv = *w++;
                            if (--left == 0) {
                                w = eenn_paired_chunk_s8(weights, m, channels, depth, ++chunk);
                                left = EENN_PAIR_CHUNK_S8;
                            }
                            const uint32_t padded = (uint32_t)(wv * g->pad_value);
                            /* Pixels [lo, hi) of the run read inside the row; the others read the padding. */
                            const int32_t dx = kx * g->dilation_w - g->pad_left;
                            int32_t lo = 0;
                            int32_t hi = row_inside ? n : 0;
                            while (lo < hi && (x0 + lo) * g->stride_w + dx < 0) {
                                lo++;
                            }
                            while (hi > lo && (x0 + hi - 1) * g->stride_w + dx >= g->in_w) {
                                hi--;
                            }
                            for (int32_t i = 0; i < lo; i++) {
                                acc[i] += padded;
                            }
                            if (hi > lo) {
                                const int8_t *x = g->input + c * plane + iy * g->in_w + (x0 + lo) * g->stride_w + dx;
                                for (int32_t i = lo; i < hi; i++, x += g->stride_w) {
                                    acc[i] += (uint32_t)(wv * *x);
                                }
                            }
                            for (int32_t i = hi; i < n; i++) {
                                acc[i] += padded;
                            }
                        }
                    }
                }
                int8_t *dst = out + m * out_stride + oy * out_w + x0;
                for (int32_t i = 0; i < n; i++) {
                    eenn_conv_store_s8(dst + i, 1, (int32_t)acc[i], 0, multiplier[m], shift[m], o->bounded, 0, o);
                }
            }
        }
    }
}
#endif

#if defined(EENN_CONV_S8_DSP) && EENN_CONV_S8_FEW_VALUES
/*
 * Layers of fewer than 16 values per output (first layers: 1 to 4 input channels, small kernels) on DSP: the
 * columns of up to EENN_CONV_S8_TILE pixels are gathered first, then each pair of output channels derives its
 * requantization once and runs over the tile, one SMLAD loop of depth / 4 groups per 2 x 2 block.
 */
static void eenn_conv_tile_small_dsp(const eenn_window_s8 *g, int32_t out_w, int32_t oy, int32_t ox, int32_t count,
                                     const int8_t *EENN_RESTRICT w, int32_t depth, int32_t channels,
                                     const int32_t *EENN_RESTRICT bias, const int32_t *EENN_RESTRICT multiplier,
                                     const int32_t *EENN_RESTRICT shift, const eenn_output_stage_s8 *o,
                                     int8_t *EENN_RESTRICT out, int32_t out_stride, int8_t *scratch)
{
    const int32_t row = EENN_PAIRED_ROW_S8(depth); /* depth rounded up to 4: the column and each weight row */
    const int32_t stride = 2 * row;
    for (int32_t i = 0; i < count; i++) {
        eenn_im2col_s8(g, oy, ox, scratch + i * stride);
        eenn_expand_column_s8((uint8_t *)scratch + i * stride, depth);
        if (++ox == out_w) {
            ox = 0;
            oy++;
        }
    }
    for (int32_t m = 0; m < channels; m += 2, w += 2 * row, out += 2 * out_stride) {
        const int32_t paired = m + 1 < channels;
        const int32_t m1 = paired ? m + 1 : m;
        const int32_t b0 = bias != NULL ? bias[m] : 0, b1 = bias != NULL ? bias[m1] : 0;
        if (o->bounded && o->full_range && count == EENN_CONV_S8_TILE) {
            /* The usual case, the requantization of both channels derived once for the tile. */
            const int32_t mult0 = multiplier[m], e0 = -shift[m], half0 = 1 << (e0 - 1);
            const int32_t mult1 = multiplier[m1], e1 = -shift[m1], half1 = 1 << (e1 - 1);
            const int32_t zp = o->output_offset;
            int8_t *out1 = out + (paired ? out_stride : 0);
            for (int32_t i = 0; i < EENN_CONV_S8_TILE; i += 2) {
                const uint8_t *a = (const uint8_t *)scratch + i * stride;
                const uint8_t *b = a + stride;
                const int8_t *wp = w;
                int32_t s00 = b0, s01 = b1, s10 = b0, s11 = b1;
                eenn_groups_2x2_dsp(&a, &b, &wp, paired ? row : 0, row >> 2, &s00, &s01, &s10, &s11);
                out[i] = (int8_t)__ssat(eenn_requantize_bounded_s8(s00, mult0, e0, half0) + zp, 8);
                out[i + 1] = (int8_t)__ssat(eenn_requantize_bounded_s8(s10, mult0, e0, half0) + zp, 8);
                /* A lone last channel writes its own outputs twice. */
                out1[i] = (int8_t)__ssat(eenn_requantize_bounded_s8(s01, mult1, e1, half1) + zp, 8);
                out1[i + 1] = (int8_t)__ssat(eenn_requantize_bounded_s8(s11, mult1, e1, half1) + zp, 8);
            }
            continue;
        }
        for (int32_t i = 0; i < count; i += 2) {
            const uint8_t *a = (const uint8_t *)scratch + i * stride;
            const uint8_t *b = i + 1 < count ? a + stride : a;
            const int8_t *wp = w;
            int32_t s00 = b0, s01 = b1, s10 = b0, s11 = b1;
            eenn_groups_2x2_dsp(&a, &b, &wp, paired ? row : 0, row >> 2, &s00, &s01, &s10, &s11);
            const int32_t pixels = i + 1 < count ? 2 : 1;
            eenn_conv_store_s8(out + i, pixels, s00, s10, multiplier[m], shift[m], o->bounded, o->full_range, o);
            if (paired) {
                eenn_conv_store_s8(out + out_stride + i, pixels, s01, s11, multiplier[m1], shift[m1], o->bounded,
                                   o->full_range, o);
            }
        }
    }
}
#endif

void eenn_conv2d_s8(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                    const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output, int8_t *EENN_RESTRICT scratch,
                    int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                    int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                    int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                    int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                    int32_t input_offset, int32_t output_offset,
                    const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                    int32_t act_min, int32_t act_max)
{
    const int32_t group_in = in_c / groups;
    const int32_t group_out = out_c / groups;
    const int32_t depth = group_in * kernel_h * kernel_w;
    const int32_t size = out_h * out_w;
    const eenn_output_stage_s8 o = {
        output_offset, act_min, act_max, eenn_requantize_bounded_ok_s8(bias, output_shift, out_c, depth),
        act_min == -128 && act_max == 127,
    };
    eenn_window_s8 g = {
        input, group_in, in_h, in_w, kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left,
        dilation_h, dilation_w, (int8_t)-input_offset,
    };
    for (int32_t n = 0; n < batches; n++) {
        for (int32_t grp = 0; grp < groups; grp++) {
            const int32_t first = grp * group_out;
            const int8_t *w = weights + first * EENN_PAIRED_ROW_S8(depth);
            const int32_t *b = bias != NULL ? bias + first : NULL;
            const int32_t *mult = output_multiplier + first;
            const int32_t *shift = output_shift + first;
            int8_t *out = output + (n * out_c + first) * size;
            g.input = input + (n * in_c + grp * group_in) * in_h * in_w;
            int32_t oy = 0, ox = 0;
#if defined(EENN_CONV_S8_DSP) && EENN_CONV_S8_FEW_VALUES
            if (scratch != NULL && depth < EENN_PAIR_CHUNK_S8) {
                for (int32_t p = 0; p < size; p += EENN_CONV_S8_TILE) {
                    const int32_t count = size - p < EENN_CONV_S8_TILE ? size - p : EENN_CONV_S8_TILE;
                    eenn_conv_tile_small_dsp(&g, out_w, oy, ox, count, w, depth, group_out, b, mult, shift, &o, out + p,
                                             size, scratch);
                    ox += count;
                    oy += ox / out_w;
                    ox %= out_w;
                }
                continue;
            }
#endif
#if EENN_CONV_S8_DIRECT
            if (scratch == NULL) {
                eenn_conv_direct_s8(&g, out_h, out_w, w, group_out, b, mult, shift, &o, out, size);
                continue;
            }
#endif
            for (int32_t p = 0; p < size;) {
                const int32_t pixels = size - p < EENN_CONV_S8_PIXELS ? size - p : EENN_CONV_S8_PIXELS;
                for (int32_t i = 0; i < pixels; i++) {
                    eenn_im2col_s8(&g, oy, ox, eenn_column_s8(scratch, depth, i));
                    eenn_column_done_s8(scratch, depth, i);
                    if (++ox == out_w) {
                        ox = 0;
                        oy++;
                    }
                }
                eenn_multiply_columns_s8(scratch, pixels, w, depth, group_out, b, mult, shift, &o, out + p, size);
                p += pixels;
            }
        }
    }
}

void eenn_conv2d_1x1_s8(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                        const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output, int8_t *EENN_RESTRICT scratch,
                        int32_t batches, int32_t in_c, int32_t size, int32_t out_c,
                        int32_t input_offset, int32_t output_offset,
                        const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                        int32_t act_min, int32_t act_max)
{
    (void)input_offset; /* folded into the bias */
    const eenn_output_stage_s8 o = {
        output_offset, act_min, act_max, eenn_requantize_bounded_ok_s8(bias, output_shift, out_c, in_c),
        act_min == -128 && act_max == 127,
    };
    for (int32_t n = 0; n < batches; n++) {
        const int8_t *in = input + n * in_c * size;
        int8_t *out = output + n * out_c * size;
#if EENN_CONV_S8_DIRECT
        if (scratch == NULL) {
            /* One output channel of one pixel at a time, the input read in place. */
            for (int32_t p = 0; p < size; p++) {
                for (int32_t m = 0; m < out_c; m++) {
                    uint32_t acc = bias != NULL ? (uint32_t)bias[m] : 0u;
                    /* Channel m's row, a chunk of the paired layout at a time. */
                    for (int32_t c0 = 0, chunk = 0; c0 < in_c; c0 += EENN_PAIR_CHUNK_S8, chunk++) {
                        const int8_t *w = eenn_paired_chunk_s8(weights, m, out_c, in_c, chunk);
                        const int32_t end = in_c - c0 < EENN_PAIR_CHUNK_S8 ? in_c : c0 + EENN_PAIR_CHUNK_S8;
                        for (int32_t c = c0; c < end; c++) {
                            acc += (uint32_t)(in[c * size + p] * *w++);
                        }
                    }
                    eenn_conv_store_s8(out + m * size + p, 1, (int32_t)acc, 0, output_multiplier[m], output_shift[m],
                                       o.bounded, 0, &o);
                }
            }
            continue;
        }
#endif
        for (int32_t p = 0; p < size;) {
            const int32_t pixels = size - p < EENN_CONV_S8_PIXELS ? size - p : EENN_CONV_S8_PIXELS;
#if defined(EENN_CONV_S8_DSP)
            if (pixels == 2 && in_c >= EENN_PAIR_CHUNK_S8) {
                eenn_gather_pair_1x1_dsp(in + p, size, in_c, (uint8_t *)eenn_column_s8(scratch, in_c, 0),
                                         (uint8_t *)eenn_column_s8(scratch, in_c, 1));
                eenn_multiply_columns_s8(scratch, 2, weights, in_c, out_c, bias, output_multiplier, output_shift, &o,
                                         out + p, size);
                p += 2;
                continue;
            }
#endif
            for (int32_t i = 0; i < pixels; i++) {
                int8_t *col = eenn_column_s8(scratch, in_c, i);
                const int8_t *x = in + p + i;
                for (int32_t c = 0; c < in_c; c++, x += size) {
                    col[c] = *x;
                }
                eenn_column_done_s8(scratch, in_c, i);
            }
            eenn_multiply_columns_s8(scratch, pixels, weights, in_c, out_c, bias, output_multiplier, output_shift,
                                     &o, out + p, size);
            p += pixels;
        }
    }
}

/* Taps k in [0, kernel) through which output position o reads an input position (o + pad - k * dilation) / stride
   inside [0, size) with no remainder; the input position of each such tap goes to in_pos[k], -1 otherwise. */
static inline void eenn_transpose_taps_s8(int32_t o, int32_t pad, int32_t size, int32_t kernel, int32_t stride,
                                          int32_t dilation, int32_t *in_pos)
{
    for (int32_t k = 0; k < kernel; k++) {
        const int32_t t = o + pad - k * dilation;
        in_pos[k] = -1;
        if (t >= 0 && t % stride == 0 && t / stride < size) {
            in_pos[k] = t / stride;
        }
    }
}

void eenn_conv_transpose2d_s8(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                              const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                              int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                              int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                              int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                              int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                              int32_t input_offset, int32_t output_offset,
                              const int32_t *EENN_RESTRICT output_multiplier,
                              const int32_t *EENN_RESTRICT output_shift, int32_t act_min, int32_t act_max)
{
    const int32_t group_in = in_c / groups;
    const int32_t group_out = out_c / groups;
    const int32_t in_size = in_h * in_w;
    const int32_t taps = kernel_h * kernel_w;
    /* Kernels are small; windows up to 16 taps wide per axis are resolved once per output row / column. */
    int32_t iy_of[16];
    int32_t ix_of[16];
    for (int32_t n = 0; n < batches; n++) {
        for (int32_t oc = 0; oc < out_c; oc++) {
            const int32_t g = oc / group_out;
            const int32_t m = oc % group_out;
            const int8_t *in_g = input + (n * in_c + g * group_in) * in_size;
            const int32_t b = bias != NULL ? bias[oc] : 0;
            int8_t *out = output + (n * out_c + oc) * out_h * out_w;
            for (int32_t oy = 0; oy < out_h; oy++) {
                eenn_transpose_taps_s8(oy, pad_top, in_h, kernel_h, stride_h, dilation_h, iy_of);
                for (int32_t ox = 0; ox < out_w; ox++) {
                    eenn_transpose_taps_s8(ox, pad_left, in_w, kernel_w, stride_w, dilation_w, ix_of);
                    int32_t acc = 0;
                    for (int32_t c = 0; c < group_in; c++) {
                        const int8_t *plane = in_g + c * in_size;
                        const int8_t *w = weights + ((g * group_in + c) * group_out + m) * taps;
                        for (int32_t ky = 0; ky < kernel_h; ky++) {
                            if (iy_of[ky] < 0) {
                                continue;
                            }
                            const int8_t *row = plane + iy_of[ky] * in_w;
                            for (int32_t kx = 0; kx < kernel_w; kx++) {
                                if (ix_of[kx] >= 0) {
                                    acc += ((int32_t)row[ix_of[kx]] + input_offset) * w[ky * kernel_w + kx];
                                }
                            }
                        }
                    }
                    *out++ = eenn_requantize_s8(eenn_add_wrap_s32(acc, b), output_multiplier[oc], output_shift[oc],
                                                output_offset, act_min, act_max);
                }
            }
        }
    }
}
