/*
 * eenn_elementwise_s8.c - int8 Add, Sub and Mul with numpy broadcasting over a 4-D index space.
 *
 * The per-element arithmetic is eenn_fixedpoint.h's (eenn_add_s8, eenn_mul_s8: CMSIS-NN's
 * arm_elementwise_add_s8 / arm_elementwise_mul_s8); the compiler merges dimensions so d3 is the longest run.
 */
#include "eenn_kernels_s8.h"

/* One element of an int8 Sub: eenn_add_s8 with the scaled second input subtracted (wrapping). */
static inline int8_t eenn_sub_element_s8(int8_t a, int8_t b, const eenn_add_params_s8 *params)
{
    const int32_t a_shifted = (int32_t)((uint32_t)((int32_t)a + params->input1_offset) << params->left_shift);
    const int32_t b_shifted = (int32_t)((uint32_t)((int32_t)b + params->input2_offset) << params->left_shift);
    const int32_t a_scaled = eenn_requantize(a_shifted, params->input1_multiplier, params->input1_shift);
    const int32_t b_scaled = eenn_requantize(b_shifted, params->input2_multiplier, params->input2_shift);
    const int32_t difference = (int32_t)((uint32_t)a_scaled - (uint32_t)b_scaled);
    return eenn_requantize_s8(difference, params->output_multiplier, params->output_shift, params->output_offset,
                              params->act_min, params->act_max);
}

/* The loops over the broadcast index space, shared by add and sub. */
static void eenn_add_sub_s8(EENN_BINARY_PARAMS_S8, const eenn_add_params_s8 *params, int32_t subtract)
{
    for (int32_t i0 = 0; i0 < d0; i0++) {
        for (int32_t i1 = 0; i1 < d1; i1++) {
            for (int32_t i2 = 0; i2 < d2; i2++) {
                const int8_t *pa = a + i0 * a_s0 + i1 * a_s1 + i2 * a_s2;
                const int8_t *pb = b + i0 * b_s0 + i1 * b_s1 + i2 * b_s2;
                for (int32_t i3 = 0; i3 < d3; i3++) {
                    const int8_t va = pa[i3 * a_s3];
                    const int8_t vb = pb[i3 * b_s3];
                    *output++ = subtract ? eenn_sub_element_s8(va, vb, params) : eenn_add_s8(va, vb, params);
                }
            }
        }
    }
}

void eenn_elementwise_add_s8(EENN_BINARY_PARAMS_S8, int32_t input1_offset, int32_t input1_multiplier,
                             int32_t input1_shift, int32_t input2_offset, int32_t input2_multiplier,
                             int32_t input2_shift, int32_t left_shift, int32_t output_offset,
                             int32_t output_multiplier, int32_t output_shift, int32_t act_min, int32_t act_max)
{
    const eenn_add_params_s8 params = {
        input1_offset, input1_multiplier, input1_shift, input2_offset, input2_multiplier, input2_shift,
        left_shift, output_offset, output_multiplier, output_shift, act_min, act_max,
    };
    eenn_add_sub_s8(a, b, output, d0, d1, d2, d3, a_s0, a_s1, a_s2, a_s3, b_s0, b_s1, b_s2, b_s3, &params, 0);
}

void eenn_elementwise_sub_s8(EENN_BINARY_PARAMS_S8, int32_t input1_offset, int32_t input1_multiplier,
                             int32_t input1_shift, int32_t input2_offset, int32_t input2_multiplier,
                             int32_t input2_shift, int32_t left_shift, int32_t output_offset,
                             int32_t output_multiplier, int32_t output_shift, int32_t act_min, int32_t act_max)
{
    const eenn_add_params_s8 params = {
        input1_offset, input1_multiplier, input1_shift, input2_offset, input2_multiplier, input2_shift,
        left_shift, output_offset, output_multiplier, output_shift, act_min, act_max,
    };
    eenn_add_sub_s8(a, b, output, d0, d1, d2, d3, a_s0, a_s1, a_s2, a_s3, b_s0, b_s1, b_s2, b_s3, &params, 1);
}

void eenn_elementwise_mul_s8(EENN_BINARY_PARAMS_S8, int32_t input1_offset, int32_t input2_offset,
                             int32_t output_offset, int32_t output_multiplier, int32_t output_shift,
                             int32_t act_min, int32_t act_max)
{
    const eenn_mul_params_s8 params = {
        input1_offset, input2_offset, output_offset, output_multiplier, output_shift, act_min, act_max,
    };
    for (int32_t i0 = 0; i0 < d0; i0++) {
        for (int32_t i1 = 0; i1 < d1; i1++) {
            for (int32_t i2 = 0; i2 < d2; i2++) {
                const int8_t *pa = a + i0 * a_s0 + i1 * a_s1 + i2 * a_s2;
                const int8_t *pb = b + i0 * b_s0 + i1 * b_s1 + i2 * b_s2;
                for (int32_t i3 = 0; i3 < d3; i3++) {
                    *output++ = eenn_mul_s8(pa[i3 * a_s3], pb[i3 * b_s3], &params);
                }
            }
        }
    }
}
