/*
 * eenn_fc_f32.c - float32 fully connected layers (constant weights, packed) and matrix products of two
 * runtime tensors.
 *
 * Speed notes: eenn_fc_f32 computes 4 output features at once from weights the compiler interleaved
 * ([in_features][4] per block), with the input loop unrolled by 2, so each input value loaded feeds 4
 * multiply-accumulates and the weights stream from one pointer.
 */
#include "eenn_kernels_f32.h"

void eenn_fc_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                 const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                 int32_t rows, int32_t in_features, int32_t out_features, float act_min, float act_max)
{
    for (int32_t r = 0; r < rows; r++) {
        const float *x = input + r * in_features;
        float *out = output + r * out_features;
        int32_t n = 0;
        for (; n + 4 <= out_features; n += 4) {
            const float *w = weights + n * in_features;
            float a0 = bias != NULL ? bias[n] : 0.0f;
            float a1 = bias != NULL ? bias[n + 1] : 0.0f;
            float a2 = bias != NULL ? bias[n + 2] : 0.0f;
            float a3 = bias != NULL ? bias[n + 3] : 0.0f;
            int32_t k = 0;
            for (; k + 2 <= in_features; k += 2) {
                const float x0 = x[k];
                const float x1 = x[k + 1];
                EENN_MAC_F32(a0, x0, w[0]);
                EENN_MAC_F32(a1, x0, w[1]);
                EENN_MAC_F32(a2, x0, w[2]);
                EENN_MAC_F32(a3, x0, w[3]);
                EENN_MAC_F32(a0, x1, w[4]);
                EENN_MAC_F32(a1, x1, w[5]);
                EENN_MAC_F32(a2, x1, w[6]);
                EENN_MAC_F32(a3, x1, w[7]);
                w += 8;
            }
            if (k < in_features) {
                const float x0 = x[k];
                EENN_MAC_F32(a0, x0, w[0]);
                EENN_MAC_F32(a1, x0, w[1]);
                EENN_MAC_F32(a2, x0, w[2]);
                EENN_MAC_F32(a3, x0, w[3]);
            }
            out[n] = eenn_clamp_f32(a0, act_min, act_max);
            out[n + 1] = eenn_clamp_f32(a1, act_min, act_max);
            out[n + 2] = eenn_clamp_f32(a2, act_min, act_max);
            out[n + 3] = eenn_clamp_f32(a3, act_min, act_max);
        }
        for (; n < out_features; n++) {
            const float *w = weights + n * in_features;
            float a0 = bias != NULL ? bias[n] : 0.0f;
            float a1 = 0.0f;
            int32_t k = 0;
            for (; k + 2 <= in_features; k += 2) {
                EENN_MAC_F32(a0, x[k], w[k]);
                EENN_MAC_F32(a1, x[k + 1], w[k + 1]);
            }
            if (k < in_features) {
                EENN_MAC_F32(a0, x[k], w[k]);
            }
            out[n] = eenn_clamp_f32(a0 + a1, act_min, act_max);
        }
    }
}

void eenn_matmul_f32(const float *EENN_RESTRICT a, const float *EENN_RESTRICT b,
                     const float *EENN_RESTRICT bias, float *EENN_RESTRICT output,
                     int32_t batches, int32_t m, int32_t k, int32_t n,
                     int32_t a_batch_stride, int32_t a_stride_m, int32_t a_stride_k,
                     int32_t b_batch_stride, int32_t b_stride_k, int32_t b_stride_n,
                     float act_min, float act_max)
{
    for (int32_t bt = 0; bt < batches; bt++) {
        const float *a_b = a + bt * a_batch_stride;
        const float *b_b = b + bt * b_batch_stride;
        float *out = output + bt * m * n;
        for (int32_t i = 0; i < m; i++) {
            const float *a_row = a_b + i * a_stride_m;
            int32_t j = 0;
            if (b_stride_n == 1) {
                /* Rows of B are contiguous: 4 columns at a time from one pointer. */
                for (; j + 4 <= n; j += 4) {
                    float c0 = bias != NULL ? bias[j] : 0.0f;
                    float c1 = bias != NULL ? bias[j + 1] : 0.0f;
                    float c2 = bias != NULL ? bias[j + 2] : 0.0f;
                    float c3 = bias != NULL ? bias[j + 3] : 0.0f;
                    const float *ap = a_row;
                    const float *bp = b_b + j;
                    for (int32_t kk = 0; kk < k; kk++) {
                        const float v = *ap;
                        EENN_MAC_F32(c0, v, bp[0]);
                        EENN_MAC_F32(c1, v, bp[1]);
                        EENN_MAC_F32(c2, v, bp[2]);
                        EENN_MAC_F32(c3, v, bp[3]);
                        ap += a_stride_k;
                        bp += b_stride_k;
                    }
                    out[i * n + j] = eenn_clamp_f32(c0, act_min, act_max);
                    out[i * n + j + 1] = eenn_clamp_f32(c1, act_min, act_max);
                    out[i * n + j + 2] = eenn_clamp_f32(c2, act_min, act_max);
                    out[i * n + j + 3] = eenn_clamp_f32(c3, act_min, act_max);
                }
            }
            for (; j < n; j++) {
                float c = bias != NULL ? bias[j] : 0.0f;
                const float *ap = a_row;
                const float *bp = b_b + j * b_stride_n;
                for (int32_t kk = 0; kk < k; kk++) {
                    EENN_MAC_F32(c, *ap, *bp);
                    ap += a_stride_k;
                    bp += b_stride_k;
                }
                out[i * n + j] = eenn_clamp_f32(c, act_min, act_max);
            }
        }
    }
}

void eenn_gemm_add_c_f32(const float *EENN_RESTRICT c, float *EENN_RESTRICT output, int32_t m, int32_t n,
                         int32_t c_stride_m, int32_t c_stride_n, float beta, float act_min, float act_max)
{
    for (int32_t i = 0; i < m; i++) {
        for (int32_t j = 0; j < n; j++) {
            const float v = output[i * n + j] + beta * c[i * c_stride_m + j * c_stride_n];
            output[i * n + j] = eenn_clamp_f32(v, act_min, act_max);
        }
    }
}
