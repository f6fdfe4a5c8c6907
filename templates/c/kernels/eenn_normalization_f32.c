/*
 * eenn_normalization_f32.c - float32 LayerNormalization and InstanceNormalization.
 *
 * Both normalize contiguous rows of values: a LayerNormalization row is the normalized axes of X (axis to the
 * last), an InstanceNormalization row is one (n, c) plane. Each row takes three passes: the mean, the variance
 * as the mean of squared deviations from it (two passes, as onnxruntime computes it, rather than E[x^2] -
 * E[x]^2, which cancels), then y = (x - mean) * inv_std_dev * scale + bias. Each pass reads element i before
 * the last one writes it.
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
