/*
 * eenn_reduce_typed.c - reductions of tensors that are not float32:
 *   ArgMax / ArgMin of every ordered element type: for each of the outer x inner positions, the int64 index along
 *   the axis of the largest (smallest) element, the first of equal ones or, with select_last, the last. A NaN never
 *   compares larger or smaller, so it is picked only where it comes first.
 *   Reduce* as eenn_reduce_f32.c (the same kept and reduced runs): every one of float64, computed in double;
 *   ReduceSum, ReduceMax, ReduceMin, ReduceProd of integers, sums and products wrapping around as numpy's.
 */
#include <math.h>

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
EENN_DEFINE_ARGS(u16, uint16_t)

/* The loops of eenn_reduce_f32.c on elements of type T, accumulated in ACC (INIT, STEP, FINISH as there). */
#define EENN_DEFINE_REDUCE(NAME, T, ACC, INIT, STEP, FINISH)                                     \
    void NAME(EENN_TYPED_REDUCE_PARAMS(T))                                                       \
    {                                                                                            \
        const int32_t count = r0 * r1 * r2;                                                      \
        (void)count;                                                                             \
        for (int32_t j0 = 0; j0 < k0; j0++) {                                                    \
            for (int32_t j1 = 0; j1 < k1; j1++) {                                                \
                for (int32_t j2 = 0; j2 < k2; j2++) {                                            \
                    const T *base = input + j0 * k_s0 + j1 * k_s1 + j2 * k_s2;                   \
                    ACC acc = (INIT);                                                            \
                    for (int32_t i0 = 0; i0 < r0; i0++) {                                        \
                        for (int32_t i1 = 0; i1 < r1; i1++) {                                    \
                            const T *p = base + i0 * r_s0 + i1 * r_s1;                           \
                            for (int32_t i2 = 0; i2 < r2; i2++) {                                \
                                const T x = p[i2 * r_s2];                                        \
                                acc = STEP(acc, x, ACC);                                         \
                            }                                                                    \
                        }                                                                        \
                    }                                                                            \
                    *output++ = (T)FINISH(acc, count);                                           \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
    }

#define EENN_STEP_SUM(acc, x, ACC) ((ACC)((acc) + (ACC)(x)))
#define EENN_STEP_PROD(acc, x, ACC) ((ACC)((acc) * (ACC)(x)))
#define EENN_STEP_MAX_INT(acc, x, ACC) ((x) > (acc) ? (ACC)(x) : (acc))
#define EENN_STEP_MIN_INT(acc, x, ACC) ((x) < (acc) ? (ACC)(x) : (acc))
#define EENN_STEP_MAX_F(acc, x, ACC) ((x) > (acc) || (x) != (x) ? (x) : (acc))
#define EENN_STEP_MIN_F(acc, x, ACC) ((x) < (acc) || (x) != (x) ? (x) : (acc))
#define EENN_STEP_L1_F(acc, x, ACC) ((acc) + fabs(x))
#define EENN_STEP_SQUARE_F(acc, x, ACC) ((acc) + (x) * (x))
#define EENN_FINISH_SAME(acc, n) (acc)
#define EENN_FINISH_MEAN_F(acc, n) ((acc) / (double)(n))
#define EENN_FINISH_SQRT_F(acc, n) sqrt(acc)
#define EENN_FINISH_LOG_F(acc, n) log(acc)

/* Integers: sums and products in the wide unsigned type (wrapping), maximum / minimum from the type's limits. */
#define EENN_DEFINE_INTEGER_REDUCES(S, T, WIDE, MIN, MAX)                                                 \
    EENN_DEFINE_REDUCE(eenn_reduce_sum_##S, T, WIDE, 0u, EENN_STEP_SUM, EENN_FINISH_SAME)                 \
    EENN_DEFINE_REDUCE(eenn_reduce_prod_##S, T, WIDE, 1u, EENN_STEP_PROD, EENN_FINISH_SAME)               \
    EENN_DEFINE_REDUCE(eenn_reduce_max_##S, T, T, MIN, EENN_STEP_MAX_INT, EENN_FINISH_SAME)               \
    EENN_DEFINE_REDUCE(eenn_reduce_min_##S, T, T, MAX, EENN_STEP_MIN_INT, EENN_FINISH_SAME)

EENN_DEFINE_INTEGER_REDUCES(s64, int64_t, uint64_t, INT64_MIN, INT64_MAX)
EENN_DEFINE_INTEGER_REDUCES(s32, int32_t, uint32_t, INT32_MIN, INT32_MAX)
EENN_DEFINE_INTEGER_REDUCES(s16, int16_t, uint32_t, INT16_MIN, INT16_MAX)
EENN_DEFINE_INTEGER_REDUCES(s8, int8_t, uint32_t, INT8_MIN, INT8_MAX)
EENN_DEFINE_INTEGER_REDUCES(u8, uint8_t, uint32_t, 0, UINT8_MAX)
EENN_DEFINE_INTEGER_REDUCES(u16, uint16_t, uint32_t, 0, UINT16_MAX)

EENN_DEFINE_REDUCE(eenn_reduce_sum_f64, double, double, 0.0, EENN_STEP_SUM, EENN_FINISH_SAME)
EENN_DEFINE_REDUCE(eenn_reduce_mean_f64, double, double, 0.0, EENN_STEP_SUM, EENN_FINISH_MEAN_F)
EENN_DEFINE_REDUCE(eenn_reduce_max_f64, double, double, -INFINITY, EENN_STEP_MAX_F, EENN_FINISH_SAME)
EENN_DEFINE_REDUCE(eenn_reduce_min_f64, double, double, INFINITY, EENN_STEP_MIN_F, EENN_FINISH_SAME)
EENN_DEFINE_REDUCE(eenn_reduce_prod_f64, double, double, 1.0, EENN_STEP_PROD, EENN_FINISH_SAME)
EENN_DEFINE_REDUCE(eenn_reduce_l1_f64, double, double, 0.0, EENN_STEP_L1_F, EENN_FINISH_SAME)
EENN_DEFINE_REDUCE(eenn_reduce_l2_f64, double, double, 0.0, EENN_STEP_SQUARE_F, EENN_FINISH_SQRT_F)
EENN_DEFINE_REDUCE(eenn_reduce_sum_square_f64, double, double, 0.0, EENN_STEP_SQUARE_F, EENN_FINISH_SAME)
EENN_DEFINE_REDUCE(eenn_reduce_log_sum_f64, double, double, 0.0, EENN_STEP_SUM, EENN_FINISH_LOG_F)

void eenn_reduce_log_sum_exp_f64(EENN_TYPED_REDUCE_PARAMS(double))
{
    /* Two passes per output: the maximum, then log(sum(exp(x - max))) + max. */
    const int32_t count = r0 * r1 * r2;
    for (int32_t j0 = 0; j0 < k0; j0++) {
        for (int32_t j1 = 0; j1 < k1; j1++) {
            for (int32_t j2 = 0; j2 < k2; j2++) {
                const double *base = input + j0 * k_s0 + j1 * k_s1 + j2 * k_s2;
                double max = -INFINITY;
                for (int32_t i0 = 0; i0 < r0; i0++) {
                    for (int32_t i1 = 0; i1 < r1; i1++) {
                        for (int32_t i2 = 0; i2 < r2; i2++) {
                            const double x = base[i0 * r_s0 + i1 * r_s1 + i2 * r_s2];
                            max = x > max ? x : max;
                        }
                    }
                }
                if (count == 0 || isinf(max)) {
                    max = 0.0;
                }
                double sum = 0.0;
                for (int32_t i0 = 0; i0 < r0; i0++) {
                    for (int32_t i1 = 0; i1 < r1; i1++) {
                        for (int32_t i2 = 0; i2 < r2; i2++) {
                            sum += exp(base[i0 * r_s0 + i1 * r_s1 + i2 * r_s2] - max);
                        }
                    }
                }
                *output++ = log(sum) + max;
            }
        }
    }
}
