/*
 * eenn_conv2d_s8.c - int8 2-D convolution (NCHW), any groups, stride, dilation and padding (1-D as a 2-D of one
 * row).
 *
 * Each output pixel's values (its im2col column: the window in the order of a weight row, padded taps holding the
 * input zero point) are gathered into the scratch, two pixels at a time on DSP and MVE, and multiplied with every
 * weight row of the group by eenn_multiply_columns_s8 (windows inside the input copied a word per row, two pixels of
 * an output row together, those over the border of rows of up to 4 values a word per row too). On DSP, layers of
 * 16 to 288 values per output, a multiple of 4, with a bias and the bounded output stage go three pixels at a time
 * (eenn_conv_x3_dsp, EENN_CONV_S8_THREE_PIXELS): their int8 columns gathered into the scratch, expanded and
 * interleaved into a buffer on the stack (1,728 B) and multiplied by eenn_multiply_columns_x3_dsp (on Cortex-M4:
 * 1.09 instructions per multiply-accumulate for a 3x3 layer of 16 -> 32 channels, the gathering ~0.09 of it; 1.23
 * two pixels at a time). With Helium (MVE) and
 * 16 values or more per output, 4 pixels at a time, their columns byte-interleaved by VLDRB gathers, multiplied by
 * eenn_multiply_columns_x4_s8: 4 pixels on one output row with kernels up to 4 wide on rows up to 256 values gather
 * a kernel row of a channel in one 16-byte gather (eenn_im2col_row_x4_mve), others a tap of a channel in one 4-byte
 * gather (eenn_im2col_x4_mve). About 0.22 instructions per MAC on a 3x3 layer of 16 -> 32 channels. Layers of fewer
 * than 16 values per output (first layers) with dilation_w 1 go along runs of an output row instead
 * (eenn_conv_runs_take_s8 says which): the input rows of a run copied into the scratch with their padding, then each
 * channel along the run with its weights in registers (3x3 windows of one input channel, 28x28x1 -> 8: ~2.5
 * instructions per MAC on Cortex-M4 (SMLAD pairs), ~1.3 on M55 (Helium, 4 pixels per vector), ~12 on M0+); the
 * others on DSP gather tiles of EENN_CONV_S8_TILE pixels and requantize each pair of channels over the tile. Without
 * a scratch (NULL) the input is read in place, a run of output pixels of one channel at a time (the memory planner's
 * choice when the scratch would set the arena's peak, `--arena min`). Output stage: eenn_requantize_bounded_s8 when
 * the layer allows it (eenn_requantize_bounded_ok_s8), else eenn_requantize_s8. eenn_conv2d_s8_units computes a run
 * of (pair of output pixels, block of output channels) units only (a tile of an intermittent build: some pixels, or
 * some channels of a pair when a pair of every channel is too much work), each output exactly as the whole call
 * computes it.
 *
 * Without unaligned word access (Armv6-M) the columns are gathered byte by byte: a 3x3 window inside the input
 * from three row pointers (27 instructions per input channel), a window over the border filled with the zero
 * point a word at a time, then its taps inside the input copied over it.
 */
#include "eenn_conv_support_s8.h"

/* Pixels gathered at once by the DSP path for fewer than 16 values per output with dilation_w > 1
   (EENN_CONV_S8_SCRATCH_BYTES). */
#define EENN_CONV_S8_TILE 8

/* eenn_im2col_s8 moves a word at a time where unaligned words load: everywhere but on MVE without
   EENN_CONV_S8_FEW_VALUES, where it serves no fast path (layers of 16 values or more gather by eenn_im2col_x4_mve)
   and its plain loops do. */
#if EENN_HAS_UNALIGNED && (!defined(EENN_CONV_S8_MVE) || EENN_CONV_S8_FEW_VALUES)
#define EENN_IM2COL_S8_WORDS 1
#endif

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
#if defined(EENN_IM2COL_S8_WORDS)
#if EENN_CONV_S8_3X3
        if (dw == 1 && kw == 3 && kh == 3) {
            /* 3x3 windows: three words per channel, each row's 4th byte overwritten by the next row. */
            for (int32_t c = 0; c < g->channels; c++, x += plane, col += 9) {
                eenn_write_u32(col, eenn_opaque_u32(eenn_read_u32(x)));
                eenn_write_u32(col + 3, eenn_opaque_u32(eenn_read_u32(x + row_step)));
                eenn_write_u32(col + 6, eenn_opaque_u32(eenn_read_u32(x + 2 * row_step)));
            }
            return;
        }
#endif
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
#elif !EENN_HAS_UNALIGNED
        if (dw == 1 && kw == 3 && kh == 3) {
            /* 3x3 windows without unaligned word access: nine byte copies per channel from three row pointers. */
            const uint8_t *r0 = (const uint8_t *)x, *r1 = r0 + row_step, *r2 = r1 + row_step;
            uint8_t *to = (uint8_t *)col;
            for (int32_t c = 0; c < g->channels; c++, r0 += plane, r1 += plane, r2 += plane, to += 9) {
                to[0] = r0[0];
                to[1] = r0[1];
                to[2] = r0[2];
                to[3] = r1[0];
                to[4] = r1[1];
                to[5] = r1[2];
                to[6] = r2[0];
                to[7] = r2[1];
                to[8] = r2[2];
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
#if defined(EENN_IM2COL_S8_WORDS)
    if (dw == 1 && kw <= 4 && g->in_w >= 4) {
        /* A window over the border, rows of at most 4 values: each row of the window one word, its taps inside the
           input [first, stop) loaded with one word inside the input row (at `at`), shifted into place, the padded
           taps set to the zero point; rows outside the input all zero point. */
        const int32_t first = ix0 > 0 ? ix0 : 0;
        const int32_t stop = ix0 + kw < g->in_w ? ix0 + kw : g->in_w;
        const int32_t inside = stop - first; /* taps of a row inside the input (none: all padding) */
        const int32_t at = first < g->in_w - 4 ? first : g->in_w - 4;
        const int32_t drop = 8 * (first - at);  /* bits of the loaded word before the first tap inside */
        const int32_t lead = 8 * (first - ix0); /* bits of padding before it in the window's row */
        const uint32_t pads = 0x01010101u * (uint8_t)g->pad_value;
        const uint32_t keep = inside <= 0 ? 0u : (inside >= 4 ? 0xFFFFFFFFu : (1u << (8 * inside)) - 1u) << lead;
        const uint32_t fill = pads & ~keep;
        /* The rows of the window inside the input: [top, bottom) (none when its taps are all padding). */
        int32_t top = iy0 < 0 ? -iy0 : 0, bottom = g->in_h - iy0 < kh ? g->in_h - iy0 : kh;
        if (g->dilation_h != 1) {
            for (top = 0; top < kh && iy0 + top * g->dilation_h < 0; top++) {
            }
            for (bottom = kh; bottom > top && iy0 + (bottom - 1) * g->dilation_h >= g->in_h; bottom--) {
            }
        }
        if (keep == 0u || bottom < top) {
            top = bottom = kh < top ? kh : top; /* every row padding */
        }
        const int8_t *x = g->input + (top < bottom ? (iy0 + top * g->dilation_h) * g->in_w + at : 0);
#if EENN_CONV_S8_3X3
        if (kh == 3 && top == 0 && bottom == 3) {
            /* 3 rows inside (the left and right borders of 3x3 windows): each channel straight through. */
            for (int32_t c = 0; c < g->channels; c++, x += plane, col += 3 * kw) {
                const uint32_t r0 = eenn_read_u32(x), r1 = eenn_read_u32(x + row_step);
                const uint32_t r2 = eenn_read_u32(x + 2 * row_step);
                eenn_write_u32(col, (((r0 >> drop) << lead) & keep) | fill);
                eenn_write_u32(col + kw, (((r1 >> drop) << lead) & keep) | fill);
                eenn_write_u32(col + 2 * kw, (((r2 >> drop) << lead) & keep) | fill);
            }
            return;
        }
        if (kh == 3 && bottom - top == 2) {
            /* 2 rows inside and one all padding (the top and bottom borders of 3x3 windows): the rows in the order
               of the words they write, each word's 4th byte overwritten by the next row. */
            if (top == 1) {
                for (int32_t c = 0; c < g->channels; c++, x += plane, col += 3 * kw) {
                    const uint32_t r1 = eenn_read_u32(x), r2 = eenn_read_u32(x + row_step);
                    eenn_write_u32(col, pads);
                    eenn_write_u32(col + kw, (((r1 >> drop) << lead) & keep) | fill);
                    eenn_write_u32(col + 2 * kw, (((r2 >> drop) << lead) & keep) | fill);
                }
            } else {
                for (int32_t c = 0; c < g->channels; c++, x += plane, col += 3 * kw) {
                    const uint32_t r0 = eenn_read_u32(x), r1 = eenn_read_u32(x + row_step);
                    eenn_write_u32(col, (((r0 >> drop) << lead) & keep) | fill);
                    eenn_write_u32(col + kw, (((r1 >> drop) << lead) & keep) | fill);
                    eenn_write_u32(col + 2 * kw, pads);
                }
            }
            return;
        }
#endif
        for (int32_t c = 0; c < g->channels; c++, x += plane) {
            int32_t ky = 0;
            for (; ky < top; ky++, col += kw) {
                eenn_write_u32(col, pads);
            }
            const int8_t *row = x;
            for (; ky < bottom; ky++, col += kw, row += row_step) {
                eenn_write_u32(col, (((eenn_read_u32(row) >> drop) << lead) & keep) | fill);
            }
            for (; ky < kh; ky++, col += kw) {
                eenn_write_u32(col, pads);
            }
        }
        return;
    }
#endif
#if !EENN_HAS_UNALIGNED
    {
        /* A window over the border without unaligned word access: the column filled with the zero point a word at
           a time (the column is 4-byte aligned, up to 3 bytes written past it), then the taps inside the input
           copied, rows [ky_lo, ky_hi) and taps [lo, hi) of each row, found once. */
        const uint32_t pad = (uint32_t)(uint8_t)g->pad_value * 0x01010101u;
        const int32_t depth = g->channels * kh * kw;
        uint32_t *fill = (uint32_t *)(void *)col;
        for (int32_t i = 0; i < depth; i += 4) {
            *fill++ = pad;
        }
        int32_t lo = 0, hi = kw, ky_lo = 0, ky_hi = kh;
        while (lo < kw && ix0 + lo * dw < 0) {
            lo++;
        }
        while (hi > lo && ix0 + (hi - 1) * dw >= g->in_w) {
            hi--;
        }
        while (ky_lo < kh && iy0 + ky_lo * g->dilation_h < 0) {
            ky_lo++;
        }
        while (ky_hi > ky_lo && iy0 + (ky_hi - 1) * g->dilation_h >= g->in_h) {
            ky_hi--;
        }
        if (lo == hi || ky_lo == ky_hi) {
            return;
        }
        const uint8_t *x = (const uint8_t *)g->input + (iy0 + ky_lo * g->dilation_h) * g->in_w + ix0 + lo * dw;
        uint8_t *to = (uint8_t *)col + ky_lo * kw + lo;
        const int32_t taps = hi - lo;
        for (int32_t c = 0; c < g->channels; c++, x += plane, to += kh * kw) {
            const uint8_t *row = x;
            uint8_t *dst = to;
            for (int32_t ky = ky_lo; ky < ky_hi; ky++, row += row_step, dst += kw) {
                const uint8_t *from = row;
                for (int32_t t = 0; t < taps; t++, from += dw) {
                    dst[t] = *from;
                }
            }
        }
        return;
    }
#endif
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

#if defined(EENN_CONV_S8_DSP) && EENN_HAS_UNALIGNED && EENN_CONV_S8_3X3
/*
 * The im2col columns of the output pixels (oy, ox) and (oy, ox + 1) into col_a and col_b, as eenn_im2col_s8 gathers
 * them: for 3x3 windows of stride 1 (along x) and dilation 1 both inside the input, one load per row of the
 * window gives both pixels' (the second's is the word shifted by a byte); else each column on its own.
 */
static EENN_CONV_S8_NOINLINE void eenn_im2col_pair_s8(const eenn_window_s8 *g, int32_t oy, int32_t ox,
                                                      int8_t *EENN_RESTRICT col_a, int8_t *EENN_RESTRICT col_b)
{
    const int32_t iy0 = oy * g->stride_h - g->pad_top;
    const int32_t ix0 = ox - g->pad_left;
    if (g->kernel_h == 3 && g->kernel_w == 3 && g->dilation_w == 1 && g->stride_w == 1 && iy0 >= 0 && ix0 >= 0 &&
        iy0 + 2 * g->dilation_h < g->in_h && ix0 + 3 < g->in_w) {
        const int32_t plane = g->in_h * g->in_w;
        const int32_t row_step = g->dilation_h * g->in_w;
        const int8_t *x = g->input + iy0 * g->in_w + ix0;
        const int8_t *const end = x + g->channels * plane;
        for (; x != end; x += plane, col_a += 9, col_b += 9) {
            const uint32_t r0 = eenn_read_u32(x), r1 = eenn_read_u32(x + row_step);
            const uint32_t r2 = eenn_read_u32(x + 2 * row_step);
            eenn_write_u32(col_a, r0);
            eenn_write_u32(col_a + 3, r1);
            eenn_write_u32(col_a + 6, r2);
            eenn_write_u32(col_b, r0 >> 8);
            eenn_write_u32(col_b + 3, r1 >> 8);
            eenn_write_u32(col_b + 6, r2 >> 8);
        }
        return;
    }
    eenn_im2col_s8(g, oy, ox, col_a);
    eenn_im2col_s8(g, oy, ox + 1, col_b);
}
#endif

#if defined(EENN_CONV_S8_MVE)
/*
 * The im2col columns of the output pixels [pixel, pixel + pixels) (row-major, 1 to EENN_CONV_S8_MVE_PIXELS; the
 * lanes past them repeat the last), byte-interleaved at `columns`: value k of a weight row (channel, kernel row,
 * kernel column) of pixel j at columns[4 k + j]. Any stride, dilation and padding, the pixels on any output rows:
 * per tap, a vector of the 4 pixels' offsets from the group's input (a tap in the padding points at
 * the zero point, `pad`, and stays there), then for each channel one VLDRB gather of the 4 bytes and one
 * narrowing store, the offsets moved on by a plane.
 */
static EENN_CONV_S8_NOINLINE void eenn_im2col_x4_mve(const eenn_window_s8 *g, int32_t out_w, int32_t pixel,
                                                     int32_t pixels, int8_t *EENN_RESTRICT columns)
{
    int32_t top[EENN_CONV_S8_MVE_PIXELS], left[EENN_CONV_S8_MVE_PIXELS];
    for (int32_t j = 0; j < EENN_CONV_S8_MVE_PIXELS; j++) {
        const int32_t q = pixel + (j < pixels ? j : pixels - 1);
        top[j] = q / out_w * g->stride_h - g->pad_top;
        left[j] = q % out_w * g->stride_w - g->pad_left;
    }
    const int32x4_t iy0 = vldrwq_s32(top), ix0 = vldrwq_s32(left);
    const uint8_t pad = (uint8_t)g->pad_value;
    const uint8_t *base = (const uint8_t *)g->input;
    const uint32x4_t pad_offset = vdupq_n_u32((uint32_t)((uintptr_t)&pad - (uintptr_t)base));
    const int32_t plane = g->in_h * g->in_w, channels = g->channels;
    const int32_t row_bytes = 4 * g->kernel_h * g->kernel_w; /* one channel of the 4 columns */
    int8_t *tap = columns;
    for (int32_t ky = 0; ky < g->kernel_h; ky++) {
        const int32x4_t iy = vaddq_n_s32(iy0, ky * g->dilation_h);
        const mve_pred16_t row_inside = vcmpgeq_n_s32(iy, 0) & vcmpltq_n_s32(iy, g->in_h);
        const int32x4_t row_offset = vmulq_n_s32(iy, g->in_w);
        for (int32_t kx = 0; kx < g->kernel_w; kx++, tap += 4) {
            const int32x4_t ix = vaddq_n_s32(ix0, kx * g->dilation_w);
            const mve_pred16_t inside = row_inside & vcmpgeq_n_s32(ix, 0) & vcmpltq_n_s32(ix, g->in_w);
            uint32x4_t offset = vpselq_u32(vreinterpretq_u32_s32(vaddq_s32(row_offset, ix)), pad_offset, inside);
            const uint32x4_t step = vpselq_u32(vdupq_n_u32((uint32_t)plane), vdupq_n_u32(0u), inside);
            uint8_t *to = (uint8_t *)tap;
            for (int32_t c = channels; c > 0; c--, to += row_bytes) {
                vstrbq_u32(to, vldrbq_gather_offset_u32(base, offset));
                offset = vaddq_u32(offset, step);
            }
        }
    }
}
#endif

#if defined(EENN_CONV_S8_MVE)
/* Widest kernel row eenn_im2col_row_x4_mve gathers: the 4 pixels' taps of a kernel row in one 16-byte vector. */
#define EENN_CONV_S8_MVE_ROW_TAPS 4
/* Widest input row it reads: byte offsets from the start of an input row. */
#define EENN_CONV_S8_MVE_ROW_WIDTH 256

/*
 * eenn_im2col_x4_mve for 4 pixels on one output row (oy; columns ox to ox + pixels - 1, the lanes past them
 * repeating the last), kernel_w <= EENN_CONV_S8_MVE_ROW_TAPS and in_w <= EENN_CONV_S8_MVE_ROW_WIDTH: per channel and
 * kernel row, one VLDRB gather of the 4 pixels' kernel_w taps (byte lane 4 kx + j: offset of tap kx of pixel j
 * from the start of the input row) and one predicated store of its 4 * kernel_w bytes, the taps in the padding
 * replaced by the zero point (VAND, VORR); a kernel row in the padding is the zero point throughout. Kernel row
 * by kernel row, each a loop over the channels.
 */
static EENN_CONV_S8_NOINLINE void eenn_im2col_row_x4_mve(const eenn_window_s8 *g, int32_t oy, int32_t ox,
                                                         int32_t pixels, int8_t *EENN_RESTRICT columns)
{
    const int32_t kh = g->kernel_h, kw = g->kernel_w;
    uint8_t lanes[16] = { 0 };
    uint32_t padded = 0; /* predicate bits of the byte lanes in the padding */
    for (int32_t kx = 0; kx < kw; kx++) {
        for (int32_t j = 0; j < EENN_CONV_S8_MVE_PIXELS; j++) {
            const int32_t ix = (ox + (j < pixels ? j : pixels - 1)) * g->stride_w - g->pad_left + kx * g->dilation_w;
            const int32_t lane = 4 * kx + j;
            if (ix >= 0 && ix < g->in_w) {
                lanes[lane] = (uint8_t)ix;
            } else {
                padded |= 1u << lane;
            }
        }
    }
    const uint8x16_t offset = vldrbq_u8(lanes);
    const uint8x16_t pad = vdupq_n_u8((uint8_t)g->pad_value);
    /* The taps in the padding: pad there, 0 elsewhere; those inside: all ones there. */
    const uint8x16_t pad_part = vpselq_u8(pad, vdupq_n_u8(0u), (mve_pred16_t)padded);
    const uint8x16_t keep = vpselq_u8(vdupq_n_u8(0u), vdupq_n_u8(0xFFu), (mve_pred16_t)padded);
    const int32_t plane = g->in_h * g->in_w, row_bytes = 4 * kw, channel_bytes = row_bytes * kh;
    const mve_pred16_t within = vctp8q((uint32_t)row_bytes); /* the stores write one kernel row each */
    const int32_t iy0 = oy * g->stride_h - g->pad_top;
    for (int32_t ky = 0; ky < kh; ky++) {
        const int32_t iy = iy0 + ky * g->dilation_h;
        uint8_t *to = (uint8_t *)columns + ky * row_bytes;
        const uint8_t *row = (const uint8_t *)g->input + iy * g->in_w;
        if (iy < 0 || iy >= g->in_h) {
            for (int32_t c = g->channels; c > 0; c--, to += channel_bytes) {
                vstrbq_p_u8(to, pad, within);
            }
        } else if (padded != 0) {
            for (int32_t c = g->channels; c > 0; c--, to += channel_bytes, row += plane) {
                vstrbq_p_u8(to, vorrq_u8(vandq_u8(vldrbq_gather_offset_u8(row, offset), keep), pad_part), within);
            }
        } else {
            for (int32_t c = g->channels; c > 0; c--, to += channel_bytes, row += plane) {
                vstrbq_p_u8(to, vldrbq_gather_offset_u8(row, offset), within);
            }
        }
    }
}
#endif

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
 * with the bounded form where the layer allows it (else eenn_conv_store_s8). Fast loops for 3x3 windows of one
 * input channel on DSP and Helium (any window on Helium), portable C for the rest.
 */

/* The slack after the values of each row of a run: the word reads of the DSP loop go up to 3 bytes past. */
#define EENN_CONV_S8_RUN_SLACK 4

/* Bytes from one row of a run to the next for 3x3 windows of one input channel: the scratch of 9 values holds
   three rows of this pitch, which the DSP and Helium loops take as an immediate offset. */
#define EENN_CONV_S8_RUN_PITCH_3X3 64
_Static_assert(EENN_CONV_S8_SCRATCH_BYTES(9) / 3 == EENN_CONV_S8_RUN_PITCH_3X3, "pitch of the rows of a 3x3 run");
/* The text of a macro's value, for the offsets of the assembly loops. */
#define EENN_STRINGIFY_(x) #x
#define EENN_STRINGIFY(x) EENN_STRINGIFY_(x)

/* A run: `count` output pixels of one output row, whose input rows are in the scratch. */
typedef struct
{
    const int8_t *rows; /* row r = c * kernel_h + ky (input channel c, kernel row ky) at rows + r * pitch */
    int32_t pitch, nrows, kernel_w, stride, count;
} eenn_conv_run_s8;

/* n bytes of value v from `to` (n >= 0); with unaligned word access whole words, up to 3 bytes past to + n. */
static inline void eenn_fill_s8(int8_t *to, int8_t v, int32_t n)
{
#if EENN_HAS_UNALIGNED
    const uint32_t word = (uint32_t)(uint8_t)v * 0x01010101u;
    for (int32_t i = 0; i < n; i += 4) {
        eenn_write_u32(to + i, eenn_opaque_u32(word));
    }
#else
    for (int32_t i = 0; i < n; i++) {
        to[i] = (int8_t)eenn_opaque_u32((uint32_t)(uint8_t)v);
    }
#endif
}

/*
 * The input rows of the run of `width` = (count - 1) * stride_w + kernel_w values from output pixel (oy, ox), the
 * padding as the zero point. Each row is written left padding, values, right padding, each part in words that may
 * spill up to 3 bytes into the next part (written after it) or into the row's slack.
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
    const int8_t *x = g->input + ix0 + lo;
    for (int32_t c = 0; c < g->channels; c++, x += plane) {
        int32_t iy = oy * g->stride_h - g->pad_top;
        for (int32_t ky = 0; ky < g->kernel_h; ky++, rows += pitch, iy += g->dilation_h) {
            if (iy < 0 || iy >= g->in_h) {
                eenn_fill_s8(rows, g->pad_value, width);
                continue;
            }
            eenn_fill_s8(rows, g->pad_value, lo);
            eenn_copy_run_s8(rows + lo, x + iy * g->in_w, hi - lo);
            eenn_fill_s8(rows + hi, g->pad_value, width - hi);
        }
    }
}

/* The outputs of every channel of `c` along the run, any window, portable C: acc = bias + weights . window. */
static void eenn_conv_run_any_s8(const eenn_conv_run_s8 *r, const eenn_conv_group_s8 *c, int8_t *EENN_RESTRICT out)
{
    const int32_t row = EENN_PAIRED_ROW_S8(c->depth);
    for (int32_t m = 0; m < c->channels; m++, out += c->out_stride) {
        const int8_t *w = c->weights + m * row;
        const int32_t bias = c->bias != NULL ? c->bias[m] : 0;
        for (int32_t i = 0; i < r->count; i++) {
            uint32_t acc = (uint32_t)bias; /* int32, added modulo 2^32 */
            const int8_t *x = r->rows + i * r->stride;
            const int8_t *k = w;
            for (int32_t y = 0; y < r->nrows; y++, x += r->pitch) {
                for (int32_t kx = 0; kx < r->kernel_w; kx++) {
                    acc += (uint32_t)(*k++ * x[kx]);
                }
            }
            eenn_conv_store_s8(out + i, 1, (int32_t)acc, 0, c->multiplier[m], c->shift[m], c->o->bounded,
                               c->o->full_range, c->o);
        }
    }
}

#if defined(EENN_CONV_S8_DSP)
/* The int8 output of 2 * acc (the sum doubled, as the weights below are) through the bounded requantization. */
EENN_CONV_S8_INLINE int8_t eenn_conv_run_output_s8(int32_t acc2, int32_t multiplier, int32_t exponent, int32_t half,
                                                   const eenn_output_stage_s8 *o)
{
    const int32_t v = eenn_high_mult_round_s32(acc2, multiplier);
    const int32_t y = ((v + half + (v >> 31)) >> exponent) + o->output_offset;
    return (int8_t)(o->full_range ? __ssat(y, 8) : eenn_clamp_s32(y, o->act_min, o->act_max));
}

/* Output channels whose constants the DSP 3x3 path prepares at once (on the stack) for the runs of an image. */
#define EENN_CONV_S8_RUN_BLOCK 8

/* One output channel of the DSP 3x3 loop: its weights as doubled int16 pairs and what the loop reads from memory
   at every pair of outputs (the stage; its registers hold the rest). */
typedef struct
{
    int32_t k02_0, k02_1, k02_2, k1_01, k1_2; /* (k0, k2) of each kernel row, (k1 of row 0, k1 of row 1), (k1, 0) */
    int32_t bias2;                            /* 2 * bias (the stage starts here) */
    int32_t multiplier;                       /* of eenn_high_mult_round_s32 */
    int32_t exponent;                         /* -shift */
    int32_t offset;                           /* 2^(exponent - 1) + (output_offset << exponent), exponent <= 22 */
    int32_t act_min, act_max;                 /* the clamp (when it is not the whole int8 range) */
} eenn_run_channel_dsp_s8;

/*
 * The constants of channels [first, first + n) of `g`: words at weights 0, 3 and 6 of each row (padded with zeros
 * to 12) give (k0, k2) of each kernel row by SXTB16 and (k1, k3) (k4, k6) (k7, 0) rotated by 8; all doubled
 * (|2 k| <= 254 in each int16 half), so that the sum comes out doubled as eenn_high_mult_round_s32 takes it.
 */
static void eenn_conv_run_channels_dsp(const eenn_conv_group_s8 *g, int32_t first, int32_t n,
                                       eenn_run_channel_dsp_s8 *ch)
{
    const int32_t row = EENN_PAIRED_ROW_S8(g->depth);
    for (int32_t j = 0; j < n; j++) {
        const int32_t m = first + j;
        const int8_t *w = g->weights + m * row;
        const uint32_t w0 = eenn_read_u32(w), w3 = eenn_read_u32(w + 3), w6 = eenn_read_u32(w + 6);
        const int32_t k02_0 = __sxtb16((int32_t)w0), k02_1 = __sxtb16((int32_t)w3), k02_2 = __sxtb16((int32_t)w6);
        const int32_t k1_01 = (int32_t)(((uint32_t)eenn_sxtb16_ror8_s8(w0) & 0xFFFFu) |
                                        ((uint32_t)eenn_sxtb16_ror8_s8(w3) << 16));
        const int32_t k1_2 = eenn_sxtb16_ror8_s8(w6);
        const int32_t exponent = -g->shift[m];
        ch[j].k02_0 = __sadd16(k02_0, k02_0);
        ch[j].k02_1 = __sadd16(k02_1, k02_1);
        ch[j].k02_2 = __sadd16(k02_2, k02_2);
        ch[j].k1_01 = __sadd16(k1_01, k1_01);
        ch[j].k1_2 = __sadd16(k1_2, k1_2);
        ch[j].bias2 = 2 * (g->bias != NULL ? g->bias[m] : 0); /* |bias| < 2^29 for a bounded layer */
        ch[j].multiplier = g->multiplier[m];
        ch[j].exponent = exponent;
        ch[j].offset =
            exponent <= 22 ? (1 << (exponent - 1)) + (int32_t)((uint32_t)g->o->output_offset << exponent) : 0;
        ch[j].act_min = g->o->act_min;
        ch[j].act_max = g->o->act_max;
    }
}

/* clang-format off */
/* The multiplies and the requantization up to the clamp of a pair of outputs of the DSP 3x3 loop (see below). */
#define EENN_CONV_RUN_3X3_DSP_PAIR                                                                                    \
    "ldr %[s0], [%[st]]\n\t"                                                                                          \
    "ldr %[a], [%[x]]\n\t"                                                                                            \
    "sxtb16 %[b], %[a], ror #8\n\t"                                                                                   \
    "sxtb16 %[a], %[a]\n\t"                                                                                           \
    "smlad %[s1], %[b], %[k02_0], %[s0]\n\t"                                                                          \
    "smlad %[s0], %[a], %[k02_0], %[s0]\n\t"                                                                          \
    "smlabb %[s0], %[b], %[k1_01], %[s0]\n\t"                                                                         \
    "smlatb %[s1], %[a], %[k1_01], %[s1]\n\t"                                                                         \
    "ldr %[a], [%[x], #" EENN_STRINGIFY(EENN_CONV_S8_RUN_PITCH_3X3) "]\n\t"                                          \
    "sxtb16 %[b], %[a], ror #8\n\t"                                                                                   \
    "sxtb16 %[a], %[a]\n\t"                                                                                           \
    "smlad %[s0], %[a], %[k02_1], %[s0]\n\t"                                                                          \
    "smlad %[s1], %[b], %[k02_1], %[s1]\n\t"                                                                          \
    "smlabt %[s0], %[b], %[k1_01], %[s0]\n\t"                                                                         \
    "smlatt %[s1], %[a], %[k1_01], %[s1]\n\t"                                                                         \
    "ldr %[a], [%[x], #" EENN_STRINGIFY(EENN_CONV_S8_RUN_PITCH_3X3) " * 2]\n\t"                                      \
    "adds %[x], #2\n\t"                                                                                               \
    "sxtb16 %[b], %[a], ror #8\n\t"                                                                                   \
    "sxtb16 %[a], %[a]\n\t"                                                                                           \
    "smlad %[s0], %[a], %[k02_2], %[s0]\n\t"                                                                          \
    "smlad %[s1], %[b], %[k02_2], %[s1]\n\t"                                                                          \
    "smlabb %[s0], %[b], %[k1_2], %[s0]\n\t"                                                                          \
    "smlatb %[s1], %[a], %[k1_2], %[s1]\n\t"                                                                          \
    "ldrd %[a], %[b], [%[st], #4]\n\t"                                                                                \
    "smmulr %[s0], %[s0], %[a]\n\t"                                                                                   \
    "smmulr %[s1], %[s1], %[a]\n\t"                                                                                   \
    "ldr %[a], [%[st], #12]\n\t"                                                                                      \
    "add %[s0], %[s0], %[s0], asr #31\n\t"                                                                            \
    "add %[s1], %[s1], %[s1], asr #31\n\t"                                                                            \
    "add %[s0], %[a]\n\t"                                                                                             \
    "add %[s1], %[a]\n\t"                                                                                             \
    "asr %[s0], %[b]\n\t"                                                                                             \
    "asr %[s1], %[b]\n\t"

/* The multiplies and the requantization up to the clamp of one output of the DSP 3x3 loop, stride 2: (x0, x2) and
   x1 of each row. */
#define EENN_CONV_RUN_3X3_DSP_ONE                                                                                     \
    "ldr %[s0], [%[st]]\n\t"                                                                                          \
    "ldr %[a], [%[x]]\n\t"                                                                                            \
    "sxtb16 %[b], %[a], ror #8\n\t"                                                                                   \
    "sxtb16 %[a], %[a]\n\t"                                                                                           \
    "smlad %[s0], %[a], %[k02_0], %[s0]\n\t"                                                                          \
    "smlabb %[s0], %[b], %[k1_01], %[s0]\n\t"                                                                         \
    "ldr %[a], [%[x], #" EENN_STRINGIFY(EENN_CONV_S8_RUN_PITCH_3X3) "]\n\t"                                          \
    "sxtb16 %[b], %[a], ror #8\n\t"                                                                                   \
    "sxtb16 %[a], %[a]\n\t"                                                                                           \
    "smlad %[s0], %[a], %[k02_1], %[s0]\n\t"                                                                          \
    "smlabt %[s0], %[b], %[k1_01], %[s0]\n\t"                                                                         \
    "ldr %[a], [%[x], #" EENN_STRINGIFY(EENN_CONV_S8_RUN_PITCH_3X3) " * 2]\n\t"                                      \
    "adds %[x], #2\n\t"                                                                                               \
    "sxtb16 %[b], %[a], ror #8\n\t"                                                                                   \
    "sxtb16 %[a], %[a]\n\t"                                                                                           \
    "smlad %[s0], %[a], %[k02_2], %[s0]\n\t"                                                                          \
    "smlabb %[s0], %[b], %[k1_2], %[s0]\n\t"                                                                          \
    "ldrd %[a], %[b], [%[st], #4]\n\t"                                                                                \
    "smmulr %[s0], %[s0], %[a]\n\t"                                                                                   \
    "ldr %[a], [%[st], #12]\n\t"                                                                                      \
    "add %[s0], %[s0], %[s0], asr #31\n\t"                                                                            \
    "add %[s0], %[a]\n\t"                                                                                             \
    "asr %[s0], %[b]\n\t"
/* clang-format on */

#if defined(__OPTIMIZE__)
/* Outputs [y, end) of one channel of the DSP 3x3 loop one at a time, stride 2 (see eenn_conv_run_3x3_dsp), x at
   the first one's window; apart from the loop of pairs, whose registers it would take. */
static EENN_CONV_S8_NOINLINE void eenn_conv_run_3x3_one_dsp(const int8_t *x, int8_t *y, int8_t *const end,
                                                            const eenn_run_channel_dsp_s8 *ch, int32_t full_range)
{
    const int32_t *st = &ch->bias2;
    int32_t s0, a, b;
    /* volatile: the outputs are its stores, not its registers. */
    if (full_range) {
        __asm__ volatile(EENN_ASM_SYNTAX_UNIFIED
                         "1:\n\t" EENN_CONV_RUN_3X3_DSP_ONE
                         "ssat %[s0], #8, %[s0]\n\t"
                         "strb %[s0], [%[y]], #1\n\t"
                         "cmp %[y], %[end]\n\t"
                         "bne 1b"
                         : [s0] "=&r"(s0), [a] "=&r"(a), [b] "=&r"(b), [x] "+r"(x), [y] "+r"(y)
                         : [k02_0] "r"(ch->k02_0), [k02_1] "r"(ch->k02_1), [k02_2] "r"(ch->k02_2),
                           [k1_01] "r"(ch->k1_01), [k1_2] "r"(ch->k1_2), [st] "r"(st), [end] "r"(end)
                         : "cc", "memory");
    } else {
        __asm__ volatile(EENN_ASM_SYNTAX_UNIFIED
                         "1:\n\t" EENN_CONV_RUN_3X3_DSP_ONE
                         "ldrd %[a], %[b], [%[st], #16]\n\t"
                         "cmp %[s0], %[a]\n\t"
                         "it lt\n\t"
                         "movlt %[s0], %[a]\n\t"
                         "cmp %[s0], %[b]\n\t"
                         "it gt\n\t"
                         "movgt %[s0], %[b]\n\t"
                         "strb %[s0], [%[y]], #1\n\t"
                         "cmp %[y], %[end]\n\t"
                         "bne 1b"
                         : [s0] "=&r"(s0), [a] "=&r"(a), [b] "=&r"(b), [x] "+r"(x), [y] "+r"(y)
                         : [k02_0] "r"(ch->k02_0), [k02_1] "r"(ch->k02_1), [k02_2] "r"(ch->k02_2),
                           [k1_01] "r"(ch->k1_01), [k1_2] "r"(ch->k1_2), [st] "r"(st), [end] "r"(end)
                         : "cc", "memory");
    }
}
#endif

/*
 * 3 rows of 3 values (a 3x3 window of one input channel) on DSP, bounded layers, the `n` channels of `ch` along the
 * run (channel j to out + j * out_stride). With stride 1 two neighbouring outputs share one word per row: x0..x3
 * expanded to (x0, x2) and (x1, x3) give k0 x0 + k2 x2 and k0 x1 + k2 x3 with SMLAD and the middle taps with SMLAxy:
 * 3 loads, 6 expansions and 12 multiplies for 18 multiply-accumulates, then ~6 instructions an output; stride 2 one
 * output at a time (~27 instructions), larger strides in C. The zero point is added before the shift (exact:
 * floor((X + zp 2^e) / 2^e) = floor(X / 2^e) + zp, and |X| < 2^30 + 2^21, |zp 2^e| <= 2^29 for an exponent up to
 * 22). Rows of EENN_CONV_S8_RUN_PITCH_3X3 bytes.
 */
static EENN_CONV_S8_NOINLINE void eenn_conv_run_3x3_dsp(const eenn_conv_run_s8 *r, const eenn_run_channel_dsp_s8 *ch,
                                                        int32_t n, const eenn_output_stage_s8 *o,
                                                        int8_t *EENN_RESTRICT out, int32_t out_stride)
{
    const int32_t count = r->count, stride = r->stride;
    const int8_t *r0 = r->rows, *r1 = r0 + EENN_CONV_S8_RUN_PITCH_3X3, *r2 = r1 + EENN_CONV_S8_RUN_PITCH_3X3;
    for (int32_t j = 0; j < n; j++, ch++, out += out_stride) {
        int32_t i = 0;
#if defined(__OPTIMIZE__)
        if (ch->exponent <= 22) {
            const int32_t *st = &ch->bias2;
            const int8_t *x = r0;
            int8_t *y = out;
            int32_t s0, s1, a, b;
            /* volatile: the outputs are its stores, not its registers. */
            if (stride == 1 && count >= 2) {
                int8_t *const end = out + (count & ~1);
                if (o->full_range) {
                    __asm__ volatile(EENN_ASM_SYNTAX_UNIFIED
                                     "1:\n\t" EENN_CONV_RUN_3X3_DSP_PAIR
                                     "ssat %[s0], #8, %[s0]\n\t"
                                     "ssat %[s1], #8, %[s1]\n\t"
                                     "strb %[s1], [%[y], #1]\n\t"
                                     "strb %[s0], [%[y]], #2\n\t"
                                     "cmp %[y], %[end]\n\t"
                                     "bne 1b"
                                     : [s0] "=&r"(s0), [s1] "=&r"(s1), [a] "=&r"(a), [b] "=&r"(b), [x] "+r"(x),
                                       [y] "+r"(y)
                                     : [k02_0] "r"(ch->k02_0), [k02_1] "r"(ch->k02_1), [k02_2] "r"(ch->k02_2),
                                       [k1_01] "r"(ch->k1_01), [k1_2] "r"(ch->k1_2), [st] "r"(st), [end] "r"(end)
                                     : "cc", "memory");
                } else {
                    __asm__ volatile(EENN_ASM_SYNTAX_UNIFIED
                                     "1:\n\t" EENN_CONV_RUN_3X3_DSP_PAIR
                                     "ldrd %[a], %[b], [%[st], #16]\n\t"
                                     "cmp %[s0], %[a]\n\t"
                                     "it lt\n\t"
                                     "movlt %[s0], %[a]\n\t"
                                     "cmp %[s1], %[a]\n\t"
                                     "it lt\n\t"
                                     "movlt %[s1], %[a]\n\t"
                                     "cmp %[s0], %[b]\n\t"
                                     "it gt\n\t"
                                     "movgt %[s0], %[b]\n\t"
                                     "cmp %[s1], %[b]\n\t"
                                     "it gt\n\t"
                                     "movgt %[s1], %[b]\n\t"
                                     "strb %[s1], [%[y], #1]\n\t"
                                     "strb %[s0], [%[y]], #2\n\t"
                                     "cmp %[y], %[end]\n\t"
                                     "bne 1b"
                                     : [s0] "=&r"(s0), [s1] "=&r"(s1), [a] "=&r"(a), [b] "=&r"(b), [x] "+r"(x),
                                       [y] "+r"(y)
                                     : [k02_0] "r"(ch->k02_0), [k02_1] "r"(ch->k02_1), [k02_2] "r"(ch->k02_2),
                                       [k1_01] "r"(ch->k1_01), [k1_2] "r"(ch->k1_2), [st] "r"(st), [end] "r"(end)
                                     : "cc", "memory");
                }
            }
            i = (int32_t)(y - out);
            if (i < count && stride <= 2) {
                /* Every output of a run of stride 2, or the last of an odd run of stride 1. */
                eenn_conv_run_3x3_one_dsp(r0 + i * stride, out + i, out + count, ch, o->full_range);
                continue;
            }
        }
#endif
        /* Unoptimized builds, a right shift beyond 22 bits (the zero point not folded into the rounding), strides
           beyond 2. */
        const int32_t multiplier = ch->multiplier, exponent = ch->exponent, half = 1 << (exponent - 1);
        for (; i < count; i++) {
            const uint32_t a = eenn_read_u32(r0 + i * stride), b = eenn_read_u32(r1 + i * stride);
            const uint32_t c = eenn_read_u32(r2 + i * stride);
            int32_t s0 = __smlad(__sxtb16((int32_t)a), ch->k02_0, ch->bias2);
            s0 = __smlabb(eenn_sxtb16_ror8_s8(a), ch->k1_01, s0);
            s0 = __smlad(__sxtb16((int32_t)b), ch->k02_1, s0);
            s0 = __smlabt(eenn_sxtb16_ror8_s8(b), ch->k1_01, s0);
            s0 = __smlad(__sxtb16((int32_t)c), ch->k02_2, s0);
            s0 = __smlabb(eenn_sxtb16_ror8_s8(c), ch->k1_2, s0);
            out[i] = eenn_conv_run_output_s8(s0, multiplier, exponent, half, o);
        }
    }
}
#endif

#if defined(EENN_CONV_S8_MVE)
/* The bounded requantization of four sums in vectors: VQRDMULH (2 acc m + 2^31) >> 32, -1 added to the negative
   values, then the rounding shift right VRSHL (ties away from zero, as eenn_requantize_bounded_s8). */
EENN_CONV_S8_INLINE int32x4_t eenn_conv_run_output_mve(int32x4_t acc, int32_t multiplier, int32_t shift,
                                                       const eenn_output_stage_s8 *o)
{
    int32x4_t v = vqrdmulhq_n_s32(acc, multiplier);
    v = vaddq_s32(v, vshrq_n_s32(v, 31));
    v = vaddq_n_s32(vrshlq_n_s32(v, shift), o->output_offset);
    return vmaxq_s32(vminq_s32(v, vdupq_n_s32(o->act_max)), vdupq_n_s32(o->act_min));
}

/*
 * Any window on Helium, bounded layers: four outputs per int32x4 (pixels next to each other in an NCHW row), each
 * tap one VLDRB.S32 (a gather for stride_w > 1) and one VMLA by the weight, the tail predicated.
 */
static void eenn_conv_run_mve(const eenn_conv_run_s8 *r, const eenn_conv_group_s8 *g, int8_t *EENN_RESTRICT out)
{
    const int32_t row = EENN_PAIRED_ROW_S8(g->depth);
    const int32_t taps = r->nrows * r->kernel_w;
    const uint32x4_t offsets = vmulq_n_u32(vidupq_n_u32(0u, 1), (uint32_t)r->stride);
    for (int32_t m = 0; m < g->channels; m++, out += g->out_stride) {
        const int8_t *w = g->weights + m * row;
        for (int32_t i = 0; i < r->count; i += 4) {
            /* Lanes past the run read the first pixel's values: every read stays in its row. */
            const mve_pred16_t p = vctp32q((uint32_t)(r->count - i));
            const uint32x4_t lanes = vpselq_u32(offsets, vdupq_n_u32(0u), p);
            int32x4_t acc = vdupq_n_s32(g->bias != NULL ? g->bias[m] : 0);
            const int8_t *x = r->rows + i * r->stride;
            for (int32_t t = 0, kx = 0; t < taps; t++) {
                acc = vmlaq_n_s32(acc, vldrbq_gather_offset_s32(x + kx, lanes), w[t]);
                if (++kx == r->kernel_w) {
                    kx = 0;
                    x += r->pitch;
                }
            }
            vstrbq_p_s32(out + i, eenn_conv_run_output_mve(acc, g->multiplier[m], g->shift[m], g->o), p);
        }
    }
}

/*
 * 3 rows of 3 values on Helium with any stride: the weights in registers, each tap a gather of 4 pixels (VLDRB.S32
 * by a vector of offsets) and a VMLA. Apart from the loop of eenn_conv_run_3x3_mve, whose registers it would take.
 */
static EENN_CONV_S8_NOINLINE void eenn_conv_run_3x3_gather_mve(const eenn_conv_run_s8 *r, const eenn_conv_group_s8 *g,
                                                               int8_t *EENN_RESTRICT out)
{
    const int32_t row = EENN_PAIRED_ROW_S8(g->depth);
    const int32_t count = r->count, pitch = EENN_CONV_S8_RUN_PITCH_3X3;
    for (int32_t m = 0; m < g->channels; m++, out += g->out_stride) {
        const int8_t *w = g->weights + m * row;
        const int32_t k0 = w[0], k1 = w[1], k2 = w[2], k3 = w[3], k4 = w[4], k5 = w[5], k6 = w[6], k7 = w[7];
        const int32_t k8 = w[8];
        const int32_t bias = g->bias != NULL ? g->bias[m] : 0;
        const uint32x4_t offsets = vmulq_n_u32(vidupq_n_u32(0u, 1), (uint32_t)r->stride);
        for (int32_t i = 0; i < count; i += 4) {
            /* Lanes past the run read the first pixel's values: every read stays in its row. */
            const mve_pred16_t p = vctp32q((uint32_t)(count - i));
            const uint32x4_t lanes = vpselq_u32(offsets, vdupq_n_u32(0u), p);
            const int8_t *a = r->rows + i * r->stride, *c = a + 2 * pitch;
            int32x4_t acc = vmlaq_n_s32(vdupq_n_s32(bias), vldrbq_gather_offset_s32(a, lanes), k0);
            acc = vmlaq_n_s32(acc, vldrbq_gather_offset_s32(a + 1, lanes), k1);
            acc = vmlaq_n_s32(acc, vldrbq_gather_offset_s32(a + 2, lanes), k2);
            acc = vmlaq_n_s32(acc, vldrbq_gather_offset_s32(a + pitch, lanes), k3);
            acc = vmlaq_n_s32(acc, vldrbq_gather_offset_s32(a + pitch + 1, lanes), k4);
            acc = vmlaq_n_s32(acc, vldrbq_gather_offset_s32(a + pitch + 2, lanes), k5);
            acc = vmlaq_n_s32(acc, vldrbq_gather_offset_s32(c, lanes), k6);
            acc = vmlaq_n_s32(acc, vldrbq_gather_offset_s32(c + 1, lanes), k7);
            acc = vmlaq_n_s32(acc, vldrbq_gather_offset_s32(c + 2, lanes), k8);
            vstrbq_p_s32(out + i, eenn_conv_run_output_mve(acc, g->multiplier[m], g->shift[m], g->o), p);
        }
    }
}

/* The output stage of the Helium 3x3 loop, moved into vector registers, and the outputs of the run. */
typedef struct
{
    int32_t bias, multiplier, shift, output_offset, act_min, act_max;
    int32_t count;
    const int8_t *input; /* the middle row of the run */
    int8_t *output;
} eenn_run_stage_mve_s8;

/*
 * 3 rows of 3 values (a 3x3 window of one input channel) on Helium, bounded layers: the 9 weights in general
 * registers, the output stage in q2-q7, stride 1 in a tail-predicated low-overhead loop (DLSTP / LETP) of ~29
 * instructions for four outputs, the row pointer at the middle row so that every tap is an immediate offset of it;
 * stride 2 by gathers. Lanes past the run read the slack of the rows and are not stored. Rows of
 * EENN_CONV_S8_RUN_PITCH_3X3 bytes.
 */
static EENN_CONV_S8_NOINLINE void eenn_conv_run_3x3_mve(const eenn_conv_run_s8 *r, const eenn_conv_group_s8 *g,
                                                        int8_t *EENN_RESTRICT out)
{
#if defined(__OPTIMIZE__)
    const eenn_output_stage_s8 *o = g->o;
    const int32_t row = EENN_PAIRED_ROW_S8(g->depth);
    const int32_t count = r->count, pitch = EENN_CONV_S8_RUN_PITCH_3X3;
    if (r->stride != 1) {
        eenn_conv_run_3x3_gather_mve(r, g, out);
        return;
    }
    for (int32_t m = 0; m < g->channels; m++, out += g->out_stride) {
        const int8_t *w = g->weights + m * row;
        const int32_t k0 = w[0], k1 = w[1], k2 = w[2], k3 = w[3], k4 = w[4], k5 = w[5], k6 = w[6], k7 = w[7];
        const int32_t k8 = w[8];
        const int32_t bias = g->bias != NULL ? g->bias[m] : 0;
        const eenn_run_stage_mve_s8 stage = {
            bias, g->multiplier[m], g->shift[m], o->output_offset, o->act_min, o->act_max, count, r->rows + pitch, out
        };
        const void *x = &stage; /* the stage, then the input pointer (one register for both) */
        int8_t *y;
        /* volatile: the outputs are its stores. */
        /* clang-format off */
        __asm__ volatile(
            "ldr %[y], [%[x], #32]\n\t"
            "ldr lr, [%[x]]\n\t"
            "vdup.32 q4, lr\n\t"
            "ldr lr, [%[x], #4]\n\t"
            "vdup.32 q5, lr\n\t"
            "ldr lr, [%[x], #8]\n\t"
            "vdup.32 q6, lr\n\t"
            "ldr lr, [%[x], #12]\n\t"
            "vdup.32 q7, lr\n\t"
            "ldr lr, [%[x], #16]\n\t"
            "vdup.32 q2, lr\n\t"
            "ldr lr, [%[x], #20]\n\t"
            "vdup.32 q3, lr\n\t"
            "ldr lr, [%[x], #24]\n\t"
            "ldr %[x], [%[x], #28]\n\t"
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
            "vmax.s32 q0, q0, q2\n\t"
            "vmin.s32 q0, q0, q3\n\t"
            "vstrb.32 q0, [%[y]], #4\n\t"
            "letp lr, 1b"
            : [x] "+l"(x), [y] "=&l"(y)
            : [k0] "r"(k0), [k1] "r"(k1), [k2] "r"(k2), [k3] "r"(k3), [k4] "r"(k4), [k5] "r"(k5), [k6] "r"(k6),
              [k7] "r"(k7), [k8] "r"(k8)
            : "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "lr", "memory");
        /* clang-format on */
    }
#else
    eenn_conv_run_3x3_gather_mve(r, g, out);
#endif
}
#endif

#if !defined(EENN_CONV_S8_DSP) && !defined(EENN_CONV_S8_MVE)
/* 3 rows of 3 values (a 3x3 window of one input channel) in portable C: the 9 weights in locals. */
static void eenn_conv_run_3x3_s8(const eenn_conv_run_s8 *r, const eenn_conv_group_s8 *g, int8_t *EENN_RESTRICT out)
{
    const int32_t row = EENN_PAIRED_ROW_S8(g->depth);
    for (int32_t m = 0; m < g->channels; m++, out += g->out_stride) {
        const int8_t *w = g->weights + m * row;
        const int32_t k0 = w[0], k1 = w[1], k2 = w[2], k3 = w[3], k4 = w[4], k5 = w[5], k6 = w[6], k7 = w[7];
        const int32_t k8 = w[8];
        const uint32_t bias = g->bias != NULL ? (uint32_t)g->bias[m] : 0u;
        for (int32_t i = 0; i < r->count; i++) {
            const int8_t *a = r->rows + i * r->stride, *b = a + r->pitch, *c = b + r->pitch;
            uint32_t acc = bias + (uint32_t)(k0 * a[0] + k1 * a[1] + k2 * a[2]); /* int32, modulo 2^32 */
            acc += (uint32_t)(k3 * b[0] + k4 * b[1] + k5 * b[2]);
            acc += (uint32_t)(k6 * c[0] + k7 * c[1] + k8 * c[2]);
            eenn_conv_store_s8(out + i, 1, (int32_t)acc, 0, g->multiplier[m], g->shift[m], g->o->bounded,
                               g->o->full_range, g->o);
        }
    }
}
#endif

/* Values per output up to which the runs (one multiply-accumulate per tap) beat the im2col columns on Helium
   (measured: 2 channels of 2x2 and 1x3 windows faster, 3 channels of 2x2 slower). */
#define EENN_CONV_S8_RUN_DEPTH 9

/*
 * 1 when the runs compute a layer of `depth` (< 16) values per output: dilation_w 1, and on DSP 3x3 windows of one
 * input channel of a bounded layer (the columns' SMLAD tiles are faster for the others), on Helium up to
 * EENN_CONV_S8_RUN_DEPTH values, in portable C 3x3 windows of one input channel (the columns are faster for the
 * others).
 */
static inline int32_t eenn_conv_runs_take_s8(const eenn_window_s8 *g, int32_t depth, int32_t bounded)
{
    if (g->dilation_w != 1) {
        return 0;
    }
#if defined(EENN_CONV_S8_DSP)
    (void)depth;
    return bounded && g->channels * g->kernel_h == 3 && g->kernel_w == 3;
#elif defined(EENN_CONV_S8_MVE)
    (void)bounded;
    return depth <= EENN_CONV_S8_RUN_DEPTH;
#else
    (void)depth;
    (void)bounded;
    return g->channels * g->kernel_h == 3 && g->kernel_w == 3;
#endif
}

/*
 * The run of output pixels from p (row-major) to the end of its output row, `end` or as many as the scratch
 * (EENN_CONV_S8_SCRATCH_BYTES(depth) bytes) holds the input rows of (`most`), its rows copied into the scratch.
 */
static void eenn_conv_next_run_s8(const eenn_window_s8 *g, int32_t out_w, int32_t p, int32_t end, int32_t most,
                                  eenn_conv_run_s8 *r)
{
    const int32_t oy = p / out_w, ox = p - oy * out_w;
    r->count = out_w - ox < end - p ? out_w - ox : end - p;
    if (r->count > most) {
        r->count = most;
    }
    eenn_conv_run_rows_s8(g, oy, ox, (r->count - 1) * r->stride + r->kernel_w, (int8_t *)r->rows, r->pitch);
}

/*
 * The outputs of pixels [first, end) (row-major) of the channels of group `c` through runs of pixels of one output
 * row, the input rows of each run in the scratch.
 */
#if defined(EENN_CONV_S8_DSP)
/* Out of line on DSP: inlined into eenn_conv_s8 it takes registers from the loops of the tiles there. */
#define EENN_CONV_S8_RUNS_LINKAGE static EENN_CONV_S8_NOINLINE
#else
#define EENN_CONV_S8_RUNS_LINKAGE static
#endif
EENN_CONV_S8_RUNS_LINKAGE void eenn_conv_runs_s8(const eenn_window_s8 *g, int32_t out_w, int32_t first,
                                                 int32_t end, const eenn_conv_group_s8 *c, int8_t *EENN_RESTRICT out,
                                                 int8_t *scratch)
{
    eenn_conv_run_s8 r;
    r.rows = scratch;
    r.nrows = g->channels * g->kernel_h;
    r.kernel_w = g->kernel_w;
    r.stride = g->stride_w;
    r.pitch = (EENN_CONV_S8_SCRATCH_BYTES(c->depth) / r.nrows) & ~3;
    r.count = 0;
    const int32_t most = (r.pitch - EENN_CONV_S8_RUN_SLACK - r.kernel_w) / r.stride + 1; /* pixels of a run */
    const int32_t window3x3 = r.nrows == 3 && r.kernel_w == 3;
#if defined(EENN_CONV_S8_DSP)
    if (window3x3) {
        /* Bounded (eenn_conv_runs_take_s8). The channels' constants prepared a block at a time, the runs of the
           block's channels. */
        eenn_run_channel_dsp_s8 ch[EENN_CONV_S8_RUN_BLOCK];
        for (int32_t m = 0; m < c->channels; m += EENN_CONV_S8_RUN_BLOCK) {
            const int32_t n = c->channels - m < EENN_CONV_S8_RUN_BLOCK ? c->channels - m : EENN_CONV_S8_RUN_BLOCK;
            eenn_conv_run_channels_dsp(c, m, n, ch);
            for (int32_t p = first; p < end; p += r.count) {
                eenn_conv_next_run_s8(g, out_w, p, end, most, &r);
                eenn_conv_run_3x3_dsp(&r, ch, n, c->o, out + m * c->out_stride + p, c->out_stride);
            }
        }
        return;
    }
#endif
    for (int32_t p = first; p < end; p += r.count) {
        eenn_conv_next_run_s8(g, out_w, p, end, most, &r);
#if defined(EENN_CONV_S8_MVE)
        if (c->o->bounded) {
            if (window3x3) {
                eenn_conv_run_3x3_mve(&r, c, out + p);
            } else {
                eenn_conv_run_mve(&r, c, out + p);
            }
            continue;
        }
#elif !defined(EENN_CONV_S8_DSP)
        if (window3x3) {
            eenn_conv_run_3x3_s8(&r, c, out + p);
            continue;
        }
#endif
        eenn_conv_run_any_s8(&r, c, out + p);
    }
}
#endif

#if defined(EENN_CONV_S8_X3)
/*
 * The int8 columns of three pixels at `from` (`pitch` bytes apart, word aligned, `depth` a multiple of 4) expanded
 * to int16 as eenn_expand_column_s8 expands one, interleaved into `to` a group of 4 values at a time (group g of
 * pixel i at to[6 g + 2 i]): one pointer walks the three columns in the multiply loop. Two groups a step: 24
 * values in 23 instructions.
 */
static EENN_CONV_S8_NOINLINE void eenn_interleave_x3_dsp(const uint8_t *from, int32_t pitch, int32_t depth,
                                                         uint32_t *EENN_RESTRICT to)
{
    const uint8_t *const end = from + depth;
    if ((depth & 4) != 0) {
        /* An odd group count: the first group alone. */
        const uint32_t x = eenn_read_u32(from), y = eenn_read_u32(from + pitch), z = eenn_read_u32(from + 2 * pitch);
        to[0] = (uint32_t)__sxtb16((int32_t)x);
        to[1] = (uint32_t)eenn_sxtb16_ror8_s8(x);
        to[2] = (uint32_t)__sxtb16((int32_t)y);
        to[3] = (uint32_t)eenn_sxtb16_ror8_s8(y);
        to[4] = (uint32_t)__sxtb16((int32_t)z);
        to[5] = (uint32_t)eenn_sxtb16_ror8_s8(z);
        from += 4;
        to += 6;
    }
    if (from != end) {
        const uint8_t *b = from + pitch, *c = from + 2 * pitch;
        uint32_t lo, hi, e0, o0, e1, o1;
/* Two groups of the column at `at`: the first stored by `first`, the second `offset` bytes after it. */
#define EENN_INTERLEAVE_X3_PIXEL(at, first, offset)          \
    "ldrd %[lo], %[hi], [%[" at "]], #8\n\t"                 \
    "sxtb16 %[e0], %[lo]\n\t"                               \
    "sxtb16 %[o0], %[lo], ror #8\n\t"                       \
    "sxtb16 %[e1], %[hi]\n\t"                               \
    "sxtb16 %[o1], %[hi], ror #8\n\t"                       \
    "strd %[e0], %[o0], " first "\n\t"                      \
    "strd %[e1], %[o1], [%[to], #" offset "+24-48]\n\t"
        /* `to` moves on by 48 bytes at the first store. */
        __asm__ volatile(EENN_ASM_SYNTAX_UNIFIED
                         "1:\n\t" EENN_INTERLEAVE_X3_PIXEL("a", "[%[to]], #48", "0")
                             EENN_INTERLEAVE_X3_PIXEL("b", "[%[to], #8-48]", "8")
                                 EENN_INTERLEAVE_X3_PIXEL("c", "[%[to], #16-48]", "16")
                         "cmp %[a], %[end]\n\t"
                         "bne 1b"
                         : [a] "+r"(from), [b] "+r"(b), [c] "+r"(c), [to] "+r"(to), [lo] "=&r"(lo), [hi] "=&r"(hi),
                           [e0] "=&r"(e0), [o0] "=&r"(o0), [e1] "=&r"(e1), [o1] "=&r"(o1)
                         : [end] "r"(end)
                         : "cc", "memory");
#undef EENN_INTERLEAVE_X3_PIXEL
    }
}

/*
 * Pixels [p, pixel_end) of group `c` three at a time (while three are left): their int8 columns gathered into the
 * scratch EENN_CONV_S8_X3_PITCH(depth) bytes apart (two of one output row together), interleaved into a buffer on
 * the stack and multiplied by eenn_multiply_columns_x3_dsp. Returns the first pixel left, with (*oy, *ox) moved
 * to it.
 */
static EENN_CONV_S8_NOINLINE int32_t eenn_conv_x3_dsp(const eenn_window_s8 *g, int32_t out_w, int32_t p,
                                                      int32_t pixel_end, int32_t *oy, int32_t *ox, int8_t *scratch,
                                                      const eenn_conv_group_s8 *c, int8_t *EENN_RESTRICT out)
{
    uint32_t columns[EENN_CONV_S8_X3_MOST * 3 / 2];
    const int32_t pitch = EENN_CONV_S8_X3_PITCH(c->depth);
    int32_t y = *oy, x = *ox;
    for (; pixel_end - p >= 3; p += 3) {
        int8_t *col = scratch;
        for (int32_t i = 0; i < 3;) {
#if EENN_CONV_S8_3X3
            if (i < 2 && x + 1 < out_w) {
                eenn_im2col_pair_s8(g, y, x, col, col + pitch);
                i += 2;
                col += 2 * pitch;
                x += 2;
            } else
#endif
            {
                eenn_im2col_s8(g, y, x, col);
                i++;
                col += pitch;
                x++;
            }
            if (x == out_w) {
                x = 0;
                y++;
            }
        }
        eenn_interleave_x3_dsp((const uint8_t *)scratch, pitch, c->depth, columns);
        eenn_multiply_columns_x3_dsp((const uint8_t *)columns, c, out + p);
    }
    *oy = y;
    *ox = x;
    return p;
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
            if (scratch != NULL && depth < EENN_PAIR_CHUNK_S8 && eenn_conv_runs_take_s8(&g, depth, bounded)) {
                eenn_conv_runs_s8(&g, out_w, pixel_begin, pixel_end, &columns, out, scratch);
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
#if defined(EENN_CONV_S8_MVE)
            if (depth >= EENN_PAIR_CHUNK_S8) {
                /* Helium: 4 pixels per pass, their columns byte-interleaved. */
                for (int32_t p = pixel_begin; p < pixel_end; p += EENN_CONV_S8_MVE_PIXELS) {
                    const int32_t pixels = pixel_end - p < EENN_CONV_S8_MVE_PIXELS ? pixel_end - p : EENN_CONV_S8_MVE_PIXELS;
                    if (kernel_w <= EENN_CONV_S8_MVE_ROW_TAPS && in_w <= EENN_CONV_S8_MVE_ROW_WIDTH &&
                        ox + pixels <= out_w) {
                        eenn_im2col_row_x4_mve(&g, oy, ox, pixels, scratch);
                    } else {
                        eenn_im2col_x4_mve(&g, out_w, p, pixels, scratch);
                    }
                    ox += pixels;
                    if (ox >= out_w) {
                        oy += ox / out_w;
                        ox %= out_w;
                    }
                    eenn_multiply_columns_x4_s8(scratch, pixels, &columns, out + p);
                }
                continue;
            }
#endif
            int32_t p = pixel_begin;
#if defined(EENN_CONV_S8_X3)
            if (eenn_conv_x3_takes_dsp(depth, b, bounded)) {
                /* Three pixels at a time, then the one or two left as below. */
                p = eenn_conv_x3_dsp(&g, out_w, p, pixel_end, &oy, &ox, scratch, &columns, out);
            }
#endif
            while (p < pixel_end) {
                const int32_t pixels = pixel_end - p < EENN_CONV_S8_PIXELS ? pixel_end - p : EENN_CONV_S8_PIXELS;
#if defined(EENN_CONV_S8_DSP) && EENN_HAS_UNALIGNED && EENN_CONV_S8_3X3
                /* Two pixels of one output row: gathered together (eenn_im2col_pair_s8). */
                const int32_t together = pixels == 2 && ox + 1 < out_w;
                if (together) {
                    eenn_im2col_pair_s8(&g, oy, ox, eenn_column_s8(scratch, depth, 0), eenn_column_s8(scratch, depth, 1));
                }
#else
                const int32_t together = 0;
#endif
                for (int32_t i = 0; i < pixels; i++) {
                    if (!together) {
                        eenn_im2col_s8(&g, oy, ox, eenn_column_s8(scratch, depth, i));
                    }
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
