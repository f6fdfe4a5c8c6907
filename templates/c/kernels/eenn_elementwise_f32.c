/*
 * eenn_elementwise_f32.c - float32 binary operators with numpy broadcasting, and the per-channel affine map.
 *
 * Every binary kernel walks the output [d0, d1, d2, d3] contiguously; the innermost run picks one of
 * three loops (both operands contiguous, b repeated, a repeated) once per run, not per element. Output
 * element i is written after a[i] and b[i] are read, so the kernels may run in place.
 */
#include <math.h>
#include "eenn_kernels_f32.h"

/* The loops shared by all binary kernels; OP(x, y) computes one element. */
#define EENN_BINARY_LOOPS(OP)                                            \
    for (int32_t i0 = 0; i0 < d0; i0++) {                                \
        for (int32_t i1 = 0; i1 < d1; i1++) {                            \
            for (int32_t i2 = 0; i2 < d2; i2++) {                        \
                const float *pa = a + i0 * a_s0 + i1 * a_s1 + i2 * a_s2; \
                const float *pb = b + i0 * b_s0 + i1 * b_s1 + i2 * b_s2; \
                if (a_s3 == 1 && b_s3 == 1) {                            \
                    for (int32_t i3 = 0; i3 < d3; i3++) {                \
                        const float x = pa[i3];                          \
                        const float y = pb[i3];                          \
                        output[i3] = OP(x, y);                           \
                    }                                                    \
                } else if (a_s3 == 1 && b_s3 == 0) {                     \
                    const float y = *pb;                                 \
                    for (int32_t i3 = 0; i3 < d3; i3++) {                \
                        const float x = pa[i3];                          \
                        output[i3] = OP(x, y);                           \
                    }                                                    \
                } else if (a_s3 == 0 && b_s3 == 1) {                     \
                    const float x = *pa;                                 \
                    for (int32_t i3 = 0; i3 < d3; i3++) {                \
                        const float y = pb[i3];                          \
                        output[i3] = OP(x, y);                           \
                    }                                                    \
                } else {                                                 \
                    for (int32_t i3 = 0; i3 < d3; i3++) {                \
                        const float x = pa[i3 * a_s3];                   \
                        const float y = pb[i3 * b_s3];                   \
                        output[i3] = OP(x, y);                           \
                    }                                                    \
                }                                                        \
                output += d3;                                            \
            }                                                            \
        }                                                                \
    }

#define EENN_OP_ADD(x, y) ((x) + (y))
#define EENN_OP_SUB(x, y) ((x) - (y))
#define EENN_OP_MUL(x, y) ((x) * (y))
#define EENN_OP_DIV(x, y) ((x) / (y))
/* NaN-propagating maximum / minimum, as ONNX Max / Min. */
#define EENN_OP_MAX(x, y) ((x) != (x) || (x) > (y) ? (x) : (y))
#define EENN_OP_MIN(x, y) ((x) != (x) || (x) < (y) ? (x) : (y))
#define EENN_OP_POW(x, y) powf((x), (y))
#define EENN_OP_PRELU(x, y) ((x) < 0.0f ? (x) * (y) : (x))
#define EENN_OP_MOD(x, y) fmodf((x), (y))

void eenn_add_f32(EENN_BINARY_PARAMS_F32)
{
    EENN_BINARY_LOOPS(EENN_OP_ADD)
}

void eenn_sub_f32(EENN_BINARY_PARAMS_F32)
{
    EENN_BINARY_LOOPS(EENN_OP_SUB)
}

void eenn_mul_f32(EENN_BINARY_PARAMS_F32)
{
    EENN_BINARY_LOOPS(EENN_OP_MUL)
}

void eenn_div_f32(EENN_BINARY_PARAMS_F32)
{
    EENN_BINARY_LOOPS(EENN_OP_DIV)
}

void eenn_max_f32(EENN_BINARY_PARAMS_F32)
{
    EENN_BINARY_LOOPS(EENN_OP_MAX)
}

void eenn_min_f32(EENN_BINARY_PARAMS_F32)
{
    EENN_BINARY_LOOPS(EENN_OP_MIN)
}

void eenn_pow_f32(EENN_BINARY_PARAMS_F32)
{
    EENN_BINARY_LOOPS(EENN_OP_POW)
}

void eenn_prelu_f32(EENN_BINARY_PARAMS_F32)
{
    EENN_BINARY_LOOPS(EENN_OP_PRELU)
}

void eenn_mod_f32(EENN_BINARY_PARAMS_F32)
{
    EENN_BINARY_LOOPS(EENN_OP_MOD)
}

void eenn_channel_affine_f32(const float *input, float *output, int32_t outer, int32_t channels, int32_t inner,
                             const float *EENN_RESTRICT scale, const float *EENN_RESTRICT shift)
{
    for (int32_t o = 0; o < outer; o++) {
        for (int32_t c = 0; c < channels; c++) {
            const float s = scale[c];
            const float t = shift[c];
            for (int32_t i = 0; i < inner; i++) {
                float v = t;
                EENN_MAC_F32(v, input[i], s);
                output[i] = v;
            }
            input += inner;
            output += inner;
        }
    }
}

void eenn_batch_norm_f32(const float *input, float *output, int32_t outer, int32_t channels, int32_t inner,
                         const float *EENN_RESTRICT scale, const float *EENN_RESTRICT bias,
                         const float *EENN_RESTRICT mean, const float *EENN_RESTRICT var, float epsilon)
{
    for (int32_t o = 0; o < outer; o++) {
        for (int32_t c = 0; c < channels; c++) {
            const float m = mean[c];
            const float deviation = sqrtf(var[c] + epsilon);
            const float s = scale[c];
            const float b = bias[c];
            for (int32_t i = 0; i < inner; i++) {
                output[i] = (input[i] - m) / deviation * s + b;
            }
            input += inner;
            output += inner;
        }
    }
}
