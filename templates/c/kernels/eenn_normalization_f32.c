/*
 * eenn_normalization_f32.c - float32 LayerNormalization, InstanceNormalization, MeanVarianceNormalization and LRN.
 *
 * Both normalize contiguous rows of values: a LayerNormalization row is the normalized axes of X (axis to the
 * last), an InstanceNormalization row is one (n, c) plane. Each row takes three passes: the mean, the variance
 * as the mean of squared deviations from it (two passes, as onnxruntime computes it, rather than E[x^2] -
 * E[x]^2, which cancels), then y = (x - mean) * inv_std_dev * scale + bias. Each pass reads element i before
 * the last one writes it. MeanVarianceNormalization does the same over any set of axes, in the strided layout of
 * the reductions, with the epsilon added to the standard deviation. LRN divides each value by a power of the sum
 * of squares over a window of neighbouring channels.
 */
#include <math.h>
#include "eenn_kernels_f32.h"

/* The mean of a row of `size` values and 1 / sqrt(variance + epsilon). */
static void eenn_row_statistics_f32(const float *x, int32_t size, float epsilon, float *mean_out, float *inv_std_dev_out)
{
    float sum = 0.0f;
    for (int32_t i = 0; i < size; i++) {
        sum += x[i];
    }
    const float mean = sum / (float)size;
    float squares = 0.0f;
    for (int32_t i = 0; i < size; i++) {
        const float deviation = x[i] - mean;
        squares += deviation * deviation;
    }
    *mean_out = mean;
    *inv_std_dev_out = 1.0f / sqrtf(squares / (float)size + epsilon);
}

void eenn_layer_norm_f32(const float *input, float *output, int32_t rows, int32_t row_size, const float *scale,
                         int32_t scale_size, const float *bias, int32_t bias_size, float epsilon, float *mean,
                         float *inv_std_dev)
{
    for (int32_t r = 0; r < rows; r++) {
        const float *x = input + r * row_size;
        float *y = output + r * row_size;
        float row_mean;
        float row_inv_std_dev;
        eenn_row_statistics_f32(x, row_size, epsilon, &row_mean, &row_inv_std_dev);
        /* Scale and B repeat along the row when they cover only its trailing axes. */
        int32_t s = 0;
        int32_t b = 0;
        for (int32_t i = 0; i < row_size; i++) {
            const float shift = bias != NULL ? bias[b] : 0.0f;
            y[i] = (x[i] - row_mean) * row_inv_std_dev * scale[s] + shift;
            s = s + 1 == scale_size ? 0 : s + 1;
            b = b + 1 == bias_size ? 0 : b + 1;
        }
        if (mean != NULL) {
            mean[r] = row_mean;
        }
        if (inv_std_dev != NULL) {
            inv_std_dev[r] = row_inv_std_dev;
        }
    }
}

void eenn_instance_norm_f32(const float *input, float *output, int32_t batch, int32_t channels, int32_t plane_size,
                            const float *scale, const float *bias, float epsilon)
{
    for (int32_t n = 0; n < batch; n++) {
        for (int32_t c = 0; c < channels; c++) {
            const int32_t base = (n * channels + c) * plane_size;
            float plane_mean;
            float plane_inv_std_dev;
            eenn_row_statistics_f32(input + base, plane_size, epsilon, &plane_mean, &plane_inv_std_dev);
            const float multiplier = plane_inv_std_dev * scale[c];
            for (int32_t i = 0; i < plane_size; i++) {
                output[base + i] = (input[base + i] - plane_mean) * multiplier + bias[c];
            }
        }
    }
}

/*
 * The reduced elements of one output group of eenn_mvn_f32, at base + i0*r_s0 + i1*r_s1 + i2*r_s2: BODY runs
 * with `at` set to each one's offset.
 */
#define EENN_MVN_FOR_GROUP(BODY)                                     \
    for (int32_t i0 = 0; i0 < r0; i0++) {                            \
        for (int32_t i1 = 0; i1 < r1; i1++) {                        \
            for (int32_t i2 = 0; i2 < r2; i2++) {                    \
                const int32_t at = base + i0 * r_s0 + i1 * r_s1 + i2 * r_s2; \
                BODY                                                 \
            }                                                        \
        }                                                            \
    }

void eenn_mvn_f32(const float *input, float *output, int32_t k0, int32_t k1, int32_t k2, int32_t k_s0, int32_t k_s1,
                  int32_t k_s2, int32_t r0, int32_t r1, int32_t r2, int32_t r_s0, int32_t r_s1, int32_t r_s2,
                  float epsilon)
{
    const float count = (float)(r0 * r1 * r2);
    for (int32_t j0 = 0; j0 < k0; j0++) {
        for (int32_t j1 = 0; j1 < k1; j1++) {
            for (int32_t j2 = 0; j2 < k2; j2++) {
                const int32_t base = j0 * k_s0 + j1 * k_s1 + j2 * k_s2;
                float sum = 0.0f;
                EENN_MVN_FOR_GROUP(sum += input[at];)
                const float mean = sum / count;
                float squares = 0.0f;
                EENN_MVN_FOR_GROUP(const float deviation = input[at] - mean; squares += deviation * deviation;)
                const float inv_std_dev = 1.0f / (sqrtf(squares / count) + epsilon);
                EENN_MVN_FOR_GROUP(output[at] = (input[at] - mean) * inv_std_dev;)
            }
        }
    }
}

void eenn_lrn_f32(const float *EENN_RESTRICT input, float *EENN_RESTRICT output, int32_t batch, int32_t channels,
                  int32_t inner, int32_t before, int32_t after, float alpha_over_size, float beta, float bias)
{
    for (int32_t n = 0; n < batch; n++) {
        const float *x = input + n * channels * inner;
        float *y = output + n * channels * inner;
        for (int32_t c = 0; c < channels; c++) {
            const int32_t first = c - before > 0 ? c - before : 0;
            const int32_t last = c + after < channels - 1 ? c + after : channels - 1;
            for (int32_t i = 0; i < inner; i++) {
                float sum = 0.0f;
                for (int32_t k = first; k <= last; k++) {
                    const float v = x[k * inner + i];
                    sum += v * v;
                }
                y[c * inner + i] = x[c * inner + i] / powf(bias + alpha_over_size * sum, beta);
            }
        }
    }
}
