/*
 * eenn_cumsum_typed.c - CumSum of float32, float64, int64 and int32 tensors along an axis read at run time.
 *
 * The axis splits the tensor into [outer, length, inner] (the products of the dimensions before it, its own, and
 * those after it); one accumulator per (outer, inner) column then adds in axis order, as eenn_cumsum_f32 does.
 * Integer sums are computed in the unsigned type of the same width (wrapping, never signed overflow). Element j
 * is read before output j is written and never read again, so the kernels may run in place.
 */
#include "eenn_kernels_typed.h"

/* The axis *axis of a tensor of `rank` dimensions: negative counts from the end, then clamped into [0, rank). */
static int32_t eenn_cumsum_axis(int64_t axis, int32_t rank)
{
    if (axis < 0) axis += rank;
    if (axis < 0) return 0;
    return axis >= rank ? rank - 1 : (int32_t)axis;
}

/* CT: the element type; ACC: the accumulator type (unsigned for integers); A / AT: the axis type. */
#define EENN_DEFINE_CUMSUM(T, CT, ACC, A, AT)                                                                   \
    void eenn_cumsum_##T##_##A(const CT *input, CT *output, const int32_t *EENN_RESTRICT dims, int32_t rank,   \
                               const AT *EENN_RESTRICT axis, int32_t exclusive, int32_t reverse)                \
    {                                                                                                           \
        const int32_t along = eenn_cumsum_axis((int64_t)*axis, rank);                                           \
        int32_t outer = 1, inner = 1;                                                                           \
        for (int32_t d = 0; d < along; d++) outer *= dims[d];                                                   \
        for (int32_t d = along + 1; d < rank; d++) inner *= dims[d];                                            \
        const int32_t length = dims[along];                                                                     \
        /* Walking backwards: start at the last element of the axis and step back by one row of inner. */      \
        const int32_t first = reverse ? (length - 1) * inner : 0;                                               \
        const int32_t step = reverse ? -inner : inner;                                                          \
        for (int32_t o = 0; o < outer; o++) {                                                                   \
            const CT *in = input + o * length * inner;                                                          \
            CT *out = output + o * length * inner;                                                              \
            for (int32_t i = 0; i < inner; i++) {                                                               \
                ACC sum = 0;                                                                                    \
                int32_t at = first + i;                                                                         \
                for (int32_t j = 0; j < length; j++, at += step) {                                              \
                    const ACC x = (ACC)in[at];                                                                  \
                    if (exclusive) {                                                                            \
                        out[at] = (CT)sum;                                                                      \
                        sum += x;                                                                               \
                    } else {                                                                                    \
                        sum += x;                                                                               \
                        out[at] = (CT)sum;                                                                      \
                    }                                                                                           \
                }                                                                                               \
            }                                                                                                   \
        }                                                                                                       \
    }

EENN_DEFINE_CUMSUM(f32, float, float, s64, int64_t)
EENN_DEFINE_CUMSUM(f32, float, float, s32, int32_t)
EENN_DEFINE_CUMSUM(f64, double, double, s64, int64_t)
EENN_DEFINE_CUMSUM(f64, double, double, s32, int32_t)
EENN_DEFINE_CUMSUM(s64, int64_t, uint64_t, s64, int64_t)
EENN_DEFINE_CUMSUM(s64, int64_t, uint64_t, s32, int32_t)
EENN_DEFINE_CUMSUM(s32, int32_t, uint32_t, s64, int64_t)
EENN_DEFINE_CUMSUM(s32, int32_t, uint32_t, s32, int32_t)
