/*
 * eenn_layout_s16.c - data movement of int16 tensors (eenn_kernels_s16.h): copy and strided copy, the index rules
 * of eenn_layout_s8.c on two-byte elements.
 */
#include "eenn_kernels_s16.h"

void eenn_copy_s16(const int16_t *EENN_RESTRICT input, int16_t *EENN_RESTRICT output, int32_t size)
{
    for (int32_t i = 0; i < size; i++) {
        output[i] = input[i];
    }
}

void eenn_strided_copy_s16(const int16_t *EENN_RESTRICT input, int16_t *EENN_RESTRICT output,
                           int32_t d0, int32_t d1, int32_t d2, int32_t d3,
                           int32_t in_s0, int32_t in_s1, int32_t in_s2, int32_t in_s3,
                           int32_t out_s0, int32_t out_s1, int32_t out_s2, int32_t out_s3)
{
    for (int32_t i0 = 0; i0 < d0; i0++) {
        for (int32_t i1 = 0; i1 < d1; i1++) {
            for (int32_t i2 = 0; i2 < d2; i2++) {
                const int16_t *src = input + i0 * in_s0 + i1 * in_s1 + i2 * in_s2;
                int16_t *dst = output + i0 * out_s0 + i1 * out_s1 + i2 * out_s2;
                for (int32_t i3 = 0; i3 < d3; i3++) {
                    dst[i3 * out_s3] = src[i3 * in_s3];
                }
            }
        }
    }
}
