/*
 * eenn_exit_f32.c - the decision after a float32 exit head: does the model stop at this exit? The statistics of
 * src/exits/decide.ts (decideFloat) in float32, step by step in the same order: the largest softmax probability,
 * the margin between the two largest, or the entropy divided by ln(classes), against the threshold.
 *
 * Logits: e_i = expf(-(max - x_i)), S = sum e_i; the largest probability is 1 / S and the entropy
 * ln S + sum e_i (max - x_i) / S. Probabilities (a softmax output) are read as they are. Each function returns 1
 * when the exit is taken, 0 when the model goes on.
 */
#include <math.h>

#include "eenn_kernels_f32.h"

/* The largest value. */
static float eenn_exit_max_f32(const float *input, int32_t classes)
{
    float top = input[0];
    for (int32_t i = 1; i < classes; i++) {
        top = input[i] > top ? input[i] : top;
    }
    return top;
}

/* The largest and the second largest value (the largest again when it occurs twice); classes >= 2. */
static void eenn_exit_top_two_f32(const float *input, int32_t classes, float *first, float *second)
{
    float top = input[0];
    float next = -INFINITY;
    for (int32_t i = 1; i < classes; i++) {
        const float v = input[i];
        if (v > top) {
            next = top;
            top = v;
        } else if (v > next) {
            next = v;
        }
    }
    *first = top;
    *second = next;
}

/* S = sum of expf(-(max - x_i)), and sum of expf(-(max - x_i)) (max - x_i) where `weighted` is wanted. */
static float eenn_exit_exp_sum_f32(const float *input, int32_t classes, float max, float *weighted)
{
    float sum = 0.0f;
    float moment = 0.0f;
    for (int32_t i = 0; i < classes; i++) {
        const float d = max - input[i];
        const float e = expf(-d);
        sum += e;
        const float term = e * d;
        moment += term;
    }
    if (weighted) {
        *weighted = moment;
    }
    return sum;
}

int32_t eenn_exit_max_softmax_f32(const float *input, int32_t classes, float threshold)
{
    const float max = eenn_exit_max_f32(input, classes);
    const float sum = eenn_exit_exp_sum_f32(input, classes, max, NULL);
    return 1.0f / sum >= threshold;
}

int32_t eenn_exit_margin_f32(const float *input, int32_t classes, float threshold)
{
    float max;
    float second;
    eenn_exit_top_two_f32(input, classes, &max, &second);
    const float sum = eenn_exit_exp_sum_f32(input, classes, max, NULL);
    const float gap = 1.0f - expf(-(max - second));
    return gap / sum >= threshold;
}

int32_t eenn_exit_entropy_f32(const float *input, int32_t classes, float threshold)
{
    const float max = eenn_exit_max_f32(input, classes);
    float weighted;
    const float sum = eenn_exit_exp_sum_f32(input, classes, max, &weighted);
    const float entropy = logf(sum) + weighted / sum;
    return entropy / logf((float)classes) <= threshold;
}

int32_t eenn_exit_max_softmax_probs_f32(const float *input, int32_t classes, float threshold)
{
    return eenn_exit_max_f32(input, classes) >= threshold;
}

int32_t eenn_exit_margin_probs_f32(const float *input, int32_t classes, float threshold)
{
    float max;
    float second;
    eenn_exit_top_two_f32(input, classes, &max, &second);
    return max - second >= threshold;
}

int32_t eenn_exit_entropy_probs_f32(const float *input, int32_t classes, float threshold)
{
    float entropy = 0.0f;
    for (int32_t i = 0; i < classes; i++) {
        const float p = input[i];
        if (p > 0.0f) {
            const float term = p * logf(p);
            entropy -= term;
        }
    }
    return entropy / logf((float)classes) <= threshold;
}
