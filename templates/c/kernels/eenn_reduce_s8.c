/*
 * eenn_reduce_s8.c - int8 reductions over any set of axes, in the layout of the float32 reductions (up to three
 * kept runs and three reduced runs of strided axes, eenn_kernels_s8.h).
 *
 * ReduceSum and ReduceMean (eenn_reduce_sum_s8) sum (x - zero point) in int32 and requantize the sum once per
 * output: a mean is a sum whose multiplier also divides by the count. ReduceMax and ReduceMin compare raw int8
 * values, so the output keeps the input's scale and zero point.
 */
#include "eenn_nn_support_s8.h"

/*
 * The loops shared by the reductions: INIT sets the int32 acc, STEP(acc, x) folds one element, FINISH(acc) gives
 * the int8 output.
 */
#define EENN_REDUCE_LOOPS_S8(INIT, STEP, FINISH)                                \
    for (int32_t j0 = 0; j0 < k0; j0++) {                                       \
        for (int32_t j1 = 0; j1 < k1; j1++) {                                   \
            for (int32_t j2 = 0; j2 < k2; j2++) {                               \
                const int8_t *base = input + j0 * k_s0 + j1 * k_s1 + j2 * k_s2; \
                int32_t acc = (INIT);                                           \
                for (int32_t i0 = 0; i0 < r0; i0++) {                           \
                    for (int32_t i1 = 0; i1 < r1; i1++) {                       \
                        const int8_t *p = base + i0 * r_s0 + i1 * r_s1;         \
                        for (int32_t i2 = 0; i2 < r2; i2++) {                   \
                            const int32_t x = p[i2 * r_s2];                     \
                            acc = STEP(acc, x);                                 \
                        }                                                       \
                    }                                                           \
                }                                                               \
                *output++ = FINISH(acc);                                        \
            }                                                                   \
        }                                                                       \
    }

#define EENN_STEP_SUM_S8(acc, x) ((acc) + (x) + input_offset)
#define EENN_STEP_MAX_S8(acc, x) ((x) > (acc) ? (x) : (acc))
#define EENN_STEP_MIN_S8(acc, x) ((x) < (acc) ? (x) : (acc))
#define EENN_FINISH_REQUANTIZE_S8(acc) eenn_requantize_s8((acc), multiplier, shift, output_offset, act_min, act_max)
#define EENN_FINISH_SAME_S8(acc) ((int8_t)(acc))

void eenn_reduce_sum_s8(EENN_REDUCE_PARAMS_S8, int32_t input_offset, int32_t multiplier, int32_t shift,
                        int32_t output_offset, int32_t act_min, int32_t act_max)
{
    EENN_REDUCE_LOOPS_S8(0, EENN_STEP_SUM_S8, EENN_FINISH_REQUANTIZE_S8)
}

void eenn_reduce_max_s8(EENN_REDUCE_PARAMS_S8)
{
    EENN_REDUCE_LOOPS_S8(INT8_MIN, EENN_STEP_MAX_S8, EENN_FINISH_SAME_S8)
}

void eenn_reduce_min_s8(EENN_REDUCE_PARAMS_S8)
{
    EENN_REDUCE_LOOPS_S8(INT8_MAX, EENN_STEP_MIN_S8, EENN_FINISH_SAME_S8)
}
