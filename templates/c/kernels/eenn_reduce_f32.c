/*
 * eenn_reduce_f32.c - float32 reductions (ReduceSum/Mean/Max/Min/Prod/L1/L2/SumSquare/LogSum/LogSumExp)
 * over any set of axes, expressed as up to three kept runs and three reduced runs of strided axes.
 */
#include <math.h>
#include "eenn_kernels_f32.h"

/*
 * The loops shared by all reductions: INIT sets acc, STEP(acc, x) folds one element, FINISH(acc, count)
 * gives the output value.
 */
#define EENN_REDUCE_LOOPS(INIT, STEP, FINISH)                                  \
    const int32_t count = r0 * r1 * r2;                                        \
    for (int32_t j0 = 0; j0 < k0; j0++) {                                      \
        for (int32_t j1 = 0; j1 < k1; j1++) {                                  \
            for (int32_t j2 = 0; j2 < k2; j2++) {                              \
                const float *base = input + j0 * k_s0 + j1 * k_s1 + j2 * k_s2; \
                float acc = (INIT);                                            \
                for (int32_t i0 = 0; i0 < r0; i0++) {                          \
                    for (int32_t i1 = 0; i1 < r1; i1++) {                      \
                        const float *p = base + i0 * r_s0 + i1 * r_s1;         \
                        for (int32_t i2 = 0; i2 < r2; i2++) {                  \
                            const float x = p[i2 * r_s2];                      \
                            acc = STEP(acc, x);                                \
                        }                                                      \
                    }                                                          \
                }                                                              \
                *output++ = FINISH(acc, count);                                \
            }                                                                  \
        }                                                                      \
    }

#define EENN_STEP_SUM(acc, x) ((acc) + (x))
#define EENN_STEP_MAX(acc, x) ((x) > (acc) || (x) != (x) ? (x) : (acc))
#define EENN_STEP_MIN(acc, x) ((x) < (acc) || (x) != (x) ? (x) : (acc))
#define EENN_STEP_PROD(acc, x) ((acc) * (x))
#define EENN_STEP_L1(acc, x) ((acc) + fabsf(x))
#define EENN_STEP_SQUARE(acc, x) ((acc) + (x) * (x))
#define EENN_FINISH_SAME(acc, n) ((void)(n), (acc))
#define EENN_FINISH_MEAN(acc, n) ((acc) / (float)(n))
#define EENN_FINISH_SQRT(acc, n) ((void)(n), sqrtf(acc))
#define EENN_FINISH_LOG(acc, n) ((void)(n), logf(acc))

void eenn_reduce_sum_f32(EENN_REDUCE_PARAMS_F32)
{
    EENN_REDUCE_LOOPS(0.0f, EENN_STEP_SUM, EENN_FINISH_SAME)
}

void eenn_reduce_mean_f32(EENN_REDUCE_PARAMS_F32)
{
    EENN_REDUCE_LOOPS(0.0f, EENN_STEP_SUM, EENN_FINISH_MEAN)
}

void eenn_reduce_max_f32(EENN_REDUCE_PARAMS_F32)
{
    EENN_REDUCE_LOOPS(-INFINITY, EENN_STEP_MAX, EENN_FINISH_SAME)
}

void eenn_reduce_min_f32(EENN_REDUCE_PARAMS_F32)
{
    EENN_REDUCE_LOOPS(INFINITY, EENN_STEP_MIN, EENN_FINISH_SAME)
}

void eenn_reduce_prod_f32(EENN_REDUCE_PARAMS_F32)
{
    EENN_REDUCE_LOOPS(1.0f, EENN_STEP_PROD, EENN_FINISH_SAME)
}

void eenn_reduce_l1_f32(EENN_REDUCE_PARAMS_F32)
{
    EENN_REDUCE_LOOPS(0.0f, EENN_STEP_L1, EENN_FINISH_SAME)
}

void eenn_reduce_l2_f32(EENN_REDUCE_PARAMS_F32)
{
    EENN_REDUCE_LOOPS(0.0f, EENN_STEP_SQUARE, EENN_FINISH_SQRT)
}

void eenn_reduce_sum_square_f32(EENN_REDUCE_PARAMS_F32)
{
    EENN_REDUCE_LOOPS(0.0f, EENN_STEP_SQUARE, EENN_FINISH_SAME)
}

void eenn_reduce_log_sum_f32(EENN_REDUCE_PARAMS_F32)
{
    EENN_REDUCE_LOOPS(0.0f, EENN_STEP_SUM, EENN_FINISH_LOG)
}

void eenn_reduce_log_sum_exp_f32(EENN_REDUCE_PARAMS_F32)
{
    /* Two passes per output: the maximum, then log(sum(exp(x - max))) + max. */
    const int32_t count = r0 * r1 * r2;
    for (int32_t j0 = 0; j0 < k0; j0++) {
        for (int32_t j1 = 0; j1 < k1; j1++) {
            for (int32_t j2 = 0; j2 < k2; j2++) {
                const float *base = input + j0 * k_s0 + j1 * k_s1 + j2 * k_s2;
                float max = -INFINITY;
                for (int32_t i0 = 0; i0 < r0; i0++) {
                    for (int32_t i1 = 0; i1 < r1; i1++) {
                        for (int32_t i2 = 0; i2 < r2; i2++) {
                            const float x = base[i0 * r_s0 + i1 * r_s1 + i2 * r_s2];
                            max = x > max ? x : max;
                        }
                    }
                }
                if (count == 0 || isinf(max)) {
                    max = 0.0f;
                }
                float sum = 0.0f;
                for (int32_t i0 = 0; i0 < r0; i0++) {
                    for (int32_t i1 = 0; i1 < r1; i1++) {
                        for (int32_t i2 = 0; i2 < r2; i2++) {
                            sum += expf(base[i0 * r_s0 + i1 * r_s1 + i2 * r_s2] - max);
                        }
                    }
                }
                *output++ = logf(sum) + max;
            }
        }
    }
}
