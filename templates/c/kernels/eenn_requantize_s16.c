/*
 * eenn_requantize_s16.c - changes of scale and width between int8 and int16 tensors (eenn_kernels_s16.h), element
 * by element: y = clamp(eenn_requantize(x + input_offset, multiplier, shift) + output_offset, act_min, act_max).
 */
#include "eenn_kernels_s16.h"

/* One element: the formula above. */
static inline int32_t eenn_requantize_element(int32_t x, int32_t input_offset, int32_t output_offset, int32_t multiplier,
                                              int32_t shift, int32_t act_min, int32_t act_max)
{
    const int32_t y = eenn_add_wrap_s32(eenn_requantize(x + input_offset, multiplier, shift), output_offset);
    return eenn_clamp_s32(y, act_min, act_max);
}

void eenn_requantize_s8_s16(const int8_t *EENN_RESTRICT input, int16_t *EENN_RESTRICT output, int32_t size,
                            int32_t input_offset, int32_t multiplier, int32_t shift, int32_t act_min, int32_t act_max)
{
    for (int32_t i = 0; i < size; i++) {
        output[i] = (int16_t)eenn_requantize_element(input[i], input_offset, 0, multiplier, shift, act_min, act_max);
    }
}

void eenn_requantize_s16_s8(const int16_t *EENN_RESTRICT input, int8_t *EENN_RESTRICT output, int32_t size,
                            int32_t output_offset, int32_t multiplier, int32_t shift, int32_t act_min, int32_t act_max)
{
    for (int32_t i = 0; i < size; i++) {
        output[i] = (int8_t)eenn_requantize_element(input[i], 0, output_offset, multiplier, shift, act_min, act_max);
    }
}

void eenn_requantize_s16(const int16_t *EENN_RESTRICT input, int16_t *EENN_RESTRICT output, int32_t size,
                         int32_t multiplier, int32_t shift, int32_t act_min, int32_t act_max)
{
    for (int32_t i = 0; i < size; i++) {
        output[i] = (int16_t)eenn_requantize_element(input[i], 0, 0, multiplier, shift, act_min, act_max);
    }
}
