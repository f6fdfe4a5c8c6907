/*
 * eenn_conv2d_s8.c - int8 2-D convolution (NCHW), any groups, stride, dilation and padding (1-D as a 2-D of one
 * row).
 *
 * Each output pixel's values (its im2col column: the window in the order of a weight row, padded taps holding
 * the input zero point) are gathered into the scratch, two pixels at a time on DSP and MVE, and multiplied with
 * every weight row of the group by eenn_multiply_columns_s8. Layers of fewer than 16 values per output (first
 * layers) on DSP gather tiles of EENN_CONV_S8_TILE pixels and requantize each pair of channels over the tile.
 * Without a scratch (NULL) the input is read in place, a run of output pixels of one channel at a time (the
 * memory planner's choice when the scratch would set the arena's peak, `--arena min`). Output stage:
 * eenn_requantize_bounded_s8 when the layer allows it (eenn_requantize_bounded_ok_s8), else eenn_requantize_s8.
 * eenn_conv2d_s8_units computes a run of (pair of output pixels, block of output channels) units only (a tile of
 * an intermittent build: some pixels, or some channels of a pair when a pair of every channel is too much work),
 * each output exactly as the whole call computes it.
 */
#include "eenn_conv_support_s8.h"

/* Pixels gathered at once by the path for fewer than 16 values per output (EENN_CONV_S8_SCRATCH_BYTES). */
#define EENN_CONV_S8_TILE 8

/* The window geometry of one group of a convolution. */
typedef struct
{
    const int8_t *input; /* first input channel of the group, [channels, in_h, in_w] */
    int32_t channels, in_h, in_w;
    int32_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w;
    int8_t pad_value; /* the input zero point */
} eenn_window_s8;

/* v, hidden from the optimizer (no instruction): a loop copying such values is not turned into a call to memcpy,
   which costs more than the few bytes of an im2col row. */
static inline uint32_t eenn_opaque_u32(uint32_t v)
{
    __asm__(""
            : "+r"(v));
    return v;
}

/*
 * The run of n bytes at `from` copied to `to`; returns to + n. With unaligned word access (EENN_HAS_UNALIGNED)
 * whole words: up to 3 bytes past to + n change (the scratch has room for them, eenn_column_s8).
 */
static inline int8_t *eenn_copy_run_s8(int8_t *EENN_RESTRICT to, const int8_t *EENN_RESTRICT from, int32_t n)
{
#if EENN_HAS_UNALIGNED
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
#if EENN_HAS_UNALIGNED
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

#if EENN_CONV_S8_DIRECT
/*
 * acc[i] += wv * x[i * stride] for the sums [acc, end), at least one. The weight is taken through
 * eenn_opaque_u32 as a value of the loop's own: the scratch-less path holds more values than there are registers,
 * and without it the compiler reloads the weight from the stack at every pixel.
 */
EENN_CONV_S8_INLINE void eenn_mac_run_s8(uint32_t *EENN_RESTRICT acc, const uint32_t *end, const int8_t *EENN_RESTRICT x,
                                         int32_t stride, int32_t wv)
{
    const int32_t k = (int8_t)eenn_opaque_u32((uint32_t)wv); /* the same int8 weight */
    do {
        *acc++ += (uint32_t)(k * *x);
        x += stride;
    } while (acc != end);
}
/* Output pixels of one row whose sums the scratch-less path keeps on the stack at once. */
#define EENN_CONV_S8_DIRECT_PIXELS 32

/*
 * Without a scratch: the output pixels [first, end) (row-major) of a group, reading the input in place. For each run
 * of up to EENN_CONV_S8_DIRECT_PIXELS pixels of an output row and each output channel, the sums sit on the stack and each
 * weight (walked chunk by chunk of the paired layout) is multiplied with the input values of its tap across the
 * run: taps in the padding add weight * pad_value.
 */
static void eenn_conv_direct_s8(const eenn_window_s8 *g, int32_t first, int32_t end, int32_t out_w,
                                const int8_t *EENN_RESTRICT weights, int32_t channels,
                                const int32_t *EENN_RESTRICT bias, const int32_t *EENN_RESTRICT multiplier,
                                const int32_t *EENN_RESTRICT shift, const eenn_output_stage_s8 *o,
                                int8_t *EENN_RESTRICT out, int32_t out_stride)
{
    const int32_t depth = g->channels * g->kernel_h * g->kernel_w;
    const int32_t plane = g->in_h * g->in_w;
    uint32_t acc[EENN_CONV_S8_DIRECT_PIXELS]; /* int32 sums, added modulo 2^32 */
    for (int32_t oy = first / out_w; oy * out_w < end; oy++) {
        const int32_t iy0 = oy * g->stride_h - g->pad_top;
        /* The columns [x_first, x_end) of this row in the run. */
        const int32_t x_first = oy * out_w < first ? first - oy * out_w : 0;
        const int32_t x_end = (oy + 1) * out_w > end ? end - oy * out_w : out_w;
        for (int32_t x0 = x_first; x0 < x_end; x0 += EENN_CONV_S8_DIRECT_PIXELS) {
            const int32_t n = x_end - x0 < EENN_CONV_S8_DIRECT_PIXELS ? x_end - x0 : EENN_CONV_S8_DIRECT_PIXELS;
            for (int32_t m = 0; m < channels; m++) {
                const uint32_t b = bias != NULL ? (uint32_t)bias[m] : 0u;
                for (int32_t i = 0; i < n; i++) {
                    acc[i] = b;
                }
                int32_t chunk = 0;
                const int8_t *w = eenn_paired_chunk_s8(weights, m, channels, depth, 0);
                int32_t left = EENN_PAIR_CHUNK_S8; /* weights left in this chunk of the row */
                const int8_t *in = g->input;       /* channel c of the input */
                for (int32_t c = 0; c < g->channels; c++, in += plane) {
                    for (int32_t ky = 0; ky < g->kernel_h; ky++) {
                        const int32_t iy = iy0 + ky * g->dilation_h;
                        const int32_t row_inside = iy >= 0 && iy < g->in_h;
                        for (int32_t kx = 0, dx = -g->pad_left; kx < g->kernel_w; kx++, dx += g->dilation_w) {
                            const int32_t wv = *w++;
                            if (--left == 0) {
                                w = eenn_paired_chunk_s8(weights, m, channels, depth, ++chunk);
                                left = EENN_PAIR_CHUNK_S8;
                            }
                            const uint32_t padded = (uint32_t)(wv * g->pad_value);
                            /* Pixels [lo, hi) of the run read inside the row; the others read the padding. */
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
                                const int8_t *x = in + iy * g->in_w + (x0 + lo) * g->stride_w + dx;
                                eenn_mac_run_s8(acc + lo, acc + hi, x, g->stride_w, wv);
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
 * requantization once and runs over the tile, one SMLAD loop of depth / 4 groups per 2 x 2 block. The tile starts
 * at output pixel (*oy, *ox), which is moved on past it.
 */
static void eenn_conv_tile_small_dsp(const eenn_window_s8 *g, int32_t out_w, int32_t *oy, int32_t *ox, int32_t count,
                                     const int8_t *EENN_RESTRICT w, int32_t depth, int32_t channels,
                                     const int32_t *EENN_RESTRICT bias, const int32_t *EENN_RESTRICT multiplier,
                                     const int32_t *EENN_RESTRICT shift, const eenn_output_stage_s8 *o,
                                     int8_t *EENN_RESTRICT out, int32_t out_stride, int8_t *scratch,
                                     const eenn_conv_group_s8 *columns)
{
    const int32_t row = EENN_PAIRED_ROW_S8(depth); /* depth rounded up to 4: the column and each weight row */
    const int32_t stride = 2 * row;
    for (int32_t i = 0; i < count; i++) {
        eenn_im2col_s8(g, *oy, *ox, scratch + i * stride);
        eenn_expand_column_s8((uint8_t *)scratch + i * stride, depth);
        if (++*ox == out_w) {
            *ox = 0;
            ++*oy;
        }
    }
    if (!(o->bounded && o->full_range && count == EENN_CONV_S8_TILE)) {
        /* A short last tile, or a narrower clamp or the exact output stage: the column multiply, a pair of
           pixels at a time (the tile's columns are laid out as it reads them). */
        for (int32_t i = 0; i < count; i += 2) {
            eenn_multiply_columns_s8(scratch + i * stride, count - i < 2 ? 1 : 2, columns, out + i);
        }
        return;
    }
    /* The usual case: each pair of channels derives its requantization once for the tile. */
    for (int32_t m = 0; m < channels; m += 2, w += 2 * row, out += 2 * out_stride) {
        const int32_t paired = m + 1 < channels;
        const int32_t m1 = paired ? m + 1 : m;
        const int32_t b0 = bias != NULL ? bias[m] : 0, b1 = bias != NULL ? bias[m1] : 0;
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
    }
}
#endif

#if EENN_CONV_S8_FEW_VALUES
/*
 * Layers of fewer than 16 values per output (first layers) with dilation_w 1, on every core: runs of the pixels of
 * one output row. The input rows a run reads (in_c * kernel_h rows of (count - 1) * stride_w + kernel_w values,
 * the padding written as the zero point) are copied into the scratch once per run; then each output channel goes
 * along the run with its few weights in registers, reading every tap without a test, and requantizes each output
 * with the bounded form (eenn_requantize_bounded_s8) where the layer allows it.
 */

/* The slack after the values of each row of a run: the word reads of the DSP loops go up to 3 bytes past. */
#define EENN_CONV_S8_RUN_SLACK 4

/* Bytes from one row of a run to the next for 3x3 windows of one input channel: the scratch of 9 values holds
   three rows of this pitch, which the DSP and Helium loops take as an immediate offset. */
#define EENN_CONV_S8_RUN_PITCH_3X3 64
_Static_assert(EENN_CONV_S8_SCRATCH_BYTES(9) / 3 == EENN_CONV_S8_RUN_PITCH_3X3, "pitch of the rows of a 3x3 run");
/* The text of a macro's value, for the offsets of the assembly loops. */
#define EENN_STRINGIFY_(x) #x
#define EENN_STRINGIFY(x) EENN_STRINGIFY_(x)

/*
 * The input rows of the run of `count` output pixels of output row oy from column ox: row r = c * kernel_h + ky
 * at rows + r * pitch holds the `width` = (count - 1) * stride_w + kernel_w values that row ky of the windows
 * of input channel c reads, the padding as the zero point.
 */
static void eenn_conv_run_rows_s8(const eenn_window_s8 *g, int32_t oy, int32_t ox, int32_t width, int8_t *rows,
                                  int32_t pitch)
{
    const int32_t ix0 = ox * g->stride_w - g->pad_left;
    /* Values [lo, hi) of each row lie inside the input. */
    int32_t lo = ix0 < 0 ? -ix0 : 0;
    int32_t hi = g->in_w - ix0 < width ? g->in_w - ix0 : width;
    if (lo > width) {
        lo = width;
    }
    if (hi < lo) {
        hi = lo;
    }
    const int32_t plane = g->in_h * g->in_w;
    for (int32_t c = 0; c < g->channels; c++) {
        for (int32_t ky = 0; ky < g->kernel_h; ky++, rows += pitch) {
            const int32_t iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
            int32_t j = 0;
            if (iy >= 0 && iy < g->in_h) {
                for (; j < lo; j++) {
                    rows[j] = g->pad_value;
                }
                eenn_copy_run_s8(rows + lo, g->input + c * plane + iy * g->in_w + ix0 + lo, hi - lo);
                j = hi;
            }
            for (; j < width; j++) {
                rows[j] = g->pad_value;
            }
        }
    }
}

/*
 * The outputs of one channel along a run of `count` pixels, any window of `nrows` rows of kernel_w values
 * (portable C): acc = bias + weights . window, then eenn_conv_store_s8.
 */
static void eenn_conv_run_any_s8(const int8_t *rows, int32_t pitch, int32_t nrows, int32_t kernel_w, int32_t stride,
                                 int32_t count, const int8_t *EENN_RESTRICT w, int32_t bias, int32_t multiplier,
                                 int32_t shift, const eenn_output_stage_s8 *o, int8_t *EENN_RESTRICT out)
{
    for (int32_t i = 0; i < count; i++) {
        uint32_t acc = (uint32_t)bias; /* int32, added modulo 2^32 */
        const int8_t *x = rows + i * stride;
        const int8_t *k = w;
        for (int32_t r = 0; r < nrows; r++, x += pitch) {
            for (int32_t kx = 0; kx < kernel_w; kx++) {
                acc += (uint32_t)(*k++ * x[kx]);
            }
        }
        eenn_conv_store_s8(out + i, 1, (int32_t)acc, 0, multiplier, shift, o->bounded, o->full_range, o);
    }
}

#if defined(EENN_CONV_S8_DSP)
/* The int16 pair (lo, hi) in one word, as SMLAD reads it. */
static inline int32_t eenn_pair_s16(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)hi << 16) | ((uint32_t)lo & 0xFFFFu));
}

/* The int8 output of 2 * acc (the sum doubled, as the weights below are) through the bounded requantization. */
EENN_CONV_S8_INLINE int8_t eenn_conv_run_output_s8(int32_t acc2, int32_t multiplier, int32_t exponent, int32_t half,
                                                   const eenn_output_stage_s8 *o)
{
    const int32_t v = eenn_high_mult_round_s32(acc2, multiplier);
    const int32_t y = ((v + half + (v >> 31)) >> exponent) + o->output_offset;
    return (int8_t)(o->full_range ? __ssat(y, 8) : eenn_clamp_s32(y, o->act_min, o->act_max));
}


/* What the DSP 3x3 loop reads from memory at every pair of outputs (its registers hold the rest). */
typedef struct
{
    int32_t bias2;      /* 2 * bias */
    int32_t multiplier; /* of eenn_high_mult_round_s32 */
    int32_t exponent;   /* -shift, in [1, 22] */
    int32_t offset;     /* 2^(exponent - 1) + (output_offset << exponent): the rounding and the zero point at once */
} eenn_run_stage_s8;

/*
 * 3 rows of 3 values (a 3x3 window of one input channel) on DSP, bounded layers: the 9 weights, doubled, sit in
 * five int16 pairs, (k0, k2) of each row and k1 of rows 0, 1 and 2 (the sum comes out doubled, as
 * eenn_high_mult_round_s32 takes it). With stride 1 two neighbouring outputs share one word per row: x0..x3
 * expanded to (x0, x2) and (x1, x3) give k0 x0 + k2 x2 and k0 x1 + k2 x3 with SMLAD and the middle taps with
 * SMLAxy: 3 loads, 6 expansions and 12 multiplies for 18 multiply-accumulates, then ~6 instructions an output.
 * The zero point is added before the shift (exact: floor((X + zp 2^e) / 2^e) = floor(X / 2^e) + zp, and |X| <
 * 2^30 + 2^21, |zp 2^e| <= 2^29 for an exponent up to 22). rows: three rows of EENN_CONV_S8_RUN_PITCH_3X3 bytes.
 */
static EENN_CONV_S8_NOINLINE void eenn_conv_run_3x3_dsp(const int8_t *rows, int32_t stride, int32_t count,
                                                        const int8_t *EENN_RESTRICT w, int32_t bias,
                                                        int32_t multiplier, int32_t shift,
                                                        const eenn_output_stage_s8 *o, int8_t *EENN_RESTRICT out)
{
    const int32_t k02_0 = eenn_pair_s16(2 * w[0], 2 * w[2]);
    const int32_t k02_1 = eenn_pair_s16(2 * w[3], 2 * w[5]);
    const int32_t k02_2 = eenn_pair_s16(2 * w[6], 2 * w[8]);
    const int32_t k1_01 = eenn_pair_s16(2 * w[1], 2 * w[4]);
    const int32_t k1_2 = eenn_pair_s16(2 * w[7], 0);
    const int32_t bias2 = 2 * bias; /* |bias| < 2^29 for a bounded layer */
    const int32_t exponent = -shift, half = 1 << (exponent - 1);
    const int32_t pitch = EENN_CONV_S8_RUN_PITCH_3X3;
    int32_t i = 0;
#if defined(__OPTIMIZE__)
    if (stride == 1 && o->full_range && exponent <= 22 && count >= 2) {
        const eenn_run_stage_s8 stage = { bias2, multiplier, exponent,
                                          half + (int32_t)((uint32_t)o->output_offset << exponent) };
        const eenn_run_stage_s8 *st = &stage;
        const int8_t *x = rows;
        int8_t *y = out;
        int8_t *const end = out + (count & ~1);
        int32_t s0, s1, a, b;
        /* volatile: the outputs are its stores, not its registers. */
        __asm__ volatile(EENN_ASM_SYNTAX_UNIFIED
                "1:\n\t"
                "ldr %[s0], [%[st]]\n\t"
                "ldr %[a], [%[x]]\n\t"
                "sxtb16 %[b], %[a], ror #8\n\t"
                "sxtb16 %[a], %[a]\n\t"
                "smlad %[s1], %[b], %[k02_0], %[s0]\n\t"
                "smlad %[s0], %[a], %[k02_0], %[s0]\n\t"
                "smlabb %[s0], %[b], %[k1_01], %[s0]\n\t"
                "smlatb %[s1], %[a], %[k1_01], %[s1]\n\t"
                "ldr %[a], [%[x], #" EENN_STRINGIFY(EENN_CONV_S8_RUN_PITCH_3X3) "]\n\t"
                "sxtb16 %[b], %[a], ror #8\n\t"
                "sxtb16 %[a], %[a]\n\t"
                "smlad %[s0], %[a], %[k02_1], %[s0]\n\t"
                "smlad %[s1], %[b], %[k02_1], %[s1]\n\t"
                "smlabt %[s0], %[b], %[k1_01], %[s0]\n\t"
                "smlatt %[s1], %[a], %[k1_01], %[s1]\n\t"
                "ldr %[a], [%[x], #" EENN_STRINGIFY(EENN_CONV_S8_RUN_PITCH_3X3) " * 2]\n\t"
                "adds %[x], #2\n\t"
                "sxtb16 %[b], %[a], ror #8\n\t"
                "sxtb16 %[a], %[a]\n\t"
                "smlad %[s0], %[a], %[k02_2], %[s0]\n\t"
                "smlad %[s1], %[b], %[k02_2], %[s1]\n\t"
                "smlabb %[s0], %[b], %[k1_2], %[s0]\n\t"
                "smlatb %[s1], %[a], %[k1_2], %[s1]\n\t"
                "ldrd %[a], %[b], [%[st], #4]\n\t"
                "smmulr %[s0], %[s0], %[a]\n\t"
                "smmulr %[s1], %[s1], %[a]\n\t"
                "ldr %[a], [%[st], #12]\n\t"
                "add %[s0], %[s0], %[s0], asr #31\n\t"
                "add %[s1], %[s1], %[s1], asr #31\n\t"
                "add %[s0], %[a]\n\t"
                "add %[s1], %[a]\n\t"
                "asr %[s0], %[b]\n\t"
                "asr %[s1], %[b]\n\t"
                "ssat %[s0], #8, %[s0]\n\t"
                "ssat %[s1], #8, %[s1]\n\t"
                "strb %[s1], [%[y], #1]\n\t"
                "strb %[s0], [%[y]], #2\n\t"
                "cmp %[y], %[end]\n\t"
                "bne 1b"
                : [s0] "=&r"(s0), [s1] "=&r"(s1), [a] "=&r"(a), [b] "=&r"(b), [x] "+r"(x), [y] "+r"(y)
                : [k02_0] "r"(k02_0), [k02_1] "r"(k02_1), [k02_2] "r"(k02_2), [k1_01] "r"(k1_01), [k1_2] "r"(k1_2),
                  [st] "r"(st), [end] "r"(end)
                : "cc", "memory");
        i = count & ~1;
    }
#endif
    const int8_t *r0 = rows, *r1 = rows + pitch, *r2 = rows + 2 * pitch;
    if (stride == 1) {
        for (; i + 1 < count; i += 2) {
            const uint32_t a = eenn_read_u32(r0 + i), b = eenn_read_u32(r1 + i), c = eenn_read_u32(r2 + i);
            const int32_t a02 = __sxtb16((int32_t)a), a13 = eenn_sxtb16_ror8_s8(a);
            const int32_t b02 = __sxtb16((int32_t)b), b13 = eenn_sxtb16_ror8_s8(b);
            const int32_t c02 = __sxtb16((int32_t)c), c13 = eenn_sxtb16_ror8_s8(c);
            int32_t s0 = __smlad(a02, k02_0, bias2), s1 = __smlad(a13, k02_0, bias2);
            s0 = __smlabb(a13, k1_01, s0);
            s1 = __smlatb(a02, k1_01, s1);
            s0 = __smlad(b02, k02_1, s0);
            s1 = __smlad(b13, k02_1, s1);
            s0 = __smlabt(b13, k1_01, s0);
            s1 = __smlatt(b02, k1_01, s1);
            s0 = __smlad(c02, k02_2, s0);
            s1 = __smlad(c13, k02_2, s1);
            s0 = __smlabb(c13, k1_2, s0);
            s1 = __smlatb(c02, k1_2, s1);
            out[i] = eenn_conv_run_output_s8(s0, multiplier, exponent, half, o);
            out[i + 1] = eenn_conv_run_output_s8(s1, multiplier, exponent, half, o);
        }
    }
    for (; i < count; i++) {
        /* One output: (x0, x2) and x1 of each row. */
        const uint32_t a = eenn_read_u32(r0 + i * stride), b = eenn_read_u32(r1 + i * stride);
        const uint32_t c = eenn_read_u32(r2 + i * stride);
        int32_t s0 = __smlad(__sxtb16((int32_t)a), k02_0, bias2);
        s0 = __smlabb(eenn_sxtb16_ror8_s8(a), k1_01, s0);
        s0 = __smlad(__sxtb16((int32_t)b), k02_1, s0);
        s0 = __smlabt(eenn_sxtb16_ror8_s8(b), k1_01, s0);
        s0 = __smlad(__sxtb16((int32_t)c), k02_2, s0);
        s0 = __smlabb(eenn_sxtb16_ror8_s8(c), k1_2, s0);
        out[i] = eenn_conv_run_output_s8(s0, multiplier, exponent, half, o);
    }
}
#endif

#if defined(EENN_CONV_S8_MVE)
/*
 * Any window on Helium, bounded layers: four outputs per int32x4 (pixels next to each other in an NCHW row), each
 * tap one VLDRB.S32 (a gather for stride_w > 1) and one VMLA by the weight, the tail predicated; the bounded
 * requantization in vectors: VQRDMULH (2 acc m + 2^31) >> 32, then the rounding shift right VRSHL after adding
 * -1 to the negative values (ties away from zero).
 */
static void eenn_conv_run_mve(const int8_t *rows, int32_t pitch, int32_t nrows, int32_t kernel_w, int32_t stride,
                              int32_t count, const int8_t *EENN_RESTRICT w, int32_t bias, int32_t multiplier,
                              int32_t shift, const eenn_output_stage_s8 *o, int8_t *EENN_RESTRICT out)
{
    const uint32x4_t offsets = vmulq_n_u32(vidupq_n_u32(0u, 1), (uint32_t)stride);
    const int32_t taps = nrows * kernel_w;
    for (int32_t i = 0; i < count; i += 4) {
        const mve_pred16_t p = vctp32q((uint32_t)(count - i));
        int32x4_t acc = vdupq_n_s32(bias);
        const int8_t *x = rows + i * stride;
        if (stride == 1) {
            for (int32_t t = 0, kx = 0; t < taps; t++) {
                acc = vmlaq_n_s32(acc, vldrbq_z_s32(x + kx, p), w[t]);
                if (++kx == kernel_w) {
                    kx = 0;
                    x += pitch;
                }
            }
        } else {
            for (int32_t t = 0, kx = 0; t < taps; t++) {
                acc = vmlaq_n_s32(acc, vldrbq_gather_offset_z_s32(x + kx, offsets, p), w[t]);
                if (++kx == kernel_w) {
                    kx = 0;
                    x += pitch;
                }
            }
        }
        int32x4_t v = vqrdmulhq_n_s32(acc, multiplier);
        v = vaddq_s32(v, vshrq_n_s32(v, 31));
        v = vrshlq_n_s32(v, shift);
        v = vaddq_n_s32(v, o->output_offset);
        v = vmaxq_s32(vminq_s32(v, vdupq_n_s32(o->act_max)), vdupq_n_s32(o->act_min));
        vstrbq_p_s32(out + i, v, p);
    }
}
#endif

#if defined(EENN_CONV_S8_MVE)
/* The output stage of the Helium 3x3 loop, loaded into vector registers, and the outputs of the run. */
typedef struct
{
    int32_t bias[4], multiplier[4], shift[4], output_offset[4];
    int32_t count;
} eenn_run_stage_mve_s8;

/*
 * 3 rows of 3 values (a 3x3 window of one input channel) on Helium, bounded layers: eenn_conv_run_mve with the 9
 * weights in registers and the loop unrolled, ~29 instructions for four outputs. Lanes past the run read the
 * slack of the rows (EENN_CONV_S8_RUN_SLACK) and are not stored. rows: three rows of EENN_CONV_S8_RUN_PITCH_3X3
 * bytes.
 */
static EENN_CONV_S8_NOINLINE void eenn_conv_run_3x3_mve(const int8_t *rows, int32_t stride, int32_t count,
                                                        const int8_t *EENN_RESTRICT w, int32_t bias,
                                                        int32_t multiplier, int32_t shift,
                                                        const eenn_output_stage_s8 *o, int8_t *EENN_RESTRICT out)
{
    const int32_t k0 = w[0], k1 = w[1], k2 = w[2], k3 = w[3], k4 = w[4], k5 = w[5], k6 = w[6], k7 = w[7], k8 = w[8];
    /* The output stage in vector registers, leaving the general ones to the weights. */
    const int32x4_t bias4 = vdupq_n_s32(bias), multiplier4 = vdupq_n_s32(multiplier), shift4 = vdupq_n_s32(shift);
    const int32x4_t zero_point = vdupq_n_s32(o->output_offset);
    const int32x4_t low = vdupq_n_s32(o->act_min), high = vdupq_n_s32(o->act_max);
    const int32_t pitch = EENN_CONV_S8_RUN_PITCH_3X3;
#if defined(__OPTIMIZE__)
    if (stride == 1 && o->full_range) {
        /* A tail-predicated low-overhead loop (DLSTP / LETP), the output stage in q4-q7, the row pointer at the
           middle row so that every tap is an immediate offset of it. The clamp to int8 is a saturating shift left
           by 24 and back. */
        const eenn_run_stage_mve_s8 stage = { { bias, bias, bias, bias },
                                              { multiplier, multiplier, multiplier, multiplier },
                                              { shift, shift, shift, shift },
                                              { o->output_offset, o->output_offset, o->output_offset, o->output_offset },
                                              count };
        const eenn_run_stage_mve_s8 *st = &stage;
        const int8_t *x = rows + pitch;
        int8_t *y = out;
        __asm__ volatile(
            "vldrw.u32 q4, [%[st]]\n\t"
            "vldrw.u32 q5, [%[st], #16]\n\t"
            "vldrw.u32 q6, [%[st], #32]\n\t"
            "vldrw.u32 q7, [%[st], #48]\n\t"
            "ldr lr, [%[st], #64]\n\t"
            "dlstp.32 lr, lr\n\t"
            "1:\n\t"
            "vmov q0, q4\n\t"
            "vldrb.s32 q1, [%[x], #-" EENN_STRINGIFY(EENN_CONV_S8_RUN_PITCH_3X3) "]\n\t"
            "vmla.s32 q0, q1, %[k0]\n\t"
            "vldrb.s32 q1, [%[x], #-" EENN_STRINGIFY(EENN_CONV_S8_RUN_PITCH_3X3) " + 1]\n\t"
            "vmla.s32 q0, q1, %[k1]\n\t"
            "vldrb.s32 q1, [%[x], #-" EENN_STRINGIFY(EENN_CONV_S8_RUN_PITCH_3X3) " + 2]\n\t"
            "vmla.s32 q0, q1, %[k2]\n\t"
            "vldrb.s32 q1, [%[x], #1]\n\t"
            "vmla.s32 q0, q1, %[k4]\n\t"
            "vldrb.s32 q1, [%[x], #2]\n\t"
            "vmla.s32 q0, q1, %[k5]\n\t"
            "vldrb.s32 q1, [%[x], #" EENN_STRINGIFY(EENN_CONV_S8_RUN_PITCH_3X3) "]\n\t"
            "vmla.s32 q0, q1, %[k6]\n\t"
            "vldrb.s32 q1, [%[x], #" EENN_STRINGIFY(EENN_CONV_S8_RUN_PITCH_3X3) " + 1]\n\t"
            "vmla.s32 q0, q1, %[k7]\n\t"
            "vldrb.s32 q1, [%[x], #" EENN_STRINGIFY(EENN_CONV_S8_RUN_PITCH_3X3) " + 2]\n\t"
            "vmla.s32 q0, q1, %[k8]\n\t"
            "vldrb.s32 q1, [%[x]], #4\n\t"
            "vmla.s32 q0, q1, %[k3]\n\t"
            "vqrdmulh.s32 q0, q0, q5\n\t"
            "vshr.s32 q1, q0, #31\n\t"
            "vadd.i32 q0, q0, q1\n\t"
            "vrshl.s32 q0, q0, q6\n\t"
            "vadd.i32 q0, q0, q7\n\t"
            "vqshl.s32 q0, q0, #24\n\t"
            "vshr.s32 q0, q0, #24\n\t"
            "vstrb.32 q0, [%[y]], #4\n\t"
            "letp lr, 1b"
            : [x] "+r"(x), [y] "+r"(y)
            : [k0] "r"(k0), [k1] "r"(k1), [k2] "r"(k2), [k3] "r"(k3), [k4] "r"(k4), [k5] "r"(k5), [k6] "r"(k6),
              [k7] "r"(k7), [k8] "r"(k8), [st] "r"(st)
            : "q0", "q1", "q4", "q5", "q6", "q7", "lr", "memory");
        return;
    }
#endif
    if (stride == 1) {
        for (int32_t i = 0; i < count; i += 4) {
            const int8_t *a = rows + i, *c = a + 2 * pitch;
            int32x4_t acc = vmlaq_n_s32(bias4, vldrbq_s32(a), k0);
            acc = vmlaq_n_s32(acc, vldrbq_s32(a + 1), k1);
            acc = vmlaq_n_s32(acc, vldrbq_s32(a + 2), k2);
            acc = vmlaq_n_s32(acc, vldrbq_s32(a + pitch), k3);
            acc = vmlaq_n_s32(acc, vldrbq_s32(a + pitch + 1), k4);
            acc = vmlaq_n_s32(acc, vldrbq_s32(a + pitch + 2), k5);
            acc = vmlaq_n_s32(acc, vldrbq_s32(c), k6);
            acc = vmlaq_n_s32(acc, vldrbq_s32(c + 1), k7);
            acc = vmlaq_n_s32(acc, vldrbq_s32(c + 2), k8);
            int32x4_t v = vqrdmulhq_s32(acc, multiplier4);
            v = vaddq_s32(v, vshrq_n_s32(v, 31));
            v = vaddq_s32(vrshlq_s32(v, shift4), zero_point);
            v = vmaxq_s32(vminq_s32(v, high), low);
            vstrbq_p_s32(out + i, v, vctp32q((uint32_t)(count - i)));
        }
        return;
    }
    const uint32x4_t offsets = vmulq_n_u32(vidupq_n_u32(0u, 1), (uint32_t)stride);
    for (int32_t i = 0; i < count; i += 4) {
        const int8_t *a = rows + i * stride, *c = a + 2 * pitch;
        int32x4_t acc = vmlaq_n_s32(bias4, vldrbq_gather_offset_s32(a, offsets), k0);
        acc = vmlaq_n_s32(acc, vldrbq_gather_offset_s32(a + 1, offsets), k1);
        acc = vmlaq_n_s32(acc, vldrbq_gather_offset_s32(a + 2, offsets), k2);
        acc = vmlaq_n_s32(acc, vldrbq_gather_offset_s32(a + pitch, offsets), k3);
        acc = vmlaq_n_s32(acc, vldrbq_gather_offset_s32(a + pitch + 1, offsets), k4);
        acc = vmlaq_n_s32(acc, vldrbq_gather_offset_s32(a + pitch + 2, offsets), k5);
        acc = vmlaq_n_s32(acc, vldrbq_gather_offset_s32(c, offsets), k6);
        acc = vmlaq_n_s32(acc, vldrbq_gather_offset_s32(c + 1, offsets), k7);
        acc = vmlaq_n_s32(acc, vldrbq_gather_offset_s32(c + 2, offsets), k8);
        int32x4_t v = vqrdmulhq_s32(acc, multiplier4);
        v = vaddq_s32(v, vshrq_n_s32(v, 31));
        v = vaddq_s32(vrshlq_s32(v, shift4), zero_point);
        v = vmaxq_s32(vminq_s32(v, high), low);
        vstrbq_p_s32(out + i, v, vctp32q((uint32_t)(count - i)));
    }
}
#endif

#if !defined(EENN_CONV_S8_DSP) && !defined(EENN_CONV_S8_MVE)
/* 3 rows of 3 values (a 3x3 window of one input channel) in portable C: the 9 weights in locals. */
static void eenn_conv_run_3x3_s8(const int8_t *rows, int32_t pitch, int32_t stride, int32_t count,
                                 const int8_t *EENN_RESTRICT w, int32_t bias, int32_t multiplier, int32_t shift,
                                 const eenn_output_stage_s8 *o, int8_t *EENN_RESTRICT out)
{
    const int32_t k0 = w[0], k1 = w[1], k2 = w[2], k3 = w[3], k4 = w[4], k5 = w[5], k6 = w[6], k7 = w[7], k8 = w[8];
    for (int32_t i = 0; i < count; i++) {
        const int8_t *a = rows + i * stride, *b = a + pitch, *c = b + pitch;
        uint32_t acc = (uint32_t)bias + (uint32_t)(k0 * a[0] + k1 * a[1] + k2 * a[2]);
        acc += (uint32_t)(k3 * b[0] + k4 * b[1] + k5 * b[2]);
        acc += (uint32_t)(k6 * c[0] + k7 * c[1] + k8 * c[2]);
        eenn_conv_store_s8(out + i, 1, (int32_t)acc, 0, multiplier, shift, o->bounded, o->full_range, o);
    }
}
#endif

/*
 * The outputs of pixels [first, end) (row-major) of `channels` output channels of a group through runs of pixels
 * of one output row, as many as the scratch (EENN_CONV_S8_SCRATCH_BYTES(depth) bytes) holds the rows of.
 */
static void eenn_conv_runs_s8(const eenn_window_s8 *g, int32_t out_w, int32_t first, int32_t end,
                              const int8_t *EENN_RESTRICT w, int32_t depth, int32_t channels,
                              const int32_t *EENN_RESTRICT bias, const int32_t *EENN_RESTRICT multiplier,
                              const int32_t *EENN_RESTRICT shift, const eenn_output_stage_s8 *o,
                              int8_t *EENN_RESTRICT out, int32_t out_stride, int8_t *scratch)
{
    const int32_t nrows = g->channels * g->kernel_h;
    const int32_t kw = g->kernel_w, stride = g->stride_w;
    const int32_t row = EENN_PAIRED_ROW_S8(depth); /* the weights of channel m at w + m * row */
    const int32_t pitch = (EENN_CONV_S8_SCRATCH_BYTES(depth) / nrows) & ~3;
    const int32_t most = (pitch - EENN_CONV_S8_RUN_SLACK - kw) / stride + 1; /* pixels of a run */
    for (int32_t p = first; p < end;) {
        const int32_t oy = p / out_w, ox = p - oy * out_w;
        int32_t count = out_w - ox < end - p ? out_w - ox : end - p;
        if (count > most) {
            count = most;
        }
        eenn_conv_run_rows_s8(g, oy, ox, (count - 1) * stride + kw, scratch, pitch);
        for (int32_t m = 0; m < channels; m++) {
            const int32_t b = bias != NULL ? bias[m] : 0;
            int8_t *dst = out + m * out_stride + p;
#if defined(EENN_CONV_S8_DSP)
            if (o->bounded && nrows == 3 && kw == 3) {
                eenn_conv_run_3x3_dsp(scratch, stride, count, w + m * row, b, multiplier[m], shift[m], o, dst);
                continue;
            }
#elif defined(EENN_CONV_S8_MVE)
            if (o->bounded && nrows == 3 && kw == 3) {
                eenn_conv_run_3x3_mve(scratch, stride, count, w + m * row, b, multiplier[m], shift[m], o, dst);
                continue;
            }
            if (o->bounded) {
                eenn_conv_run_mve(scratch, pitch, nrows, kw, stride, count, w + m * row, b, multiplier[m], shift[m], o,
                                  dst);
                continue;
            }
#else
            if (nrows == 3 && kw == 3) {
                eenn_conv_run_3x3_s8(scratch, pitch, stride, count, w + m * row, b, multiplier[m], shift[m], o, dst);
                continue;
            }
#endif
            eenn_conv_run_any_s8(scratch, pitch, nrows, kw, stride, count, w + m * row, b, multiplier[m], shift[m], o,
                                 dst);
        }
        p += count;
    }
}
#endif

/*
 * The outputs of pixels [pixel_begin, pixel_end) (row-major in a plane) of output channels [channel_begin,
 * channel_end) of each group (their indices within the group), in every image: the whole call with pixels
 * [0, out_h * out_w) and channels [0, out_c / groups). Each output is computed as in the whole call. bounded:
 * eenn_requantize_bounded_ok_s8 of the whole layer.
 */
static void eenn_conv_s8(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                         const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                         int8_t *EENN_RESTRICT scratch, int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                         int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                         int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                         int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                         int32_t input_offset, int32_t output_offset,
                         const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                         int32_t act_min, int32_t act_max, int32_t bounded, int32_t pixel_begin, int32_t pixel_end,
                         int32_t channel_begin, int32_t channel_end)
{
    const int32_t group_in = in_c / groups;
    const int32_t group_out = out_c / groups;
    const int32_t channels = channel_end - channel_begin; /* of each group */
    const int32_t depth = group_in * kernel_h * kernel_w;
    const int32_t size = out_h * out_w; /* the stride of output channels */
    const eenn_output_stage_s8 o = {
        output_offset,
        act_min,
        act_max,
        bounded,
        act_min == -128 && act_max == 127,
    };
    eenn_window_s8 g = {
        input,
        group_in,
        in_h,
        in_w,
        kernel_h,
        kernel_w,
        stride_h,
        stride_w,
        pad_top,
        pad_left,
        dilation_h,
        dilation_w,
        (int8_t)-input_offset,
    };
    for (int32_t n = 0; n < batches; n++) {
        for (int32_t grp = 0; grp < groups; grp++) {
            const int32_t first = grp * group_out + channel_begin;
            const int8_t *w = weights + first * EENN_PAIRED_ROW_S8(depth);
            const int32_t *b = bias != NULL ? bias + first : NULL;
            const int32_t *mult = output_multiplier + first;
            const int32_t *shift = output_shift + first;
            int8_t *out = output + (n * out_c + first) * size;
            g.input = input + (n * in_c + grp * group_in) * in_h * in_w;
            int32_t oy = pixel_begin / out_w, ox = pixel_begin % out_w;
            const eenn_conv_group_s8 columns = { w, b, mult, shift, depth, channels, size, &o };
#if EENN_CONV_S8_FEW_VALUES
            if (scratch != NULL && depth < EENN_PAIR_CHUNK_S8 && dilation_w == 1) {
                eenn_conv_runs_s8(&g, out_w, pixel_begin, pixel_end, w, depth, channels, b, mult, shift, &o, out, size,
                                  scratch);
                continue;
            }
#endif
#if defined(EENN_CONV_S8_DSP) && EENN_CONV_S8_FEW_VALUES
            if (scratch != NULL && depth < EENN_PAIR_CHUNK_S8) {
                for (int32_t p = pixel_begin; p < pixel_end; p += EENN_CONV_S8_TILE) {
                    const int32_t count = pixel_end - p < EENN_CONV_S8_TILE ? pixel_end - p : EENN_CONV_S8_TILE;
                    eenn_conv_tile_small_dsp(&g, out_w, &oy, &ox, count, w, depth, channels, b, mult, shift, &o,
                                             out + p, size, scratch, &columns);
                }
                continue;
            }
#endif
#if EENN_CONV_S8_DIRECT
            if (scratch == NULL) {
                eenn_conv_direct_s8(&g, pixel_begin, pixel_end, out_w, w, channels, b, mult, shift, &o, out, size);
                continue;
            }
#endif
            for (int32_t p = pixel_begin; p < pixel_end;) {
                const int32_t pixels = pixel_end - p < EENN_CONV_S8_PIXELS ? pixel_end - p : EENN_CONV_S8_PIXELS;
                for (int32_t i = 0; i < pixels; i++) {
                    eenn_im2col_s8(&g, oy, ox, eenn_column_s8(scratch, depth, i));
                    eenn_column_done_s8(scratch, depth, i);
                    if (++ox == out_w) {
                        ox = 0;
                        oy++;
                    }
                }
                eenn_multiply_columns_s8(scratch, pixels, &columns, out + p);
                p += pixels;
            }
        }
    }
}

void eenn_conv2d_s8_units(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                          const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                          int8_t *EENN_RESTRICT scratch, int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                          int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                          int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                          int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                          int32_t input_offset, int32_t output_offset,
                          const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                          int32_t act_min, int32_t act_max, int32_t bounded, int32_t block_channels,
                          int32_t unit_begin, int32_t unit_end)
{
    const int32_t group_out = out_c / groups;
    const int32_t size = out_h * out_w;
    const int32_t blocks = (group_out + block_channels - 1) / block_channels; /* units of a pair of pixels */
    if (bounded < 0) {
        bounded = eenn_requantize_bounded_ok_s8(bias, output_shift, out_c, (in_c / groups) * kernel_h * kernel_w);
    }
    int32_t u = unit_begin;
    if (u % blocks != 0) {
        /* The run starts inside pair u / blocks: its blocks from there (to the run's end, if that is sooner). */
        const int32_t first = u % blocks;
        const int32_t last = unit_end - u < blocks - first ? first + (unit_end - u) : blocks;
        const int32_t channel_end = last * block_channels < group_out ? last * block_channels : group_out;
        const int32_t pixel = u / blocks * EENN_CONV_S8_UNIT_PIXELS;
        const int32_t pixel_end = size - pixel < EENN_CONV_S8_UNIT_PIXELS ? size : pixel + EENN_CONV_S8_UNIT_PIXELS;
        eenn_conv_s8(input, weights, bias, output, scratch, batches, in_c, in_h, in_w, out_c, out_h, out_w, groups, kernel_h,
                     kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w, input_offset, output_offset,
                     output_multiplier, output_shift, act_min, act_max, bounded, pixel, pixel_end,
                     first * block_channels, channel_end);
        u += last - first;
    }
    if (unit_end / blocks > u / blocks) {
        /* Whole pairs: every channel, each column gathered once. */
        const int32_t pixel_end = unit_end / blocks * EENN_CONV_S8_UNIT_PIXELS;
        eenn_conv_s8(input, weights, bias, output, scratch, batches, in_c, in_h, in_w, out_c, out_h, out_w, groups, kernel_h,
                     kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w, input_offset, output_offset,
                     output_multiplier, output_shift, act_min, act_max, bounded, u / blocks * EENN_CONV_S8_UNIT_PIXELS,
                     pixel_end < size ? pixel_end : size, 0, group_out);
        u = unit_end / blocks * blocks;
    }
    if (u < unit_end) {
        /* The run ends inside pair u / blocks: its first blocks. */
        const int32_t channel_end = (unit_end - u) * block_channels;
        const int32_t pixel = u / blocks * EENN_CONV_S8_UNIT_PIXELS;
        const int32_t pixel_end = size - pixel < EENN_CONV_S8_UNIT_PIXELS ? size : pixel + EENN_CONV_S8_UNIT_PIXELS;
        eenn_conv_s8(input, weights, bias, output, scratch, batches, in_c, in_h, in_w, out_c, out_h, out_w, groups, kernel_h,
                     kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w, input_offset, output_offset,
                     output_multiplier, output_shift, act_min, act_max, bounded, pixel, pixel_end, 0,
                     channel_end < group_out ? channel_end : group_out);
    }
}

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
    eenn_conv_s8(input, weights, bias, output, scratch, batches, in_c, in_h, in_w, out_c, out_h, out_w, groups, kernel_h,
                 kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w, input_offset, output_offset,
                 output_multiplier, output_shift, act_min, act_max,
                 eenn_requantize_bounded_ok_s8(bias, output_shift, out_c, (in_c / groups) * kernel_h * kernel_w), 0,
                 out_h * out_w, 0, out_c / groups);
}
