/*
 * fixedpoint-ops.h - one test vector through one function of eenn_fixedpoint.h. Shared by the host harness
 * (fixedpoint-harness.c) and the Cortex-M stub model (fixtures/fixedpoint-model.c) of the differential tests.
 *
 * A record is 16 int32: an operation code, then the function's arguments (floats as their bits). The result is
 * one int32 (a float result as its bits). Codes match OP in fixedpoint-vectors.ts.
 */
#ifndef FIXEDPOINT_OPS_H
#define FIXEDPOINT_OPS_H

#include <stdint.h>
#include <string.h>

#include "eenn_fixedpoint.h"

#define FIXEDPOINT_RECORD_WORDS 16
/** Result of an unknown operation code (never a valid result of the vectors). */
#define FIXEDPOINT_UNKNOWN_OP ((int32_t)0x7EADBEEF)

enum
{
    OP_CLAMP_S8 = 0,
    OP_CLAMP_S32 = 1,
    OP_ADD_WRAP_S32 = 2,
    OP_DOUBLING_HIGH_MULT_NO_SAT = 3,
    OP_DOUBLING_HIGH_MULT = 4,
    OP_DIVIDE_BY_POWER_OF_TWO = 5,
    OP_MULT_BY_POWER_OF_TWO = 6,
    OP_REQUANTIZE = 7,
    OP_REQUANTIZE_S8 = 8,
    OP_ADD_S8 = 9,
    OP_MUL_S8 = 10,
    OP_ROUNDING_DIVIDE_S32 = 11,
    OP_QUANTIZE_F32_S8 = 12,
    OP_DEQUANTIZE_S8_F32 = 13,
    OP_REQUANTIZE_S64 = 14
};

static inline float fixedpoint_float_of_bits(int32_t bits)
{
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static inline int32_t fixedpoint_bits_of_float(float value)
{
    int32_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

static inline int32_t fixedpoint_run_record(const int32_t *r)
{
    switch (r[0])
    {
    case OP_CLAMP_S8: return eenn_clamp_s8(r[1]);
    case OP_CLAMP_S32: return eenn_clamp_s32(r[1], r[2], r[3]);
    case OP_ADD_WRAP_S32: return eenn_add_wrap_s32(r[1], r[2]);
    case OP_DOUBLING_HIGH_MULT_NO_SAT: return eenn_doubling_high_mult_no_sat(r[1], r[2]);
    case OP_DOUBLING_HIGH_MULT: return eenn_doubling_high_mult(r[1], r[2]);
    case OP_DIVIDE_BY_POWER_OF_TWO: return eenn_divide_by_power_of_two(r[1], r[2]);
    case OP_MULT_BY_POWER_OF_TWO: return eenn_mult_by_power_of_two(r[1], r[2]);
    case OP_REQUANTIZE: return eenn_requantize(r[1], r[2], r[3]);
    case OP_REQUANTIZE_S8: return eenn_requantize_s8(r[1], r[2], r[3], r[4], r[5], r[6]);
    case OP_ADD_S8:
    {
        const eenn_add_params_s8 params = { r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14] };
        return eenn_add_s8((int8_t)r[1], (int8_t)r[2], &params);
    }
    case OP_MUL_S8:
    {
        const eenn_mul_params_s8 params = { r[3], r[4], r[5], r[6], r[7], r[8], r[9] };
        return eenn_mul_s8((int8_t)r[1], (int8_t)r[2], &params);
    }
    case OP_ROUNDING_DIVIDE_S32: return eenn_rounding_divide_s32(r[1], r[2]);
    case OP_QUANTIZE_F32_S8:
        return eenn_quantize_f32_s8(fixedpoint_float_of_bits(r[1]), fixedpoint_float_of_bits(r[2]), r[3]);
    case OP_DEQUANTIZE_S8_F32:
        return fixedpoint_bits_of_float(eenn_dequantize_s8_f32((int8_t)r[1], fixedpoint_float_of_bits(r[2]), r[3]));
    case OP_REQUANTIZE_S64:
    {
        /* The accumulator as two words (low, high); the result saturated to int32 (the kernels clamp it further). */
        const int64_t value = (int64_t)(((uint64_t)(uint32_t)r[2] << 32) | (uint32_t)r[1]);
        const int64_t result = eenn_requantize_s64(value, r[3], r[4]);
        return result < INT32_MIN ? INT32_MIN : result > INT32_MAX ? INT32_MAX : (int32_t)result;
    }
    default: return FIXEDPOINT_UNKNOWN_OP;
    }
}

#endif /* FIXEDPOINT_OPS_H */
