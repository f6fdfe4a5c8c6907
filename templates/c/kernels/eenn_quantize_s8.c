/*
 * eenn_quantize_s8.c - conversions between float32 and int8 at the edges of a model built with float32 inputs
 * or outputs: one eenn_quantize_f32_s8 / eenn_dequantize_s8_f32 per element (eenn_fixedpoint.h).
 */
#include "eenn_kernels_s8.h"

void eenn_quantize_s8(const float *EENN_RESTRICT input, int8_t *EENN_RESTRICT output, int32_t size, float scale,
                      int32_t zero_point)
{
    for (int32_t i = 0; i < size; i++) {
        output[i] = eenn_quantize_f32_s8(input[i], scale, zero_point);
    }
}

void eenn_dequantize_s8(const int8_t *EENN_RESTRICT input, float *EENN_RESTRICT output, int32_t size, float scale,
                        int32_t zero_point)
{
    for (int32_t i = 0; i < size; i++) {
        output[i] = eenn_dequantize_s8_f32(input[i], scale, zero_point);
    }
}
