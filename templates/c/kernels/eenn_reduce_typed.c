/*
 * eenn_reduce_typed.c - ArgMax / ArgMin of every ordered element type: for each of the outer x inner positions,
 * the int64 index along the axis of the largest (smallest) element, the first of equal ones or, with
 * select_last, the last. A NaN never compares larger or smaller, so it is picked only where it comes first.
 */
#include "eenn_kernels_typed.h"

#define EENN_DEFINE_ARG(NAME, T, BETTER)                                                                 \
    void NAME(const T *input, int64_t *output, int32_t outer, int32_t axis_size, int32_t inner,          \
              int32_t select_last)                                                                      \
    {                                                                                                    \
        for (int32_t o = 0; o < outer; o++) {                                                            \
            const T *base = input + (size_t)o * (size_t)axis_size * (size_t)inner;                       \
            for (int32_t i = 0; i < inner; i++) {                                                        \
                T best = base[i];                                                                        \
                int32_t index = 0;                                                                       \
                for (int32_t k = 1; k < axis_size; k++) {                                                \
                    const T v = base[(size_t)k * (size_t)inner + (size_t)i];                             \
                    if (BETTER(v, best) || (select_last != 0 && v == best)) {                            \
                        best = v;                                                                        \
                        index = k;                                                                       \
                    }                                                                                    \
                }                                                                                        \
                output[(size_t)o * (size_t)inner + (size_t)i] = index;                                   \
            }                                                                                            \
        }                                                                                                \
    }

#define EENN_LARGER(v, best) ((v) > (best))
#define EENN_SMALLER(v, best) ((v) < (best))

#define EENN_DEFINE_ARGS(S, T)                                 \
    EENN_DEFINE_ARG(eenn_argmax_##S, T, EENN_LARGER)           \
    EENN_DEFINE_ARG(eenn_argmin_##S, T, EENN_SMALLER)

EENN_DEFINE_ARGS(f32, float)
EENN_DEFINE_ARGS(f64, double)
EENN_DEFINE_ARGS(s64, int64_t)
EENN_DEFINE_ARGS(s32, int32_t)
EENN_DEFINE_ARGS(s16, int16_t)
EENN_DEFINE_ARGS(s8, int8_t)
EENN_DEFINE_ARGS(u8, uint8_t)
