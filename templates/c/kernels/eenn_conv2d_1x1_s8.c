/*
 * eenn_conv2d_1x1_s8.c - int8 1x1 convolution with stride 1, no padding, one group (NCHW): a matrix product per
 * image. The values of one or two pixels are gathered into columns in the scratch and multiplied with the weight
 * rows by eenn_multiply_columns_s8, as eenn_conv2d_s8 multiplies its columns; on DSP two adjacent pixels are
 * gathered and expanded to int16 pairs in one pass (one halfword load per channel): 1.54 instructions per
 * multiply-accumulate on Cortex-M4 for 32 -> 32 channels; three (eenn_conv_1x1_x3_dsp, EENN_CONV_S8_THREE_PIXELS:
 * 16 to 288 input channels, a multiple of 4, with a bias and the bounded output stage) in one pass of a word load
 * per channel into a buffer on the stack, multiplied by eenn_multiply_columns_x3_dsp: 1.43 for 32 -> 32 channels;
 * with Helium (MVE) and 16 input channels or more, 4
 * adjacent pixels (one word load per channel, the columns byte-interleaved) are multiplied by
 * eenn_multiply_columns_x4_s8.
 * Without a scratch (NULL) the input is read in place, one output of one channel at a time; with Helium (16 input
 * channels or more, images up to EENN_CONV_1X1_S8_MVE_DIRECT_SIZE pixels) 4 adjacent pixels of two channels per
 * pass, 8 channels of a pixel per VLDRB gather into int16 lanes and VMLADAVA.S16 (about 0.4 instructions per MAC
 * on 128 -> 64 channels, against 7.3 one output at a time).
 * eenn_conv2d_1x1_s8_units computes a run of (pair of pixels, block of output channels) units only (a tile of an
 * intermittent build), each output exactly as the whole call computes it.
 *
 * The portable path (neither DSP nor MVE) gathers one pixel at a time, four channels a step (3 instructions per
 * value on Armv6-M), for eenn_multiply_columns_s8's one-column multiply.
 */
#include "eenn_conv_support_s8.h"

#if defined(EENN_CONV_S8_DSP)
/*
 * The expanded columns of the two adjacent pixels `x` (first channel) and x + 1 of a 1x1 convolution, channels
 * `size` apart, as eenn_expand_column_s8 lays them out: one halfword load per channel holds both
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
        /* 16 channels or more: the last 4 channels, those already in the group before set to 0; fewer: the channels
           left, then zeros (the column padded to whole groups). */
        const int32_t skip = in_c >= EENN_PAIR_CHUNK_S8 ? whole + 4 - in_c : 0;
        const int32_t stop = in_c >= EENN_PAIR_CHUNK_S8 ? 4 : in_c - whole;
        uint16_t h[4];
        x -= skip * size;
        for (int32_t i = 0; i < 4; i++) {
            h[i] = 0;
            if (i >= skip && i < stop) {
                memcpy(&h[i], x + i * size, 2);
            }
        }
        const uint32_t t02 = (uint32_t)h[0] | (uint32_t)h[2] << 16, t13 = (uint32_t)h[1] | (uint32_t)h[3] << 16;
        eenn_write_u32(col_a, (uint32_t)__sxtb16((int32_t)t02));
        eenn_write_u32(col_a + 4, (uint32_t)__sxtb16((int32_t)t13));
        eenn_write_u32(col_b, (uint32_t)eenn_sxtb16_ror8_s8(t02));
        eenn_write_u32(col_b + 4, (uint32_t)eenn_sxtb16_ror8_s8(t13));
    }
}
#endif

#if defined(EENN_CONV_S8_MVE) && EENN_CONV_S8_DIRECT
/* Most pixels in an image for the Helium path without a scratch: 8 channels' offsets in 16-bit lanes. */
#define EENN_CONV_1X1_S8_MVE_DIRECT_SIZE (65535 / 7)

/* 8 channels of the 4 pixels of eenn_dot_1x1_direct_mve's loop: the rows' 8 weights at w + wa and w + wb (int16
   lanes: q0, q1), each pixel's 8 values gathered into q2, then x moved on by 8 channels. */
/* clang-format off */
#define EENN_CONV_1X1_S8_HALF(wa, wb)        \
    "vldrb.s16 q0, [%[w], #" wa "]\n\t"      \
    "vldrb.s16 q1, [%[w], #" wb "]\n\t"      \
    "vldrb.s16 q2, [%[x], %q[o0]]\n\t"       \
    "vmladava.s16 %[a0], q2, q0\n\t"         \
    "vmladava.s16 %[b0], q2, q1\n\t"         \
    "vldrb.s16 q2, [%[x], %q[o1]]\n\t"       \
    "vmladava.s16 %[a1], q2, q0\n\t"         \
    "vmladava.s16 %[b1], q2, q1\n\t"         \
    "vldrb.s16 q2, [%[x], %q[o2]]\n\t"       \
    "vmladava.s16 %[a2], q2, q0\n\t"         \
    "vmladava.s16 %[b2], q2, q1\n\t"         \
    "vldrb.s16 q2, [%[x], %q[o3]]\n\t"       \
    "vmladava.s16 %[a3], q2, q0\n\t"         \
    "vmladava.s16 %[b3], q2, q1\n\t"         \
    "add %[x], %[step]\n\t"
/* clang-format on */

/*
 * The sums (lanes: the 4 pixels of a pass) of a pair of rows at w (paired layout; `paired` 0: one plain row, its
 * sums in *sum_m only) over the in_c channels of the input at x (channel 0, `size` apart), read in place: 8
 * channels of a pixel by one VLDRB gather into int16 lanes (offsets[j]: pixel j's), 8 weights of each row by one
 * widening VLDRB, one VMLADAVA.S16 per pixel and row; the last in_c % 16 channels predicated.
 */
EENN_CONV_S8_INLINE void eenn_dot_1x1_direct_mve(const int8_t *x, int32_t size, int32_t in_c, const int8_t *w,
                                                 const uint16x8_t offsets[EENN_CONV_S8_MVE_PIXELS], int32_t paired,
                                                 int32x4_t *sum_m, int32x4_t *sum_m1)
{
    const uint16x8_t o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3];
    const int32_t step = 8 * size; /* 8 channels on */
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    int32_t c = 0;
#if defined(__OPTIMIZE__)
    if (paired) {
        /* The whole chunks of a pair: 128 multiply-accumulates in 33 instructions, the 8 sums in even registers
           (VMLADAVA's accumulators), one gathered pixel at a time (4 offset vectors, 2 rows, 1 pixel: 7 of the
           8 vector registers; the optimizer's own allocation spills). */
        int32_t chunks = in_c / EENN_PAIR_CHUNK_S8;
        c = chunks * EENN_PAIR_CHUNK_S8;
        /* clang-format off */
        __asm__("1:\n\t"
                EENN_CONV_1X1_S8_HALF("0", "16")
                EENN_CONV_1X1_S8_HALF("8", "24")
                "adds %[w], #32\n\t"
                "subs %[n], #1\n\t"
                "bne 1b"
                : [a0] "+Te"(a0), [a1] "+Te"(a1), [a2] "+Te"(a2), [a3] "+Te"(a3), [b0] "+Te"(b0), [b1] "+Te"(b1),
                  [b2] "+Te"(b2), [b3] "+Te"(b3), [x] "+r"(x), [w] "+r"(w), [n] "+r"(chunks)
                : [step] "r"(step), [o0] "w"(o0), [o1] "w"(o1), [o2] "w"(o2), [o3] "w"(o3)
                : "q0", "q1", "q2", "cc", "memory");
        /* clang-format on */
    }
#endif
    for (; c + EENN_PAIR_CHUNK_S8 <= in_c; c += EENN_PAIR_CHUNK_S8, w += (paired ? 2 : 1) * EENN_PAIR_CHUNK_S8) {
        for (int32_t half = 0; half < EENN_PAIR_CHUNK_S8; half += 8, x += step) {
            const int16x8_t x0 = vldrbq_gather_offset_s16(x, o0), x1 = vldrbq_gather_offset_s16(x, o1);
            const int16x8_t x2 = vldrbq_gather_offset_s16(x, o2), x3 = vldrbq_gather_offset_s16(x, o3);
            const int16x8_t wa = vldrbq_s16(w + half);
            a0 = vmladavaq_s16(a0, x0, wa);
            a1 = vmladavaq_s16(a1, x1, wa);
            a2 = vmladavaq_s16(a2, x2, wa);
            a3 = vmladavaq_s16(a3, x3, wa);
            if (paired) {
                const int16x8_t wb = vldrbq_s16(w + EENN_PAIR_CHUNK_S8 + half);
                b0 = vmladavaq_s16(b0, x0, wb);
                b1 = vmladavaq_s16(b1, x1, wb);
                b2 = vmladavaq_s16(b2, x2, wb);
                b3 = vmladavaq_s16(b3, x3, wb);
            }
        }
    }
    const int32_t rest = in_c - c; /* the pair's last chunk: [m: rest][m + 1: rest] */
    for (int32_t half = 0; half < rest; half += 8, x += step) {
        const mve_pred16_t p = vctp16q((uint32_t)(rest - half));
        const int16x8_t x0 = vldrbq_gather_offset_z_s16(x, o0, p), x1 = vldrbq_gather_offset_z_s16(x, o1, p);
        const int16x8_t x2 = vldrbq_gather_offset_z_s16(x, o2, p), x3 = vldrbq_gather_offset_z_s16(x, o3, p);
        const int16x8_t wa = vldrbq_z_s16(w + half, p);
        a0 = vmladavaq_s16(a0, x0, wa);
        a1 = vmladavaq_s16(a1, x1, wa);
        a2 = vmladavaq_s16(a2, x2, wa);
        a3 = vmladavaq_s16(a3, x3, wa);
        if (paired) {
            const int16x8_t wb = vldrbq_z_s16(w + rest + half, p);
            b0 = vmladavaq_s16(b0, x0, wb);
            b1 = vmladavaq_s16(b1, x1, wb);
            b2 = vmladavaq_s16(b2, x2, wb);
            b3 = vmladavaq_s16(b3, x3, wb);
        }
    }
    *sum_m = eenn_lanes_x4_mve(a0, a1, a2, a3);
    *sum_m1 = eenn_lanes_x4_mve(b0, b1, b2, b3);
}

/*
 * Without a scratch, with Helium (in_c >= 16, size <= EENN_CONV_1X1_S8_MVE_DIRECT_SIZE): the pixels
 * [pixel_begin, pixel_end) of one image (in, out: channel 0 of the group `g`), 4 adjacent pixels of two output
 * channels per pass read in place (eenn_dot_1x1_direct_mve), each channel's 4 outputs requantized in one vector.
 */
EENN_CONV_S8_INLINE void eenn_conv_1x1_direct_x4_mve(const int8_t *in, int32_t size, int32_t pixel_begin,
                                                     int32_t pixel_end, const eenn_conv_group_s8 *g,
                                                     int8_t *EENN_RESTRICT out, int32_t bounded)
{
    static const int32_t no_bias[2] = { 0, 0 };
    const int32_t in_c = g->depth, channels = g->channels;
    const int32_t offset = g->o->output_offset;
    const int32x4_t lo = vdupq_n_s32(g->o->act_min), hi = vdupq_n_s32(g->o->act_max);
    const uint16x8_t planes = vmulq_n_u16(vidupq_n_u16(0u, 1), (uint16_t)size); /* channel k of 8: k * size */
    for (int32_t p = pixel_begin; p < pixel_end; p += EENN_CONV_S8_MVE_PIXELS) {
        const int32_t pixels = pixel_end - p < EENN_CONV_S8_MVE_PIXELS ? pixel_end - p : EENN_CONV_S8_MVE_PIXELS;
        const mve_pred16_t store = vctp32q((uint32_t)pixels);
        uint16x8_t offsets[EENN_CONV_S8_MVE_PIXELS]; /* the lanes past the last pixel repeat it */
        for (int32_t j = 0; j < EENN_CONV_S8_MVE_PIXELS; j++) {
            offsets[j] = vaddq_n_u16(planes, (uint16_t)(j < pixels ? j : pixels - 1));
        }
        const int8_t *w = g->weights;
        const int32_t *bias = g->bias != NULL ? g->bias : no_bias;
        const int32_t bias_step = g->bias != NULL ? 1 : 0;
        int8_t *o = out + p;
        for (int32_t m = 0; m < channels; m += 2, w += 2 * in_c, bias += 2 * bias_step, o += 2 * size) {
            const int32_t paired = m + 1 < channels;
            int32x4_t sum_m, sum_m1;
            eenn_dot_1x1_direct_mve(in + p, size, in_c, w, offsets, paired, &sum_m, &sum_m1);
            eenn_conv_store_x4_mve(o, sum_m, bias[0], g->multiplier[m], g->shift[m], bounded, offset, lo, hi, store);
            if (paired) {
                eenn_conv_store_x4_mve(o + size, sum_m1, bias[bias_step], g->multiplier[m + 1], g->shift[m + 1],
                                       bounded, offset, lo, hi, store);
            }
        }
    }
}

/* eenn_conv_1x1_direct_x4_mve with the layer's output stage as a constant. */
static EENN_CONV_S8_NOINLINE void eenn_conv_1x1_direct_mve(const int8_t *in, int32_t size, int32_t pixel_begin,
                                                           int32_t pixel_end, const eenn_conv_group_s8 *g,
                                                           int8_t *EENN_RESTRICT out)
{
#if EENN_CONV_S8_SATURATE || EENN_CONV_S8_CLAMP
    if (g->o->bounded) {
        eenn_conv_1x1_direct_x4_mve(in, size, pixel_begin, pixel_end, g, out, 1);
        return;
    }
#endif
    eenn_conv_1x1_direct_x4_mve(in, size, pixel_begin, pixel_end, g, out, 0);
}
#endif

#if defined(EENN_CONV_S8_X3)
/*
 * The expanded columns of the three adjacent pixels `x` (first channel), x + 1 and x + 2 of a 1x1 convolution
 * (`in_c` a multiple of 4), channels `size` apart, interleaved as eenn_multiply_columns_x3_dsp takes them (group g of
 * pixel i at to[6 g + 2 i]): per 4 channels one word of each (the three pixels and the next byte, `words`: the
 * pixels are not the last of the plane) or a halfword and a byte, (c0, c2) and (c1, c3) packed and expanded by
 * SXTB16.
 */
EENN_CONV_S8_INLINE void eenn_gather_x3_1x1_dsp(const int8_t *x, int32_t size, int32_t in_c, uint32_t *EENN_RESTRICT to,
                                                int32_t words)
{
    for (const uint32_t *const end = to + 6 * (in_c >> 2); to != end; to += 6, x += 4 * size) {
        uint32_t w[4];
        for (int32_t i = 0; i < 4; i++) {
            if (words) {
                w[i] = eenn_read_u32(x + i * size);
            } else {
                uint16_t h;
                memcpy(&h, x + i * size, 2);
                w[i] = (uint32_t)h | (uint32_t)(uint8_t)x[i * size + 2] << 16;
            }
        }
        /* The low halves (pixels 0 and 1) and the high halves (pixel 2) of channels 0 and 2, 1 and 3 (PKHBT, PKHTB). */
        const uint32_t lo02 = (w[0] & 0xFFFFu) | w[2] << 16, lo13 = (w[1] & 0xFFFFu) | w[3] << 16;
        const uint32_t hi02 = (w[2] & 0xFFFF0000u) | w[0] >> 16, hi13 = (w[3] & 0xFFFF0000u) | w[1] >> 16;
        to[0] = (uint32_t)__sxtb16((int32_t)lo02);
        to[1] = (uint32_t)__sxtb16((int32_t)lo13);
        to[2] = (uint32_t)eenn_sxtb16_ror8_s8(lo02);
        to[3] = (uint32_t)eenn_sxtb16_ror8_s8(lo13);
        to[4] = (uint32_t)__sxtb16((int32_t)hi02);
        to[5] = (uint32_t)__sxtb16((int32_t)hi13);
    }
}

/*
 * Pixels [p, pixel_end) of one image three at a time (while three are left), gathered by eenn_gather_x3_1x1_dsp
 * into a buffer on the stack and multiplied by eenn_multiply_columns_x3_dsp; returns the first pixel left.
 */
static EENN_CONV_S8_NOINLINE int32_t eenn_conv_1x1_x3_dsp(const int8_t *in, int32_t size, int32_t p, int32_t pixel_end,
                                                          const eenn_conv_group_s8 *c, int8_t *EENN_RESTRICT out)
{
    uint32_t columns[EENN_CONV_S8_X3_MOST * 3 / 2];
    for (; pixel_end - p >= 3; p += 3) {
        if (p + 4 <= size) {
            eenn_gather_x3_1x1_dsp(in + p, size, c->depth, columns, 1);
        } else {
            eenn_gather_x3_1x1_dsp(in + p, size, c->depth, columns, 0);
        }
        eenn_multiply_columns_x3_dsp((const uint8_t *)columns, c, out + p);
    }
    return p;
}
#endif

/*
 * The outputs of pixels [pixel_begin, pixel_end) of output channels [channel_begin, channel_end), in every image:
 * the whole call with every pixel and channel. Each output is computed as in the whole call. bounded:
 * eenn_requantize_bounded_ok_s8 of the whole layer.
 */
static void eenn_conv_1x1_s8(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                             const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                             int8_t *EENN_RESTRICT scratch, int32_t batches, int32_t in_c, int32_t size, int32_t out_c,
                             int32_t input_offset, int32_t output_offset,
                             const int32_t *EENN_RESTRICT output_multiplier,
                             const int32_t *EENN_RESTRICT output_shift, int32_t act_min, int32_t act_max,
                             int32_t bounded, int32_t pixel_begin, int32_t pixel_end, int32_t channel_begin,
                             int32_t channel_end)
{
    (void)input_offset; /* folded into the bias */
    const eenn_output_stage_s8 o = {
        output_offset,
        act_min,
        act_max,
        bounded,
        act_min == -128 && act_max == 127,
    };
    const int32_t channels = channel_end - channel_begin;
    const int32_t *first_bias = bias != NULL ? bias + channel_begin : NULL;
    weights += channel_begin * EENN_PAIRED_ROW_S8(in_c);
    output_multiplier += channel_begin;
    output_shift += channel_begin;
    const eenn_conv_group_s8 columns = { weights, first_bias, output_multiplier, output_shift, in_c, channels, size, &o };
    for (int32_t n = 0; n < batches; n++) {
        const int8_t *in = input + n * in_c * size;
        int8_t *out = output + (n * out_c + channel_begin) * size;
#if EENN_CONV_S8_DIRECT
        if (scratch == NULL) {
#if defined(EENN_CONV_S8_MVE)
            if (in_c >= EENN_PAIR_CHUNK_S8 && size <= EENN_CONV_1X1_S8_MVE_DIRECT_SIZE) {
                eenn_conv_1x1_direct_mve(in, size, pixel_begin, pixel_end, &columns, out);
                continue;
            }
#endif
            /* One output channel of one pixel at a time, the input read in place. */
            for (int32_t p = pixel_begin; p < pixel_end; p++) {
                for (int32_t m = 0; m < channels; m++) {
                    uint32_t acc = first_bias != NULL ? (uint32_t)first_bias[m] : 0u;
                    /* Channel m's row, a chunk of the paired layout at a time. */
                    for (int32_t c0 = 0, chunk = 0; c0 < in_c; c0 += EENN_PAIR_CHUNK_S8, chunk++) {
                        const int8_t *w = eenn_paired_chunk_s8(weights, m, channels, in_c, chunk);
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
#if defined(EENN_CONV_S8_MVE)
        if (in_c >= EENN_PAIR_CHUNK_S8) {
            /* Helium: 4 adjacent pixels per pass, one word of each channel: their columns byte-interleaved. */
            for (int32_t p = pixel_begin; p < pixel_end; p += EENN_CONV_S8_MVE_PIXELS) {
                const int32_t pixels = pixel_end - p < EENN_CONV_S8_MVE_PIXELS ? pixel_end - p : EENN_CONV_S8_MVE_PIXELS;
                const int8_t *x = in + p;
                if (pixels == EENN_CONV_S8_MVE_PIXELS) {
                    for (int32_t c = 0; c < in_c; c++, x += size) {
                        eenn_write_u32(scratch + 4 * c, eenn_read_u32(x));
                    }
                } else {
                    /* The last pixels of the image: the lanes past them repeat the last. */
                    for (int32_t c = 0; c < in_c; c++, x += size) {
                        for (int32_t j = 0; j < EENN_CONV_S8_MVE_PIXELS; j++) {
                            scratch[4 * c + j] = x[j < pixels ? j : pixels - 1];
                        }
                    }
                }
                eenn_multiply_columns_x4_s8(scratch, pixels, &columns, out + p);
            }
            continue;
        }
#endif
        int32_t p = pixel_begin;
#if defined(EENN_CONV_S8_X3)
        if (eenn_conv_x3_takes_dsp(in_c, first_bias, bounded)) {
            /* Three pixels at a time, then the one or two left as below. */
            p = eenn_conv_1x1_x3_dsp(in, size, p, pixel_end, &columns, out);
        }
#endif
        while (p < pixel_end) {
            const int32_t pixels = pixel_end - p < EENN_CONV_S8_PIXELS ? pixel_end - p : EENN_CONV_S8_PIXELS;
#if defined(EENN_CONV_S8_DSP)
            if (pixels == 2) {
                eenn_gather_pair_1x1_dsp(in + p, size, in_c, (uint8_t *)eenn_column_s8(scratch, in_c, 0),
                                         (uint8_t *)eenn_column_s8(scratch, in_c, 1));
                eenn_multiply_columns_s8(scratch, 2, &columns, out + p);
                p += 2;
                continue;
            }
#endif
#if !defined(EENN_CONV_S8_DSP) && !defined(EENN_CONV_S8_MVE)
            {
                /* One pixel (the portable multiply takes one column): four channels a step, three of them read
                   at a register offset from the first. */
                const uint8_t *x = (const uint8_t *)in + p;
                uint8_t *col = (uint8_t *)scratch;
                const int32_t size2 = 2 * size, size3 = 3 * size, size4 = 4 * size;
                int32_t c = 0;
                for (; c + 4 <= in_c; c += 4, x += size4) {
                    col[c] = x[0];
                    col[c + 1] = x[size];
                    col[c + 2] = x[size2];
                    col[c + 3] = x[size3];
                }
                for (; c < in_c; c++, x += size) {
                    col[c] = *x;
                }
                eenn_multiply_columns_s8(scratch, 1, &columns, out + p);
                p++;
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
            eenn_multiply_columns_s8(scratch, pixels, &columns, out + p);
            p += pixels;
        }
    }
}

void eenn_conv2d_1x1_s8_units(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                              const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                              int8_t *EENN_RESTRICT scratch, int32_t batches, int32_t in_c, int32_t size, int32_t out_c,
                              int32_t input_offset, int32_t output_offset,
                              const int32_t *EENN_RESTRICT output_multiplier,
                              const int32_t *EENN_RESTRICT output_shift, int32_t act_min, int32_t act_max,
                              int32_t bounded, int32_t block_channels, int32_t unit_begin, int32_t unit_end)
{
    const int32_t blocks = (out_c + block_channels - 1) / block_channels; /* units of a pair of pixels */
    if (bounded < 0) {
        bounded = eenn_requantize_bounded_ok_s8(bias, output_shift, out_c, in_c);
    }
    int32_t u = unit_begin;
    if (u % blocks != 0) {
        /* The run starts inside pair u / blocks: its blocks from there (to the run's end, if that is sooner). */
        const int32_t first = u % blocks;
        const int32_t last = unit_end - u < blocks - first ? first + (unit_end - u) : blocks;
        const int32_t pixel = u / blocks * EENN_CONV_S8_UNIT_PIXELS;
        const int32_t pixel_end = size - pixel < EENN_CONV_S8_UNIT_PIXELS ? size : pixel + EENN_CONV_S8_UNIT_PIXELS;
        eenn_conv_1x1_s8(input, weights, bias, output, scratch, batches, in_c, size, out_c, input_offset, output_offset,
                         output_multiplier, output_shift, act_min, act_max, bounded, pixel, pixel_end,
                         first * block_channels, last * block_channels < out_c ? last * block_channels : out_c);
        u += last - first;
    }
    if (unit_end / blocks > u / blocks) {
        /* Whole pairs: every channel. */
        const int32_t pixel_end = unit_end / blocks * EENN_CONV_S8_UNIT_PIXELS;
        eenn_conv_1x1_s8(input, weights, bias, output, scratch, batches, in_c, size, out_c, input_offset, output_offset,
                         output_multiplier, output_shift, act_min, act_max, bounded, u / blocks * EENN_CONV_S8_UNIT_PIXELS,
                         pixel_end < size ? pixel_end : size, 0, out_c);
        u = unit_end / blocks * blocks;
    }
    if (u < unit_end) {
        /* The run ends inside pair u / blocks: its first blocks. */
        const int32_t channel_end = (unit_end - u) * block_channels;
        const int32_t pixel = u / blocks * EENN_CONV_S8_UNIT_PIXELS;
        const int32_t pixel_end = size - pixel < EENN_CONV_S8_UNIT_PIXELS ? size : pixel + EENN_CONV_S8_UNIT_PIXELS;
        eenn_conv_1x1_s8(input, weights, bias, output, scratch, batches, in_c, size, out_c, input_offset, output_offset,
                         output_multiplier, output_shift, act_min, act_max, bounded, pixel, pixel_end, 0,
                         channel_end < out_c ? channel_end : out_c);
    }
}

void eenn_conv2d_1x1_s8(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                        const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output, int8_t *EENN_RESTRICT scratch,
                        int32_t batches, int32_t in_c, int32_t size, int32_t out_c,
                        int32_t input_offset, int32_t output_offset,
                        const int32_t *EENN_RESTRICT output_multiplier, const int32_t *EENN_RESTRICT output_shift,
                        int32_t act_min, int32_t act_max)
{
    eenn_conv_1x1_s8(input, weights, bias, output, scratch, batches, in_c, size, out_c, input_offset, output_offset,
                     output_multiplier, output_shift, act_min, act_max,
                     eenn_requantize_bounded_ok_s8(bias, output_shift, out_c, in_c), 0, size, 0, out_c);
}
