/*
 * eenn_layout_s8.c - int8 data movement: copy, strided copy (Transpose, Slice, Concat, Split, Expand,
 * DepthToSpace), row gather (Gather), Pad and nearest Resize. The index rules are those of eenn_layout_f32.c
 * (the compiler lowers both through the same code); only the element type differs.
 */
#include "eenn_kernels_s8.h"

void eenn_copy_s8(const int8_t *EENN_RESTRICT input, int8_t *EENN_RESTRICT output, int32_t size)
{
    for (int32_t i = 0; i < size; i++) {
        output[i] = input[i];
    }
}

void eenn_strided_copy_s8(const int8_t *EENN_RESTRICT input, int8_t *EENN_RESTRICT output,
                          int32_t d0, int32_t d1, int32_t d2, int32_t d3,
                          int32_t in_s0, int32_t in_s1, int32_t in_s2, int32_t in_s3,
                          int32_t out_s0, int32_t out_s1, int32_t out_s2, int32_t out_s3)
{
    for (int32_t i0 = 0; i0 < d0; i0++) {
        for (int32_t i1 = 0; i1 < d1; i1++) {
            for (int32_t i2 = 0; i2 < d2; i2++) {
                const int8_t *src = input + i0 * in_s0 + i1 * in_s1 + i2 * in_s2;
                int8_t *dst = output + i0 * out_s0 + i1 * out_s1 + i2 * out_s2;
                if (in_s3 == 1 && out_s3 == 1) {
                    for (int32_t i3 = 0; i3 < d3; i3++) {
                        dst[i3] = src[i3];
                    }
                } else {
                    for (int32_t i3 = 0; i3 < d3; i3++) {
                        *dst = *src;
                        src += in_s3;
                        dst += out_s3;
                    }
                }
            }
        }
    }
}

void eenn_gather_rows_s8(const int8_t *EENN_RESTRICT input, int8_t *EENN_RESTRICT output,
                         int32_t rows, int32_t row_size, int32_t step,
                         const int32_t *EENN_RESTRICT row_offsets)
{
    for (int32_t r = 0; r < rows; r++) {
        const int8_t *src = input + row_offsets[r];
        for (int32_t j = 0; j < row_size; j++) {
            output[j] = src[j * step];
        }
        output += row_size;
    }
}

/* Input coordinate read by output coordinate j of a padded axis, or -1 for the constant value. */
static inline int32_t eenn_pad_source_s8(int32_t j, int32_t begin, int32_t size, int32_t mode)
{
    int32_t i = j - begin;
    if (i >= 0 && i < size) {
        return i;
    }
    switch (mode) {
    case EENN_PAD_EDGE:
        return i < 0 ? 0 : size - 1;
    case EENN_PAD_REFLECT: {
        if (size == 1) {
            return 0;
        }
        const int32_t period = 2 * (size - 1);
        i %= period;
        if (i < 0) {
            i += period;
        }
        return i < size ? i : period - i;
    }
    case EENN_PAD_WRAP:
        i %= size;
        return i < 0 ? i + size : i;
    default:
        return -1;
    }
}

void eenn_pad_s8(const int8_t *EENN_RESTRICT input, int8_t *EENN_RESTRICT output,
                 int32_t in_d0, int32_t in_d1, int32_t in_d2, int32_t in_d3,
                 int32_t in_s0, int32_t in_s1, int32_t in_s2, int32_t in_s3,
                 int32_t out_d0, int32_t out_d1, int32_t out_d2, int32_t out_d3,
                 int32_t begin_0, int32_t begin_1, int32_t begin_2, int32_t begin_3,
                 int32_t mode, int32_t value)
{
    const int8_t fill = eenn_clamp_s8(value);
    for (int32_t j0 = 0; j0 < out_d0; j0++) {
        const int32_t s0 = eenn_pad_source_s8(j0, begin_0, in_d0, mode);
        for (int32_t j1 = 0; j1 < out_d1; j1++) {
            const int32_t s1 = eenn_pad_source_s8(j1, begin_1, in_d1, mode);
            for (int32_t j2 = 0; j2 < out_d2; j2++) {
                const int32_t s2 = eenn_pad_source_s8(j2, begin_2, in_d2, mode);
                if (s0 < 0 || s1 < 0 || s2 < 0) {
                    for (int32_t j3 = 0; j3 < out_d3; j3++) {
                        *output++ = fill;
                    }
                    continue;
                }
                const int8_t *row = input + s0 * in_s0 + s1 * in_s1 + s2 * in_s2;
                for (int32_t j3 = 0; j3 < out_d3; j3++) {
                    const int32_t s3 = eenn_pad_source_s8(j3, begin_3, in_d3, mode);
                    *output++ = s3 >= 0 ? row[s3 * in_s3] : fill;
                }
            }
        }
    }
}

void eenn_resize_nearest_s8(const int8_t *EENN_RESTRICT input, int8_t *EENN_RESTRICT output,
                            int32_t channels, int32_t in_h, int32_t in_w, int32_t out_h, int32_t out_w,
                            const int32_t *EENN_RESTRICT y_index, const int32_t *EENN_RESTRICT x_index)
{
    for (int32_t c = 0; c < channels; c++) {
        const int8_t *in = input + c * in_h * in_w;
        for (int32_t oy = 0; oy < out_h; oy++) {
            const int8_t *row = in + y_index[oy] * in_w;
            for (int32_t ox = 0; ox < out_w; ox++) {
                *output++ = row[x_index[ox]];
            }
        }
    }
}
