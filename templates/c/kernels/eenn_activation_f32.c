/*
 * eenn_activation_f32.c - float32 activations and other element-wise unary operators.
 *
 * Each kernel reads element i before writing element i, so it may run in place. The math follows the
 * ONNX operator definitions literally (e.g. Sigmoid is 1 / (1 + exp(-x))) so that results stay within a
 * few ulps of onnxruntime's.
 */
#include <math.h>
#include "eenn_kernels_f32.h"

#define EENN_UNARY_LOOP(EXPR)            \
    for (int32_t i = 0; i < size; i++) { \
        const float x = input[i];        \
        output[i] = (EXPR);              \
    }

void eenn_relu_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(x > 0.0f ? x : 0.0f)
}

void eenn_clip_f32(const float *input, float *output, int32_t size, float min, float max)
{
    EENN_UNARY_LOOP(eenn_clamp_f32(x, min, max))
}

void eenn_clip_bounds_f32(const float *input, float *output, int32_t size, const float *min, const float *max)
{
    const float lo = min != NULL ? *min : -INFINITY;
    const float hi = max != NULL ? *max : INFINITY;
    EENN_UNARY_LOOP(eenn_clamp_f32(x, lo, hi))
}

void eenn_leaky_relu_f32(const float *input, float *output, int32_t size, float alpha)
{
    EENN_UNARY_LOOP(x < 0.0f ? alpha * x : x)
}

void eenn_thresholded_relu_f32(const float *input, float *output, int32_t size, float alpha)
{
    EENN_UNARY_LOOP(x > alpha ? x : 0.0f)
}

void eenn_shrink_f32(const float *input, float *output, int32_t size, float lambd, float bias)
{
    EENN_UNARY_LOOP(x < -lambd ? x + bias : (x > lambd ? x - bias : 0.0f))
}

void eenn_sigmoid_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(1.0f / (1.0f + expf(-x)))
}

void eenn_tanh_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(tanhf(x))
}

void eenn_hard_sigmoid_f32(const float *input, float *output, int32_t size, float alpha, float beta)
{
    EENN_UNARY_LOOP(eenn_clamp_f32(alpha * x + beta, 0.0f, 1.0f))
}

void eenn_hard_swish_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(x * eenn_clamp_f32(x / 6.0f + 0.5f, 0.0f, 1.0f))
}

void eenn_elu_f32(const float *input, float *output, int32_t size, float alpha)
{
    EENN_UNARY_LOOP(x < 0.0f ? alpha * expm1f(x) : x)
}

void eenn_selu_f32(const float *input, float *output, int32_t size, float alpha, float gamma)
{
    EENN_UNARY_LOOP(x > 0.0f ? gamma * x : gamma * alpha * expm1f(x))
}

void eenn_celu_f32(const float *input, float *output, int32_t size, float alpha)
{
    EENN_UNARY_LOOP(x > 0.0f ? x : alpha * expm1f(x / alpha))
}

void eenn_softplus_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x)))
}

void eenn_softsign_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(x / (1.0f + fabsf(x)))
}

void eenn_mish_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(x * tanhf(x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x))))
}

void eenn_gelu_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(0.5f * x * (1.0f + erff(x * 0.70710678118654752f)))
}

void eenn_gelu_tanh_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x))))
}

void eenn_exp_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(expf(x))
}

void eenn_log_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(logf(x))
}

void eenn_sqrt_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(sqrtf(x))
}

void eenn_neg_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(-x)
}

void eenn_abs_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(fabsf(x))
}

void eenn_reciprocal_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(1.0f / x)
}

void eenn_floor_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(floorf(x))
}

void eenn_ceil_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(ceilf(x))
}

/* Round half to even without depending on the rounding mode: floor, then fix up the .5 cases. */
static inline float eenn_round_half_even_f32(float x)
{
    const float f = floorf(x);
    const float diff = x - f;
    if (diff > 0.5f) {
        return f + 1.0f;
    }
    if (diff < 0.5f) {
        return f;
    }
    return fmodf(f, 2.0f) == 0.0f ? f : f + 1.0f;
}

void eenn_round_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(eenn_round_half_even_f32(x))
}

void eenn_erf_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(erff(x))
}

void eenn_sign_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : x))
}

void eenn_sin_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(sinf(x))
}

void eenn_cos_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(cosf(x))
}

void eenn_tan_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(tanf(x))
}

void eenn_asin_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(asinf(x))
}

void eenn_acos_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(acosf(x))
}

void eenn_atan_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(atanf(x))
}

void eenn_sinh_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(sinhf(x))
}

void eenn_cosh_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(coshf(x))
}

void eenn_asinh_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(asinhf(x))
}

void eenn_acosh_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(acoshf(x))
}

void eenn_atanh_f32(const float *input, float *output, int32_t size)
{
    EENN_UNARY_LOOP(atanhf(x))
}
