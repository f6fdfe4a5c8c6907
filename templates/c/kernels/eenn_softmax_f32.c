/*
 * eenn_softmax_f32.c - float32 Softmax, LogSoftmax and Hardmax along one axis of [outer, axis_size, inner].
 *
 * Three passes per row (maximum, exponentials and their sum, normalization), each reading element i
 * before writing it, so the kernels may run in place. Subtracting the maximum keeps expf in range, as
 * onnxruntime does.
 */
#include <math.h>
#include "eenn_kernels_f32.h"

void eenn_softmax_f32(const float *input, float *output, int32_t outer, int32_t axis_size, int32_t inner)
{
    for (int32_t o = 0; o < outer; o++) {
        for (int32_t i = 0; i < inner; i++) {
            const float *x = input + o * axis_size * inner + i;
            float *y = output + o * axis_size * inner + i;
            float max = -INFINITY;
            for (int32_t k = 0; k < axis_size; k++) {
                max = x[k * inner] > max ? x[k * inner] : max;
            }
            float sum = 0.0f;
            for (int32_t k = 0; k < axis_size; k++) {
                const float e = expf(x[k * inner] - max);
                y[k * inner] = e;
                sum += e;
            }
            for (int32_t k = 0; k < axis_size; k++) {
                y[k * inner] = y[k * inner] / sum;
            }
        }
    }
}

void eenn_log_softmax_f32(const float *input, float *output, int32_t outer, int32_t axis_size, int32_t inner)
{
    for (int32_t o = 0; o < outer; o++) {
        for (int32_t i = 0; i < inner; i++) {
            const float *x = input + o * axis_size * inner + i;
            float *y = output + o * axis_size * inner + i;
            float max = -INFINITY;
            for (int32_t k = 0; k < axis_size; k++) {
                max = x[k * inner] > max ? x[k * inner] : max;
            }
            float sum = 0.0f;
            for (int32_t k = 0; k < axis_size; k++) {
                sum += expf(x[k * inner] - max);
            }
            const float log_sum = logf(sum);
            for (int32_t k = 0; k < axis_size; k++) {
                y[k * inner] = x[k * inner] - max - log_sum;
            }
        }
    }
}

void eenn_hardmax_f32(const float *input, float *output, int32_t outer, int32_t axis_size, int32_t inner)
{
    for (int32_t o = 0; o < outer; o++) {
        for (int32_t i = 0; i < inner; i++) {
            const float *x = input + o * axis_size * inner + i;
            float *y = output + o * axis_size * inner + i;
            int32_t best = 0;
            for (int32_t k = 1; k < axis_size; k++) {
                if (x[k * inner] > x[best * inner]) {
                    best = k;
                }
            }
            for (int32_t k = 0; k < axis_size; k++) {
                y[k * inner] = k == best ? 1.0f : 0.0f;
            }
        }
    }
}
