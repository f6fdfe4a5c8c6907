/*
 * eenn_fixedpoint.h - the integer arithmetic of eennc's int8 kernels (the TFLite / CMSIS-NN int8 scheme).
 *
 * Every int8 kernel and the generated model call these functions and nothing else for rounding, so the
 * compiler's reference (src/quantize/fixedpoint.ts, which mirrors this file function for function) and the
 * firmware produce the same bits. Differential tests run both on the same random vectors: the host build in
 * test/quantize/fixedpoint.test.ts, Cortex-M0+/M4/M55 under QEMU in test/quantize/fixedpoint-qemu.test.ts.
 *
 * The scheme
 *   real = scale * (q - zero_point)          q: int8, scale: float32 > 0, zero_point: [-128, 127]
 *   weights: symmetric per output channel (zero_point 0, q in [-127, 127]); bias: int32, scale s_in * s_w[c].
 *   A real multiplier M > 0 (e.g. s_in * s_w[c] / s_out) is held as a Q31 `multiplier` in [2^30, 2^31) and a
 *   `shift` in [-31, 30] with M ~= multiplier * 2^(shift - 31); shift > 0 is a left shift.
 *
 * Requantization is CMSIS-NN's arm_nn_requantize, default branch (CMSIS_NN_USE_SINGLE_ROUNDING not defined),
 * as in Include/arm_nnsupportfunctions.h V.22.0.0 (30 April 2024):
 *
 *   eenn_requantize(x, m, s) = divide_by_power_of_two(doubling_high_mult_no_sat(x << max(s, 0), m), max(-s, 0))
 *     doubling_high_mult_no_sat(a, b) = (int32_t)(((int64_t)a * b + 2^30) >> 31)     (ties toward +infinity)
 *     divide_by_power_of_two(x, e)    = x / 2^e rounded to nearest, ties away from zero
 *
 * TFLite's MultiplyByQuantizedMultiplier in its default (double rounding) build computes the same bits for every
 * multiplier in [0, 2^31 - 1]: gemmlowp's SaturatingRoundingDoublingHighMul nudges a negative product by 1 - 2^30
 * and divides truncating toward zero, which equals adding 2^30 and shifting right (ties toward +infinity in both).
 * The one difference is INT32_MIN * INT32_MIN, which TFLite saturates to INT32_MAX and CMSIS-NN wraps to
 * INT32_MIN; it needs multiplier == INT32_MIN, which quantizeMultiplier (src/quantize/multiplier.ts)
 * never makes. Builds with
 * CMSIS_NN_USE_SINGLE_ROUNDING / TFLITE_SINGLE_ROUNDING round once, (x * m + 2^(30 - s)) >> (31 - s), and differ
 * from this on many values; eennc does not use that variant. The CMSIS-NN MVE path (vqrdmulhq + rounding shift)
 * gives the same bits as this scalar code for multiplier > 0.
 *
 * The C keeps to defined behaviour: shifts of negative values and wrap-around go through uint32_t, so the host
 * build (and -fsanitize=undefined) computes exactly what a Cortex-M computes; where CMSIS-NN relies on the
 * hardware wrapping (x << s overflowing) these functions wrap the same way. The float conversions need IEEE
 * float32 arithmetic: build without -ffast-math.
 */
#ifndef EENN_FIXEDPOINT_H
#define EENN_FIXEDPOINT_H

#include <stdint.h>

#define EENN_Q31_MIN ((int32_t)(-2147483647 - 1))
#define EENN_Q31_MAX ((int32_t)2147483647)

/**
 * @brief  Saturate an int32 to int8.
 * @param[in] value  any int32
 * @return value clamped to [-128, 127]
 */
static inline int8_t eenn_clamp_s8(int32_t value)
{
    if (value < -128) {
        return (int8_t)-128;
    }
    if (value > 127) {
        return (int8_t)127;
    }
    return (int8_t)value;
}

/**
 * @brief  Clamp an int32 to [low, high] (an activation range: Relu, Relu6, Clip folded into the output stage).
 * @param[in] value  any int32
 * @param[in] low    lower bound, low <= high
 * @param[in] high   upper bound
 * @return max(low, min(value, high)), the order of CMSIS-NN's MAX then MIN
 */
static inline int32_t eenn_clamp_s32(int32_t value, int32_t low, int32_t high)
{
    value = value > low ? value : low;
    return value < high ? value : high;
}

/**
 * @brief  Two's complement add that wraps on overflow, like the Cortex-M ADD instruction.
 * @param[in] a  any int32
 * @param[in] b  any int32
 * @return (a + b) mod 2^32 as int32
 */
static inline int32_t eenn_add_wrap_s32(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

/**
 * @brief  Doubling high multiply without saturation: CMSIS-NN arm_nn_doubling_high_mult_no_sat.
 * @param[in] a  any int32
 * @param[in] b  any int32 (a requantization multiplier: [0, 2^31 - 1])
 * @return bits 31..62 of (int64_t)a * b + 2^30, i.e. round(a * b / 2^31) with ties toward +infinity.
 *         a == b == INT32_MIN wraps to INT32_MIN (the only case where VQRDMULH would saturate).
 */
static inline int32_t eenn_doubling_high_mult_no_sat(int32_t a, int32_t b)
{
    const int64_t product = (int64_t)a * (int64_t)b + ((int64_t)1 << 30);
    return (int32_t)(uint32_t)((uint64_t)product >> 31);
}

/**
 * @brief  Saturating rounding doubling high multiply: CMSIS-NN arm_nn_doubling_high_mult, bit-identical to
 *         gemmlowp's SaturatingRoundingDoublingHighMul (TFLite). For the softmax and LUT arithmetic.
 * @param[in] a  any int32
 * @param[in] b  any int32
 * @return (a * b + nudge) / 2^31 truncated toward zero, nudge = 2^30, or 1 - 2^30 when the signs of a and b
 *         differ: round(a * b / 2^31) with ties toward +infinity, the same bits as
 *         eenn_doubling_high_mult_no_sat except INT32_MAX (not INT32_MIN) when a == b == INT32_MIN.
 */
static inline int32_t eenn_doubling_high_mult(int32_t a, int32_t b)
{
    int64_t product = (int64_t)1 << 30;
    if ((a < 0) != (b < 0)) {
        product = 1 - product;
    }
    product += (int64_t)a * (int64_t)b;
    if (a == EENN_Q31_MIN && b == EENN_Q31_MIN) {
        return EENN_Q31_MAX;
    }
    return (int32_t)(product / ((int64_t)1 << 31));
}

/**
 * @brief  Rounding divide by a power of two: CMSIS-NN arm_nn_divide_by_power_of_two (gemmlowp RoundingDivideByPOT).
 * @param[in] dividend  any int32
 * @param[in] exponent  [0, 31]
 * @return dividend / 2^exponent rounded to nearest, ties away from zero
 */
static inline int32_t eenn_divide_by_power_of_two(int32_t dividend, int32_t exponent)
{
    const int32_t remainder_mask = (int32_t)(((uint32_t)1 << exponent) - 1u);
    const int32_t remainder = remainder_mask & dividend;
    /* Arithmetic right shift of a negative value: implementation-defined in C99, arithmetic in gcc and on Arm. */
    int32_t result = dividend >> exponent;
    int32_t threshold = remainder_mask >> 1;
    if (result < 0) {
        threshold++;
    }
    if (remainder > threshold) {
        result++;
    }
    return result;
}

/**
 * @brief  Saturating multiply by a power of two: CMSIS-NN arm_nn_mult_by_power_of_two. For softmax.
 * @param[in] value     any int32
 * @param[in] exponent  [0, 31]
 * @return value * 2^exponent saturated to [INT32_MIN, INT32_MAX]. As in CMSIS-NN the lower threshold is
 *         -(2^(31-exponent) - 1), so value == -2^(31-exponent) also gives INT32_MIN.
 */
static inline int32_t eenn_mult_by_power_of_two(int32_t value, int32_t exponent)
{
    const int32_t threshold = (int32_t)(((uint32_t)1 << (31 - exponent)) - 1u);
    int32_t result = (int32_t)((uint32_t)value << exponent);
    if (value > threshold) {
        result = EENN_Q31_MAX;
    }
    if (value < -threshold) {
        result = EENN_Q31_MIN;
    }
    return result;
}

/**
 * @brief  Requantize: CMSIS-NN arm_nn_requantize, default (double rounding) branch.
 * @param[in] value       any int32 (an accumulator); value << max(shift, 0) wraps like the hardware
 * @param[in] multiplier  Q31 multiplier, [0, 2^31 - 1] (normally [2^30, 2^31) from quantizeMultiplier)
 * @param[in] shift       [-31, 30]; > 0 shifts left before the multiply, < 0 divides after it
 * @return divide_by_power_of_two(doubling_high_mult_no_sat(value << max(shift, 0), multiplier), max(-shift, 0))
 */
static inline int32_t eenn_requantize(int32_t value, int32_t multiplier, int32_t shift)
{
    const int32_t left_shift = shift > 0 ? shift : 0;
    const int32_t right_shift = shift > 0 ? 0 : -shift;
    const int32_t shifted = (int32_t)((uint32_t)value << left_shift);
    return eenn_divide_by_power_of_two(eenn_doubling_high_mult_no_sat(shifted, multiplier), right_shift);
}

/**
 * @brief  The output stage of conv, depthwise conv and fully connected kernels (CMSIS-NN arm_nn_mat_mult_nt_t_s8):
 *         requantize, add the output zero point, clamp to the activation range.
 * @param[in] accumulator  int32 sum of products plus bias
 * @param[in] multiplier   Q31 multiplier of this output channel
 * @param[in] shift        shift of this output channel, [-31, 30]
 * @param[in] out_offset   output zero point, [-128, 127]
 * @param[in] act_min      activation minimum, [-128, 127]
 * @param[in] act_max      activation maximum, [act_min, 127]
 * @return the int8 output
 */
static inline int8_t eenn_requantize_s8(int32_t accumulator, int32_t multiplier, int32_t shift, int32_t out_offset,
                                        int32_t act_min, int32_t act_max)
{
    const int32_t value = eenn_add_wrap_s32(eenn_requantize(accumulator, multiplier, shift), out_offset);
    return (int8_t)eenn_clamp_s32(value, act_min, act_max);
}

/** Right shift of eenn_requantize_s64 before its last rounding halving: 14 - shift (CMSIS-NN's reduced Q15 form). */
#define EENN_REQUANTIZE_S64_SHIFT_BASE 14

/**
 * @brief  Requantize a 64-bit accumulator (the int16 layers): CMSIS-NN arm_nn_requantize_s64 with its Q15
 *         multiplier, in 64-bit arithmetic throughout:
 *           r = multiplier < 0x7FFF0000 ? (multiplier + 2^15) >> 16 : 0x7FFF
 *           result = (((value * r) >> (14 - shift)) + 1) >> 1
 * @param[in] value       int64 accumulator, |value| < 2^47 (so that value * r cannot overflow)
 * @param[in] multiplier  Q31 multiplier, [0, 2^31 - 1]
 * @param[in] shift       [-31, 14]
 * @return the requantized value, not clamped
 */
static inline int64_t eenn_requantize_s64(int64_t value, int32_t multiplier, int32_t shift)
{
    const int32_t reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
    /* Arithmetic right shifts of negative values: implementation-defined in C99, arithmetic in gcc and on Arm. */
    const int64_t scaled = (value * reduced) >> (EENN_REQUANTIZE_S64_SHIFT_BASE - shift);
    return (scaled + 1) >> 1;
}

/** Quantization parameters of an int8 Add, as TFLite's PrepareAdd computes them (see src/quantize/multiplier.ts). */
typedef struct
{
    int32_t input1_offset;     /**< -zero_point of input 1, [-127, 128] */
    int32_t input1_multiplier; /**< Q31 multiplier of s1 / (2 max(s1, s2)) */
    int32_t input1_shift;      /**< its shift, <= 0 */
    int32_t input2_offset;     /**< -zero_point of input 2, [-127, 128] */
    int32_t input2_multiplier; /**< Q31 multiplier of s2 / (2 max(s1, s2)) */
    int32_t input2_shift;      /**< its shift, <= 0 */
    int32_t left_shift;        /**< 20 for int8 */
    int32_t output_offset;     /**< zero point of the output, [-128, 127] */
    int32_t output_multiplier; /**< Q31 multiplier of 2 max(s1, s2) / (2^left_shift s_out) */
    int32_t output_shift;      /**< its shift */
    int32_t act_min;           /**< activation minimum, [-128, 127] */
    int32_t act_max;           /**< activation maximum, [act_min, 127] */
} eenn_add_params_s8;

/**
 * @brief  One element of an int8 Add, the per-element arithmetic of CMSIS-NN arm_elementwise_add_s8.
 * @param[in] a       element of input 1
 * @param[in] b       element of input 2
 * @param[in] params  offsets, multipliers and shifts (see eenn_add_params_s8)
 * @return clamp(requantize(requantize((a + o1) << ls, m1, s1) + requantize((b + o2) << ls, m2, s2), mo, so) + oo)
 */
static inline int8_t eenn_add_s8(int8_t a, int8_t b, const eenn_add_params_s8 *params)
{
    const int32_t a_shifted = (int32_t)((uint32_t)((int32_t)a + params->input1_offset) << params->left_shift);
    const int32_t b_shifted = (int32_t)((uint32_t)((int32_t)b + params->input2_offset) << params->left_shift);
    const int32_t a_scaled = eenn_requantize(a_shifted, params->input1_multiplier, params->input1_shift);
    const int32_t b_scaled = eenn_requantize(b_shifted, params->input2_multiplier, params->input2_shift);
    const int32_t sum = eenn_add_wrap_s32(a_scaled, b_scaled);
    return eenn_requantize_s8(sum, params->output_multiplier, params->output_shift, params->output_offset,
                              params->act_min, params->act_max);
}

/** Quantization parameters of an int8 Mul (TFLite: multiplier of s1 s2 / s_out). */
typedef struct
{
    int32_t input1_offset;     /**< -zero_point of input 1, [-127, 128] */
    int32_t input2_offset;     /**< -zero_point of input 2, [-127, 128] */
    int32_t output_offset;     /**< zero point of the output, [-128, 127] */
    int32_t output_multiplier; /**< Q31 multiplier of s1 s2 / s_out */
    int32_t output_shift;      /**< its shift */
    int32_t act_min;           /**< activation minimum, [-128, 127] */
    int32_t act_max;           /**< activation maximum, [act_min, 127] */
} eenn_mul_params_s8;

/**
 * @brief  One element of an int8 Mul, the per-element arithmetic of CMSIS-NN arm_elementwise_mul_s8.
 * @param[in] a       element of input 1
 * @param[in] b       element of input 2
 * @param[in] params  offsets, multiplier and shift (see eenn_mul_params_s8)
 * @return clamp(requantize((a + o1) * (b + o2), m, s) + oo)
 */
static inline int8_t eenn_mul_s8(int8_t a, int8_t b, const eenn_mul_params_s8 *params)
{
    const int32_t product = ((int32_t)a + params->input1_offset) * ((int32_t)b + params->input2_offset);
    return eenn_requantize_s8(product, params->output_multiplier, params->output_shift, params->output_offset,
                              params->act_min, params->act_max);
}

/**
 * @brief  Integer average with rounding, as CMSIS-NN arm_avgpool_s8 and TFLite's reference AveragePool divide.
 * @param[in] sum    sum of the pooled values, |sum| + count / 2 < 2^31
 * @param[in] count  number of pooled values, > 0
 * @return sum / count rounded to nearest, ties away from zero
 */
static inline int32_t eenn_rounding_divide_s32(int32_t sum, int32_t count)
{
    return sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
}

/**
 * @brief  Quantize a float to int8 (model inputs): TFLite's AffineQuantize, q = round(value / scale) + zero_point.
 * @param[in] value       the real value; NaN gives zero_point, +-infinity saturate
 * @param[in] scale       the tensor's scale, a positive float32
 * @param[in] zero_point  [-128, 127]
 * @return clamp(round_half_away_from_zero(value / scale) + zero_point, -128, 127); the division is one float32
 *         division and the rounding needs no libm (exact for every float)
 */
static inline int8_t eenn_quantize_f32_s8(float value, float scale, int32_t zero_point)
{
    float scaled = value / scale;
    int32_t rounded;
    float fraction;
    if (scaled != scaled) {
        scaled = 0.0f;
    }
    if (scaled < -512.0f) {
        scaled = -512.0f;
    }
    if (scaled > 512.0f) {
        scaled = 512.0f;
    }
    rounded = (int32_t)scaled; /* truncates toward zero; exact below 2^24 */
    fraction = scaled - (float)rounded;
    if (fraction >= 0.5f) {
        rounded++;
    }
    if (fraction <= -0.5f) {
        rounded--;
    }
    return eenn_clamp_s8(rounded + zero_point);
}

/**
 * @brief  Dequantize an int8 to float (model outputs): real = scale * (q - zero_point), one float32 multiply.
 * @param[in] q           the int8 value
 * @param[in] scale       the tensor's scale, a float32
 * @param[in] zero_point  [-128, 127]
 * @return scale * (float)(q - zero_point)
 */
static inline float eenn_dequantize_s8_f32(int8_t q, float scale, int32_t zero_point)
{
    return scale * (float)((int32_t)q - zero_point);
}

#endif /* EENN_FIXEDPOINT_H */
