/*
 * eenn_quantize_typed.c - QuantizeLinear and DequantizeLinear of a float32 build, as ONNX defines them, per tensor
 * (channels 1) or per axis (one scale and zero point per channel of [outer, channels, inner]):
 *   eenn_quantize_linear_f32_T    y = saturate(round_half_to_even(x / scale) + zero_point)   float32 -> T
 *                                 (x / scale in float32; NaN gives the zero point, +-INFINITY saturates)
 *   eenn_dequantize_linear_T_f32  y = (x - zero_point) * scale                             T -> float32
 *                                 (x - zero_point rounded to float32 once, then the product)
 * T: s8 (int8), u8 (uint8); dequantize also s32 (int32). zero_point may be NULL (0). scale and zero_point hold
 * `channels` values; they may be constants or tensors computed at run time.
 */
#include <math.h>

#include "eenn_kernels_typed.h"

#define EENN_DEFINE_QUANTIZE(S, T, LOW, HIGH)                                                                  \
    void eenn_quantize_linear_f32_##S(const float *input, const float *scale, const T *zero_point, T *output, \
                                      int32_t outer, int32_t channels, int32_t inner)                         \
    {                                                                                                         \
        for (int32_t o = 0; o < outer; o++) {                                                                 \
            for (int32_t c = 0; c < channels; c++) {                                                          \
                const float s = scale[c];                                                                     \
                const float zp = zero_point != NULL ? (float)zero_point[c] : 0.0f;                            \
                for (int32_t i = 0; i < inner; i++) {                                                         \
                    const float scaled = *input++ / s;                                                        \
                    /* nearbyintf rounds half to even in the default rounding mode. */                        \
                    const float v = scaled != scaled ? zp : nearbyintf(scaled) + zp;                          \
                    *output++ = v <= (float)(LOW) ? (T)(LOW) : v >= (float)(HIGH) ? (T)(HIGH) : (T)v;         \
                }                                                                                             \
            }                                                                                                 \
        }                                                                                                     \
    }

#define EENN_DEFINE_DEQUANTIZE(S, T)                                                                           \
    void eenn_dequantize_linear_##S##_f32(const T *input, const float *scale, const T *zero_point,            \
                                          float *output, int32_t outer, int32_t channels, int32_t inner)      \
    {                                                                                                         \
        for (int32_t o = 0; o < outer; o++) {                                                                 \
            for (int32_t c = 0; c < channels; c++) {                                                          \
                const float s = scale[c];                                                                     \
                const int64_t zp = zero_point != NULL ? (int64_t)zero_point[c] : 0;                           \
                for (int32_t i = 0; i < inner; i++) {                                                         \
                    *output++ = (float)((int64_t)*input++ - zp) * s;                                          \
                }                                                                                             \
            }                                                                                                 \
        }                                                                                                     \
    }

EENN_DEFINE_QUANTIZE(s8, int8_t, INT8_MIN, INT8_MAX)
EENN_DEFINE_QUANTIZE(u8, uint8_t, 0, UINT8_MAX)
EENN_DEFINE_DEQUANTIZE(s8, int8_t)
EENN_DEFINE_DEQUANTIZE(u8, uint8_t)
EENN_DEFINE_DEQUANTIZE(s32, int32_t)
