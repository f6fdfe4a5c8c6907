/*
 * eenn_layout_typed.c - data movement of tensors of any element type, by element size (x8, x16, x32, x64):
 * copy, strided copy (Transpose, Slice, Concat, Split, Expand...), row gather (Gather on constant indices),
 * Gather and GatherElements on indices computed at run time, and Where.
 *
 * An element is moved with a memcpy of its constant size, which the compiler turns into one load and one
 * store of that width; the kernels never look at the bits, so one function serves every type of a size.
 */
#include <string.h>

#include "eenn_kernels_typed.h"

/* Element `i` of a byte pointer to elements of SIZE bytes. */
#define EENN_AT(p, i, SIZE) ((p) + (size_t)(i) * (SIZE))

/* A Gather index: negative ones count from the end, the rest clamped into [0, axis_size). */
#define EENN_GATHER_INDEX(raw, axis_size) \
    ((raw) < 0 ? ((raw) + (axis_size) < 0 ? 0 : (raw) + (axis_size)) : ((raw) >= (axis_size) ? (axis_size) - 1 : (raw)))

#define EENN_DEFINE_GATHER(X, SIZE, IT, INDEX_TYPE)                                                           \
    void eenn_gather_##X##_##IT(const void *EENN_RESTRICT data, const INDEX_TYPE *EENN_RESTRICT indices,     \
                                void *EENN_RESTRICT output, int32_t outer, int32_t axis_size, int32_t inner, \
                                int32_t count)                                                               \
    {                                                                                                        \
        const uint8_t *src = (const uint8_t *)data;                                                          \
        uint8_t *dst = (uint8_t *)output;                                                                    \
        const size_t row_bytes = (size_t)inner * (SIZE);                                                     \
        for (int32_t o = 0; o < outer; o++) {                                                                \
            for (int32_t j = 0; j < count; j++) {                                                            \
                const INDEX_TYPE raw = indices[j];                                                           \
                const int32_t k = (int32_t)EENN_GATHER_INDEX(raw, (INDEX_TYPE)axis_size);                    \
                memcpy(dst, EENN_AT(src, (size_t)o * (size_t)axis_size * (size_t)inner + (size_t)k * (size_t)inner, SIZE), \
                       row_bytes);                                                                           \
                dst += row_bytes;                                                                            \
            }                                                                                                \
        }                                                                                                    \
    }

#define EENN_DEFINE_GATHER_ELEMENTS(X, SIZE, IT, INDEX_TYPE)                                                  \
    void eenn_gather_elements_##X##_##IT(const void *EENN_RESTRICT data, const INDEX_TYPE *EENN_RESTRICT indices, \
                                         void *EENN_RESTRICT output, int32_t d0, int32_t d1, int32_t d2,        \
                                         int32_t d3, int32_t s0, int32_t s1, int32_t s2, int32_t s3,            \
                                         int32_t axis, int32_t axis_size)                                       \
    {                                                                                                        \
        const uint8_t *src = (const uint8_t *)data;                                                          \
        uint8_t *dst = (uint8_t *)output;                                                                    \
        const int32_t strides[4] = { s0, s1, s2, s3 };                                                       \
        const int32_t axis_stride = strides[axis];                                                           \
        for (int32_t i0 = 0; i0 < d0; i0++) {                                                                \
            for (int32_t i1 = 0; i1 < d1; i1++) {                                                            \
                for (int32_t i2 = 0; i2 < d2; i2++) {                                                        \
                    for (int32_t i3 = 0; i3 < d3; i3++) {                                                    \
                        const int32_t at[4] = { i0, i1, i2, i3 };                                            \
                        const INDEX_TYPE raw = *indices++;                                                   \
                        const int32_t k = (int32_t)EENN_GATHER_INDEX(raw, (INDEX_TYPE)axis_size);            \
                        const int32_t offset = i0 * s0 + i1 * s1 + i2 * s2 + i3 * s3 +                       \
                                               (k - at[axis]) * axis_stride;                                 \
                        memcpy(dst, EENN_AT(src, offset, SIZE), SIZE);                                       \
                        dst += SIZE;                                                                         \
                    }                                                                                        \
                }                                                                                            \
            }                                                                                                \
        }                                                                                                    \
    }

#define EENN_DEFINE_MOVES(X, SIZE)                                                                            \
    void eenn_copy_##X(const void *EENN_RESTRICT input, void *EENN_RESTRICT output, int32_t size)            \
    {                                                                                                        \
        memcpy(output, input, (size_t)size * (SIZE));                                                        \
    }                                                                                                        \
                                                                                                             \
    void eenn_strided_copy_##X(const void *EENN_RESTRICT input, void *EENN_RESTRICT output, int32_t d0,       \
                               int32_t d1, int32_t d2, int32_t d3, int32_t in_s0, int32_t in_s1,              \
                               int32_t in_s2, int32_t in_s3, int32_t out_s0, int32_t out_s1, int32_t out_s2,  \
                               int32_t out_s3)                                                               \
    {                                                                                                        \
        const uint8_t *in = (const uint8_t *)input;                                                          \
        uint8_t *out = (uint8_t *)output;                                                                    \
        for (int32_t i0 = 0; i0 < d0; i0++) {                                                                \
            for (int32_t i1 = 0; i1 < d1; i1++) {                                                            \
                for (int32_t i2 = 0; i2 < d2; i2++) {                                                        \
                    const uint8_t *src = EENN_AT(in, i0 * in_s0 + i1 * in_s1 + i2 * in_s2, SIZE);           \
                    uint8_t *dst = EENN_AT(out, i0 * out_s0 + i1 * out_s1 + i2 * out_s2, SIZE);             \
                    if (in_s3 == 1 && out_s3 == 1) {                                                         \
                        memcpy(dst, src, (size_t)d3 * (SIZE));                                               \
                    } else {                                                                                 \
                        for (int32_t i3 = 0; i3 < d3; i3++) {                                                \
                            memcpy(EENN_AT(dst, i3 * out_s3, SIZE), EENN_AT(src, i3 * in_s3, SIZE), SIZE);   \
                        }                                                                                    \
                    }                                                                                        \
                }                                                                                            \
            }                                                                                                \
        }                                                                                                    \
    }                                                                                                        \
                                                                                                             \
    void eenn_gather_rows_##X(const void *EENN_RESTRICT input, void *EENN_RESTRICT output, int32_t rows,     \
                              int32_t row_size, int32_t step, const int32_t *EENN_RESTRICT row_offsets)      \
    {                                                                                                        \
        const uint8_t *in = (const uint8_t *)input;                                                          \
        uint8_t *out = (uint8_t *)output;                                                                    \
        for (int32_t r = 0; r < rows; r++) {                                                                 \
            const uint8_t *src = EENN_AT(in, row_offsets[r], SIZE);                                          \
            if (step == 1) {                                                                                 \
                memcpy(out, src, (size_t)row_size * (SIZE));                                                 \
            } else {                                                                                         \
                for (int32_t j = 0; j < row_size; j++) {                                                     \
                    memcpy(EENN_AT(out, j, SIZE), EENN_AT(src, j * step, SIZE), SIZE);                       \
                }                                                                                            \
            }                                                                                                \
            out += (size_t)row_size * (SIZE);                                                                \
        }                                                                                                    \
    }                                                                                                        \
                                                                                                             \
    EENN_DEFINE_GATHER(X, SIZE, s64, int64_t)                                                                \
    EENN_DEFINE_GATHER(X, SIZE, s32, int32_t)                                                                \
    EENN_DEFINE_GATHER_ELEMENTS(X, SIZE, s64, int64_t)                                                       \
    EENN_DEFINE_GATHER_ELEMENTS(X, SIZE, s32, int32_t)                                                       \
                                                                                                             \
    void eenn_where_##X(const uint8_t *condition, const void *x, const void *y, void *output, int32_t d0,    \
                        int32_t d1, int32_t d2, int32_t d3, int32_t c_s0, int32_t c_s1, int32_t c_s2,        \
                        int32_t c_s3, int32_t x_s0, int32_t x_s1, int32_t x_s2, int32_t x_s3, int32_t y_s0,  \
                        int32_t y_s1, int32_t y_s2, int32_t y_s3)                                            \
    {                                                                                                        \
        const uint8_t *px = (const uint8_t *)x;                                                              \
        const uint8_t *py = (const uint8_t *)y;                                                              \
        uint8_t *out = (uint8_t *)output;                                                                    \
        for (int32_t i0 = 0; i0 < d0; i0++) {                                                                \
            for (int32_t i1 = 0; i1 < d1; i1++) {                                                            \
                for (int32_t i2 = 0; i2 < d2; i2++) {                                                        \
                    const uint8_t *c = condition + i0 * c_s0 + i1 * c_s1 + i2 * c_s2;                       \
                    const uint8_t *a = EENN_AT(px, i0 * x_s0 + i1 * x_s1 + i2 * x_s2, SIZE);                \
                    const uint8_t *b = EENN_AT(py, i0 * y_s0 + i1 * y_s1 + i2 * y_s2, SIZE);                \
                    for (int32_t i3 = 0; i3 < d3; i3++) {                                                    \
                        const uint8_t *src = c[i3 * c_s3] ? EENN_AT(a, i3 * x_s3, SIZE) : EENN_AT(b, i3 * y_s3, SIZE); \
                        memcpy(EENN_AT(out, i3, SIZE), src, SIZE);                                           \
                    }                                                                                        \
                    out += (size_t)d3 * (SIZE);                                                              \
                }                                                                                            \
            }                                                                                                \
        }                                                                                                    \
    }

EENN_DEFINE_MOVES(x8, 1)
EENN_DEFINE_MOVES(x16, 2)
EENN_DEFINE_MOVES(x32, 4)
EENN_DEFINE_MOVES(x64, 8)
