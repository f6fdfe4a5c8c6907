/*
 * eenn_pool_s8.c - int8 max / average pooling (windowed 1-D and 2-D, global max), NCHW.
 *
 * Max pooling compares raw int8 values (input and output share one scale and zero point); average pooling sums
 * raw values and divides with rounding (eenn_rounding_divide_s32), so the output keeps the input's quantization
 * as in TFLite. Each output row clips its window rows once; the columns whose window lies inside the input
 * (computed once per call) run without any clipping, the few border columns clip their window. Paths:
 *   2x2 max pooling, stride 2, no padding (the common one): the DSP extension takes the bytewise maximum of 4
 *   values at once (SSUB8 sets the GE flags SEL reads): two output pixels per pair of loads.
 *   Global pooling: MVE reduces 16 values per instruction (VMAXV, VADDVA); the DSP extension sums
 *   4 values per SXTAB16 pair, maximum as above.
 *   Average windows of 2^k taps divide by a shift.
 *
 * Every kernel computes output element j (in memory order) from its whole window before writing it, so the
 * output may overwrite the start of the input when no window j reads an input element before index j (the
 * memory planner checks this, src/schedule/int8-steps.ts).
 */
#include <string.h>

#include "eenn_nn_support_s8.h"

#if EENN_HAS_MVE
#define EENN_POOL_MVE 1
#endif
#if EENN_HAS_DSP
#define EENN_POOL_DSP 1
#endif

/* Taps k in [0, kernel) with lo <= origin + k * dilation < hi, as [*first, *end). */
static inline void eenn_pool_taps_s8(int32_t origin, int32_t lo, int32_t hi, int32_t kernel, int32_t dilation,
                                     int32_t *first, int32_t *end)
{
    int32_t k0 = 0;
    int32_t k1 = kernel;
    if (dilation == 1) {
        k0 = origin < lo ? lo - origin : 0;
        k1 = hi - origin < kernel ? hi - origin : kernel;
    } else {
        if (origin < lo) {
            k0 = (lo - origin + dilation - 1) / dilation;
        }
        if (origin + (kernel - 1) * dilation >= hi) {
            k1 = hi - origin > 0 ? (hi - origin + dilation - 1) / dilation : 0;
        }
    }
    if (k1 < k0) {
        k1 = k0;
    }
    *first = k0;
    *end = k1;
}

/* Output columns [*first, *end) whose window lies inside [0, size) (no clipping), possibly empty. */
static void eenn_pool_interior_s8(int32_t out_size, int32_t size, int32_t kernel, int32_t stride, int32_t pad,
                                  int32_t dilation, int32_t *first, int32_t *end)
{
    const int32_t extent = (kernel - 1) * dilation + 1;
    int32_t lo = (pad + stride - 1) / stride;
    int32_t hi = size + pad - extent >= 0 ? (size + pad - extent) / stride + 1 : 0;
    hi = hi < out_size ? hi : out_size;
    lo = lo < hi ? lo : hi;
    *first = lo;
    *end = hi;
}

/* ------------------------------------------------------------------------------------------------ */
/* Max pooling                                                                                        */
/* ------------------------------------------------------------------------------------------------ */

#if defined(EENN_POOL_DSP)
/* Bytewise signed maximum of two words. */
static inline uint32_t eenn_pool_max4(uint32_t a, uint32_t b)
{
    (void)__ssub8((int32_t)a, (int32_t)b); /* GE flags: a >= b per byte */
    return __sel(a, b);
}
#endif

/* 2x2 windows, stride 2, no padding, dilation 1: every window inside the input. */
static void eenn_max_pool_2x2_s8(const int8_t *input, int8_t *output, int32_t channels, int32_t in_h, int32_t in_w,
                                 int32_t out_h, int32_t out_w)
{
    for (int32_t c = 0; c < channels; c++) {
        const int8_t *plane = input + c * in_h * in_w;
        for (int32_t oy = 0; oy < out_h; oy++) {
            const int8_t *r0 = plane + 2 * oy * in_w;
            const int8_t *r1 = r0 + in_w;
            int32_t ox = 0;
#if defined(EENN_POOL_DSP)
            for (; ox + 2 <= out_w; ox += 2) {
                uint32_t a, b;
                memcpy(&a, r0, 4);
                memcpy(&b, r1, 4);
                uint32_t m = eenn_pool_max4(a, b); /* columns 0..3, the larger of the two rows */
                m = eenn_pool_max4(m, m >> 8);     /* bytes 0 and 2: max of columns (0, 1) and (2, 3) */
                output[0] = (int8_t)m;
                output[1] = (int8_t)(m >> 16);
                output += 2;
                r0 += 4;
                r1 += 4;
            }
#endif
            for (; ox < out_w; ox++) {
                int8_t best = r0[0] > r0[1] ? r0[0] : r0[1];
                best = r1[0] > best ? r1[0] : best;
                best = r1[1] > best ? r1[1] : best;
                *output++ = best;
                r0 += 2;
                r1 += 2;
            }
        }
    }
}

void eenn_max_pool2d_s8(const int8_t *input, int8_t *output,
                        int32_t channels, int32_t in_h, int32_t in_w, int32_t out_h, int32_t out_w,
                        int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                        int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w)
{
    if (kernel_h == 2 && kernel_w == 2 && stride_h == 2 && stride_w == 2 && pad_top == 0 && pad_left == 0 &&
        dilation_h == 1 && dilation_w == 1 && 2 * out_h <= in_h && 2 * out_w <= in_w) {
        eenn_max_pool_2x2_s8(input, output, channels, in_h, in_w, out_h, out_w);
        return;
    }
    int32_t ox_first, ox_end;
    eenn_pool_interior_s8(out_w, in_w, kernel_w, stride_w, pad_left, dilation_w, &ox_first, &ox_end);
    for (int32_t c = 0; c < channels; c++) {
        const int8_t *in = input + c * in_h * in_w;
        for (int32_t oy = 0; oy < out_h; oy++) {
            const int32_t iy0 = oy * stride_h - pad_top;
            int32_t ky0, ky1;
            eenn_pool_taps_s8(iy0, 0, in_h, kernel_h, dilation_h, &ky0, &ky1);
            const int8_t *first_row = in + (iy0 + ky0 * dilation_h) * in_w;
            const int32_t rows = ky1 - ky0;
            const int32_t row_step = dilation_h * in_w;
            for (int32_t ox = 0; ox < out_w; ox++) {
                const int32_t ix0 = ox * stride_w - pad_left;
                int32_t kx0 = 0, kx1 = kernel_w;
                if (ox < ox_first || ox >= ox_end) {
                    eenn_pool_taps_s8(ix0, 0, in_w, kernel_w, dilation_w, &kx0, &kx1);
                }
                int32_t best = -128;
                const int8_t *row = first_row + ix0;
                for (int32_t ky = 0; ky < rows; ky++) {
                    for (int32_t kx = kx0; kx < kx1; kx++) {
                        const int32_t v = row[kx * dilation_w];
                        best = v > best ? v : best;
                    }
                    row += row_step;
                }
                *output++ = (int8_t)best;
            }
        }
    }
}

void eenn_global_max_pool_s8(const int8_t *input, int8_t *output, int32_t channels, int32_t size)
{
    for (int32_t c = 0; c < channels; c++) {
        int32_t best = -128;
        int32_t i = 0;
#if defined(EENN_POOL_MVE)
        int8x16_t lanes = vdupq_n_s8(-128);
        for (; i + 16 <= size; i += 16) {
            lanes = vmaxq_s8(lanes, vld1q_s8(input + i));
        }
        best = vmaxvq_s8((int8_t)best, lanes);
#elif defined(EENN_POOL_DSP)
        uint32_t lanes = 0x80808080u;
        for (; i + 4 <= size; i += 4) {
            uint32_t word;
            memcpy(&word, input + i, 4);
            lanes = eenn_pool_max4(lanes, word);
        }
        lanes = eenn_pool_max4(lanes, lanes >> 16);
        lanes = eenn_pool_max4(lanes, lanes >> 8);
        best = (int8_t)lanes;
#endif
        for (; i < size; i++) {
            best = input[i] > best ? input[i] : best;
        }
        /* Every element of the channel is read before its output (which may be input[c]) is written. */
        output[c] = (int8_t)best;
        input += size;
    }
}

/* ------------------------------------------------------------------------------------------------ */
/* Average pooling                                                                                    */
/* ------------------------------------------------------------------------------------------------ */

/* eenn_rounding_divide_s32(sum, 2^shift): half away from zero, by shifts. */
static inline int32_t eenn_pool_divide_pow2(int32_t sum, int32_t shift)
{
    const int32_t half = (1 << shift) >> 1;
    return sum > 0 ? (sum + half) >> shift : -((half - sum) >> shift);
}

/* Sum of `size` int8 values. */
static int32_t eenn_pool_sum_s8(const int8_t *x, int32_t size)
{
    int32_t sum = 0;
    int32_t i = 0;
#if defined(EENN_POOL_MVE)
    for (; i + 16 <= size; i += 16) {
        sum = vaddvaq_s8(sum, vld1q_s8(x + i));
    }
#elif defined(EENN_POOL_DSP)
    /* Bytes 0/2 and 1/3 of each word into halfword lanes: 255 words keep each lane inside int16. */
    while (size - i >= 4) {
        int32_t even = 0, odd = 0;
        const int32_t words = (size - i) / 4 < 255 ? (size - i) / 4 : 255;
        for (int32_t k = 0; k < words; k++) {
            int32_t word;
            memcpy(&word, x + i, 4);
            even = __sxtab16(even, word);
            odd = __sxtab16(odd, (int32_t)(((uint32_t)word >> 8) | ((uint32_t)word << 24)));
            i += 4;
        }
        sum = __smlad(even, 0x00010001, sum);
        sum = __smlad(odd, 0x00010001, sum);
    }
#endif
    for (; i < size; i++) {
        sum += x[i];
    }
    return sum;
}

/* eenn_rounding_divide_s32(sum, taps) of a whole window: by a shift when taps = 2^taps_shift. */
static inline int32_t eenn_pool_average(int32_t sum, int32_t taps, int32_t taps_shift)
{
    return taps_shift >= 0 ? eenn_pool_divide_pow2(sum, taps_shift) : eenn_rounding_divide_s32(sum, taps);
}

/* `count` averages of whole windows inside the input (taps_shift: log2(kernel_h * kernel_w) or -1), the first at `row`, the next stride_w further. */
static void eenn_avg_pool_interior_s8(const int8_t *row, int32_t in_w, int32_t kernel_h, int32_t kernel_w,
                                      int32_t taps_shift, int32_t stride_w, int8_t *out, int32_t count,
                                      int32_t act_min, int32_t act_max)
{
    const int32_t taps = kernel_h * kernel_w;
    if (kernel_h == 2 && kernel_w == 2) {
        for (int32_t i = 0; i < count; i++) {
            const int32_t sum = row[0] + row[1] + row[in_w] + row[in_w + 1];
            out[i] = (int8_t)eenn_clamp_s32(eenn_pool_divide_pow2(sum, 2), act_min, act_max);
            row += stride_w;
        }
        return;
    }
    for (int32_t i = 0; i < count; i++) {
        const int8_t *r = row;
        int32_t sum = 0;
        for (int32_t ky = 0; ky < kernel_h; ky++) {
            for (int32_t kx = 0; kx < kernel_w; kx++) {
                sum += r[kx];
            }
            r += in_w;
        }
        out[i] = (int8_t)eenn_clamp_s32(eenn_pool_average(sum, taps, taps_shift), act_min, act_max);
        row += stride_w;
    }
}

/* One output pixel whose window is clipped by the input's border. */
static int8_t eenn_avg_pool_border_s8(const int8_t *in, int32_t in_w, int32_t iy0, int32_t ix0, int32_t ky0,
                                      int32_t ky1, int32_t py0, int32_t py1, int32_t kernel_w, int32_t pad_left,
                                      int32_t pad_right, int32_t count_include_pad, int32_t input_offset,
                                      int32_t act_min, int32_t act_max)
{
    int32_t kx0, kx1, px0, px1;
    eenn_pool_taps_s8(ix0, 0, in_w, kernel_w, 1, &kx0, &kx1);
    eenn_pool_taps_s8(ix0, -pad_left, in_w + pad_right, kernel_w, 1, &px0, &px1);
    int32_t sum = 0;
    for (int32_t ky = ky0; ky < ky1; ky++) {
        const int8_t *row = in + (iy0 + ky) * in_w + ix0;
        for (int32_t kx = kx0; kx < kx1; kx++) {
            sum += row[kx];
        }
    }
    int32_t count = (ky1 - ky0) * (kx1 - kx0);
    if (count_include_pad) {
        /* Padded taps hold a real 0: the zero point, -input_offset. */
        const int32_t padded = (py1 - py0) * (px1 - px0);
        sum -= (padded - count) * input_offset;
        count = padded;
    }
    const int32_t average = count > 0 ? eenn_rounding_divide_s32(sum, count) : 0;
    return (int8_t)eenn_clamp_s32(average, act_min, act_max);
}

void eenn_avg_pool2d_s8(const int8_t *input, int8_t *output,
                        int32_t channels, int32_t in_h, int32_t in_w, int32_t out_h, int32_t out_w,
                        int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                        int32_t pad_top, int32_t pad_left, int32_t pad_bottom, int32_t pad_right,
                        int32_t count_include_pad, int32_t input_offset, int32_t act_min, int32_t act_max)
{
    /* Global pooling: each plane summed whole. */
    if (out_h == 1 && out_w == 1 && kernel_h == in_h && kernel_w == in_w && pad_top == 0 && pad_left == 0 &&
        pad_bottom == 0 && pad_right == 0) {
        const int32_t size = in_h * in_w;
        for (int32_t c = 0; c < channels; c++) {
            const int32_t sum = eenn_pool_sum_s8(input + c * size, size);
            output[c] = (int8_t)eenn_clamp_s32(size > 0 ? eenn_rounding_divide_s32(sum, size) : 0, act_min, act_max);
        }
        return;
    }
    int32_t taps_shift = -1;
    for (int32_t s = 0; s < 31; s++) {
        taps_shift = kernel_h * kernel_w == (1 << s) ? s : taps_shift;
    }
    int32_t ox_first, ox_end;
    eenn_pool_interior_s8(out_w, in_w, kernel_w, stride_w, pad_left, 1, &ox_first, &ox_end);
    for (int32_t c = 0; c < channels; c++) {
        const int8_t *in = input + c * in_h * in_w;
        for (int32_t oy = 0; oy < out_h; oy++) {
            const int32_t iy0 = oy * stride_h - pad_top;
            int32_t ky0, ky1, py0, py1;
            eenn_pool_taps_s8(iy0, 0, in_h, kernel_h, 1, &ky0, &ky1);
            eenn_pool_taps_s8(iy0, -pad_top, in_h + pad_bottom, kernel_h, 1, &py0, &py1);
            const int32_t interior = ky1 - ky0 == kernel_h ? ox_end - ox_first : 0;
            const int32_t left = interior > 0 ? ox_first : out_w;
            for (int32_t ox = 0; ox < left; ox++) {
                *output++ = eenn_avg_pool_border_s8(in, in_w, iy0, ox * stride_w - pad_left, ky0, ky1, py0, py1, kernel_w,
                                                    pad_left, pad_right, count_include_pad, input_offset, act_min,
                                                    act_max);
            }
            if (interior > 0) {
                eenn_avg_pool_interior_s8(in + iy0 * in_w + ox_first * stride_w - pad_left, in_w, kernel_h, kernel_w,
                                          taps_shift, stride_w, output, interior, act_min, act_max);
                output += interior;
                for (int32_t ox = ox_end; ox < out_w; ox++) {
                    *output++ = eenn_avg_pool_border_s8(in, in_w, iy0, ox * stride_w - pad_left, ky0, ky1, py0, py1,
                                                        kernel_w, pad_left, pad_right, count_include_pad,
                                                        input_offset, act_min, act_max);
                }
            }
        }
    }
}
