/*
 * eenn_conv2d_1x1_s8.c - int8 1x1 convolution with stride 1, no padding, one group (NCHW): a matrix product per
 * image. The values of one or two pixels are gathered into columns in the scratch and multiplied with the weight
 * rows by eenn_multiply_columns_s8, as eenn_conv2d_s8 multiplies its columns; on DSP, with 16 input channels or
 * more, two adjacent pixels are gathered and expanded to int16 pairs in one pass (one halfword load per channel).
 * Without a scratch (NULL) the input is read in place, one output of one channel at a time.
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
        for (int32_t p = pixel_begin; p < pixel_end;) {
            const int32_t pixels = pixel_end - p < EENN_CONV_S8_PIXELS ? pixel_end - p : EENN_CONV_S8_PIXELS;
#if defined(EENN_CONV_S8_DSP)
            if (pixels == 2 && in_c >= EENN_PAIR_CHUNK_S8) {
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
