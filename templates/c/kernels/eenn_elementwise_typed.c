/*
 * eenn_elementwise_typed.c - element-wise operators of integer, bool and float64 tensors, and comparisons of
 * every type (eenn_kernels_typed.h lists them and what each computes at the edges: x / 0, MIN / -1, x mod 0).
 *
 * Binary kernels walk the output [d0, d1, d2, d3] contiguously, the operands broadcast by their strides; every
 * family is one macro instantiated per element type. Integer Add, Sub, Mul and Neg are computed in the unsigned
 * type of at least the operands' width, where C defines the wraparound, and converted back (two's complement,
 * as numpy). Output element i is written after a[i] and b[i] are read (in place allowed).
 */
#include <math.h>

#include "eenn_kernels_typed.h"

#define EENN_TYPED_BINARY(NAME, TI, TO, OP)                                                  \
    void NAME(EENN_TYPED_BINARY_PARAMS(TI, TO))                                              \
    {                                                                                        \
        for (int32_t i0 = 0; i0 < d0; i0++) {                                                \
            for (int32_t i1 = 0; i1 < d1; i1++) {                                            \
                for (int32_t i2 = 0; i2 < d2; i2++) {                                        \
                    const TI *pa = a + i0 * a_s0 + i1 * a_s1 + i2 * a_s2;                    \
                    const TI *pb = b + i0 * b_s0 + i1 * b_s1 + i2 * b_s2;                    \
                    for (int32_t i3 = 0; i3 < d3; i3++) {                                    \
                        const TI x = pa[i3 * a_s3];                                          \
                        const TI y = pb[i3 * b_s3];                                          \
                        output[i3] = (TO)(OP(x, y, TI));                                     \
                    }                                                                        \
                    output += d3;                                                            \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
    }

/* The unsigned type integer arithmetic wraps in: the operands' width, at least 32 bits (so that uint8, uint16
 * and int16 products are not promoted to a signed int that could overflow). */
#define EENN_WIDE_s64 uint64_t
#define EENN_WIDE_s32 uint32_t
#define EENN_WIDE_s16 uint32_t
#define EENN_WIDE_s8 uint32_t
#define EENN_WIDE_u8 uint32_t
#define EENN_WIDE_u16 uint32_t

/* One element of each operator; T is the element type. */
#define EENN_OP_MAX_INT(x, y, T) ((x) > (y) ? (x) : (y))
#define EENN_OP_MIN_INT(x, y, T) ((x) < (y) ? (x) : (y))
/* float64: NaN propagates, as ONNX Max / Min */
#define EENN_OP_MAX(x, y, T) ((x) != (x) || (x) > (y) ? (x) : (y))
#define EENN_OP_MIN(x, y, T) ((x) != (x) || (x) < (y) ? (x) : (y))
#define EENN_OP_EQUAL(x, y, T) ((x) == (y))
#define EENN_OP_LESS(x, y, T) ((x) < (y))
#define EENN_OP_GREATER(x, y, T) ((x) > (y))
#define EENN_OP_LESS_EQUAL(x, y, T) ((x) <= (y))
#define EENN_OP_GREATER_EQUAL(x, y, T) ((x) >= (y))
#define EENN_OP_AND(x, y, T) ((x) != 0 && (y) != 0)
#define EENN_OP_OR(x, y, T) ((x) != 0 || (y) != 0)
#define EENN_OP_XOR(x, y, T) (((x) != 0) != ((y) != 0))
#define EENN_OP_BITWISE_AND(x, y, T) ((x) & (y))
#define EENN_OP_BITWISE_OR(x, y, T) ((x) | (y))
#define EENN_OP_BITWISE_XOR(x, y, T) ((x) ^ (y))
#define EENN_OP_SHIFT_LEFT(x, y, T) ((y) >= 8 ? 0 : (uint32_t)(x) << (y))
#define EENN_OP_SHIFT_RIGHT(x, y, T) ((y) >= 8 ? 0 : (x) >> (y))
/* float64 */
#define EENN_OP_ADD_F(x, y, T) ((x) + (y))
#define EENN_OP_SUB_F(x, y, T) ((x) - (y))
#define EENN_OP_MUL_F(x, y, T) ((x) * (y))
#define EENN_OP_DIV_F(x, y, T) ((x) / (y))
#define EENN_OP_FMOD_F(x, y, T) fmod((x), (y))

/* Integer kernels of type suffix S (s64, s32, s16, s8, u8, u16) and C type T. */
#define EENN_DEFINE_INTEGER_OPS(S, T)                                                                         \
    static inline T eenn_div_one_##S(T x, T y)                                                                \
    {                                                                                                         \
        /* y == 0: numpy's 0; y == -1: the negation, which wraps MIN to MIN instead of overflowing. */        \
        if (y == 0) {                                                                                         \
            return 0;                                                                                         \
        }                                                                                                     \
        if (EENN_MINUS_ONE_##S(y)) {                                                                          \
            return (T)(0u - (EENN_WIDE_##S)x);                                                                \
        }                                                                                                     \
        return (T)(x / y);                                                                                    \
    }                                                                                                         \
    static inline T eenn_fmod_one_##S(T x, T y)                                                               \
    {                                                                                                         \
        return (y == 0 || EENN_MINUS_ONE_##S(y)) ? (T)0 : (T)(x % y);                                         \
    }                                                                                                         \
    static inline T eenn_mod_one_##S(T x, T y)                                                                \
    {                                                                                                         \
        const T r = eenn_fmod_one_##S(x, y);                                                                  \
        /* The remainder takes the divisor's sign (Python's %). */                                          \
        return (r != 0 && ((r < 1) != (y < 1))) ? (T)(r + y) : r;                                             \
    }                                                                                                         \
    EENN_TYPED_BINARY(eenn_add_##S, T, T, EENN_OP_ADD_##S)                                                    \
    EENN_TYPED_BINARY(eenn_sub_##S, T, T, EENN_OP_SUB_##S)                                                    \
    EENN_TYPED_BINARY(eenn_mul_##S, T, T, EENN_OP_MUL_##S)                                                    \
    EENN_TYPED_BINARY(eenn_div_##S, T, T, EENN_OP_DIV_##S)                                                    \
    EENN_TYPED_BINARY(eenn_fmod_##S, T, T, EENN_OP_FMOD_##S)                                                  \
    EENN_TYPED_BINARY(eenn_mod_##S, T, T, EENN_OP_MOD_##S)                                                    \
    EENN_TYPED_BINARY(eenn_max_##S, T, T, EENN_OP_MAX_INT)                                                    \
    EENN_TYPED_BINARY(eenn_min_##S, T, T, EENN_OP_MIN_INT)                                                    \
    EENN_TYPED_BINARY(eenn_bitwise_and_##S, T, T, EENN_OP_BITWISE_AND)                                        \
    EENN_TYPED_BINARY(eenn_bitwise_or_##S, T, T, EENN_OP_BITWISE_OR)                                          \
    EENN_TYPED_BINARY(eenn_bitwise_xor_##S, T, T, EENN_OP_BITWISE_XOR)                                        \
    void eenn_bitwise_not_##S(const T *input, T *output, int32_t size)                                        \
    {                                                                                                         \
        for (int32_t i = 0; i < size; i++) {                                                                  \
            output[i] = (T)~input[i];                                                                         \
        }                                                                                                     \
    }                                                                                                         \
    void eenn_clip_##S(const T *input, T *output, int32_t size, T min, T max)                                 \
    {                                                                                                         \
        for (int32_t i = 0; i < size; i++) {                                                                  \
            const T v = input[i] < min ? min : input[i];                                                      \
            output[i] = v > max ? max : v;                                                                    \
        }                                                                                                     \
    }

/* True where a divisor is -1 (never for uint8). */
#define EENN_MINUS_ONE_s64(y) ((y) == -1)
#define EENN_MINUS_ONE_s32(y) ((y) == -1)
#define EENN_MINUS_ONE_s16(y) ((y) == -1)
#define EENN_MINUS_ONE_s8(y) ((y) == -1)
#define EENN_MINUS_ONE_u8(y) 0
#define EENN_MINUS_ONE_u16(y) 0

/* Wrapping arithmetic in the wide unsigned type of each integer type. */
#define EENN_OP_ADD_s64(x, y, T) (T)((EENN_WIDE_s64)(x) + (EENN_WIDE_s64)(y))
#define EENN_OP_ADD_s32(x, y, T) (T)((EENN_WIDE_s32)(x) + (EENN_WIDE_s32)(y))
#define EENN_OP_ADD_s16(x, y, T) (T)((EENN_WIDE_s16)(x) + (EENN_WIDE_s16)(y))
#define EENN_OP_ADD_s8(x, y, T) (T)((EENN_WIDE_s8)(x) + (EENN_WIDE_s8)(y))
#define EENN_OP_ADD_u8(x, y, T) (T)((EENN_WIDE_u8)(x) + (EENN_WIDE_u8)(y))
#define EENN_OP_ADD_u16(x, y, T) (T)((EENN_WIDE_u16)(x) + (EENN_WIDE_u16)(y))
#define EENN_OP_SUB_s64(x, y, T) (T)((EENN_WIDE_s64)(x) - (EENN_WIDE_s64)(y))
#define EENN_OP_SUB_s32(x, y, T) (T)((EENN_WIDE_s32)(x) - (EENN_WIDE_s32)(y))
#define EENN_OP_SUB_s16(x, y, T) (T)((EENN_WIDE_s16)(x) - (EENN_WIDE_s16)(y))
#define EENN_OP_SUB_s8(x, y, T) (T)((EENN_WIDE_s8)(x) - (EENN_WIDE_s8)(y))
#define EENN_OP_SUB_u8(x, y, T) (T)((EENN_WIDE_u8)(x) - (EENN_WIDE_u8)(y))
#define EENN_OP_SUB_u16(x, y, T) (T)((EENN_WIDE_u16)(x) - (EENN_WIDE_u16)(y))
#define EENN_OP_MUL_s64(x, y, T) (T)((EENN_WIDE_s64)(x) * (EENN_WIDE_s64)(y))
#define EENN_OP_MUL_s32(x, y, T) (T)((EENN_WIDE_s32)(x) * (EENN_WIDE_s32)(y))
#define EENN_OP_MUL_s16(x, y, T) (T)((EENN_WIDE_s16)(x) * (EENN_WIDE_s16)(y))
#define EENN_OP_MUL_s8(x, y, T) (T)((EENN_WIDE_s8)(x) * (EENN_WIDE_s8)(y))
#define EENN_OP_MUL_u8(x, y, T) (T)((EENN_WIDE_u8)(x) * (EENN_WIDE_u8)(y))
#define EENN_OP_MUL_u16(x, y, T) (T)((EENN_WIDE_u16)(x) * (EENN_WIDE_u16)(y))
#define EENN_OP_DIV_s64(x, y, T) eenn_div_one_s64((x), (y))
#define EENN_OP_DIV_s32(x, y, T) eenn_div_one_s32((x), (y))
#define EENN_OP_DIV_s16(x, y, T) eenn_div_one_s16((x), (y))
#define EENN_OP_DIV_s8(x, y, T) eenn_div_one_s8((x), (y))
#define EENN_OP_DIV_u8(x, y, T) eenn_div_one_u8((x), (y))
#define EENN_OP_DIV_u16(x, y, T) eenn_div_one_u16((x), (y))
#define EENN_OP_FMOD_s64(x, y, T) eenn_fmod_one_s64((x), (y))
#define EENN_OP_FMOD_s32(x, y, T) eenn_fmod_one_s32((x), (y))
#define EENN_OP_FMOD_s16(x, y, T) eenn_fmod_one_s16((x), (y))
#define EENN_OP_FMOD_s8(x, y, T) eenn_fmod_one_s8((x), (y))
#define EENN_OP_FMOD_u8(x, y, T) eenn_fmod_one_u8((x), (y))
#define EENN_OP_FMOD_u16(x, y, T) eenn_fmod_one_u16((x), (y))
#define EENN_OP_MOD_s64(x, y, T) eenn_mod_one_s64((x), (y))
#define EENN_OP_MOD_s32(x, y, T) eenn_mod_one_s32((x), (y))
#define EENN_OP_MOD_s16(x, y, T) eenn_mod_one_s16((x), (y))
#define EENN_OP_MOD_s8(x, y, T) eenn_mod_one_s8((x), (y))
#define EENN_OP_MOD_u8(x, y, T) eenn_mod_one_u8((x), (y))
#define EENN_OP_MOD_u16(x, y, T) eenn_mod_one_u16((x), (y))

EENN_DEFINE_INTEGER_OPS(s64, int64_t)
EENN_DEFINE_INTEGER_OPS(s32, int32_t)
EENN_DEFINE_INTEGER_OPS(s16, int16_t)
EENN_DEFINE_INTEGER_OPS(s8, int8_t)
EENN_DEFINE_INTEGER_OPS(u8, uint8_t)
EENN_DEFINE_INTEGER_OPS(u16, uint16_t)

EENN_TYPED_BINARY(eenn_add_f64, double, double, EENN_OP_ADD_F)
EENN_TYPED_BINARY(eenn_sub_f64, double, double, EENN_OP_SUB_F)
EENN_TYPED_BINARY(eenn_mul_f64, double, double, EENN_OP_MUL_F)
EENN_TYPED_BINARY(eenn_div_f64, double, double, EENN_OP_DIV_F)
EENN_TYPED_BINARY(eenn_fmod_f64, double, double, EENN_OP_FMOD_F)
EENN_TYPED_BINARY(eenn_max_f64, double, double, EENN_OP_MAX)
EENN_TYPED_BINARY(eenn_min_f64, double, double, EENN_OP_MIN)

EENN_TYPED_BINARY(eenn_shift_left_u8, uint8_t, uint8_t, EENN_OP_SHIFT_LEFT)
EENN_TYPED_BINARY(eenn_shift_right_u8, uint8_t, uint8_t, EENN_OP_SHIFT_RIGHT)

/* Comparisons of every type, bool out. */
#define EENN_DEFINE_COMPARE(S, T)                                                    \
    EENN_TYPED_BINARY(eenn_equal_##S, T, uint8_t, EENN_OP_EQUAL)                     \
    EENN_TYPED_BINARY(eenn_less_##S, T, uint8_t, EENN_OP_LESS)                       \
    EENN_TYPED_BINARY(eenn_greater_##S, T, uint8_t, EENN_OP_GREATER)                 \
    EENN_TYPED_BINARY(eenn_less_equal_##S, T, uint8_t, EENN_OP_LESS_EQUAL)           \
    EENN_TYPED_BINARY(eenn_greater_equal_##S, T, uint8_t, EENN_OP_GREATER_EQUAL)

EENN_DEFINE_COMPARE(f32, float)
EENN_DEFINE_COMPARE(f64, double)
EENN_DEFINE_COMPARE(s64, int64_t)
EENN_DEFINE_COMPARE(s32, int32_t)
EENN_DEFINE_COMPARE(s16, int16_t)
EENN_DEFINE_COMPARE(s8, int8_t)
EENN_DEFINE_COMPARE(u8, uint8_t)
EENN_DEFINE_COMPARE(u16, uint16_t)
EENN_DEFINE_COMPARE(b8, uint8_t)

EENN_TYPED_BINARY(eenn_and_b8, uint8_t, uint8_t, EENN_OP_AND)
EENN_TYPED_BINARY(eenn_or_b8, uint8_t, uint8_t, EENN_OP_OR)
EENN_TYPED_BINARY(eenn_xor_b8, uint8_t, uint8_t, EENN_OP_XOR)

/* Neg, Abs, Sign of signed integers (wrapping) and float64. */
#define EENN_DEFINE_SIGNED_UNARY(S, T, NEG)                                              \
    void eenn_neg_##S(const T *input, T *output, int32_t size)                           \
    {                                                                                    \
        for (int32_t i = 0; i < size; i++) {                                             \
            output[i] = NEG(input[i]);                                                   \
        }                                                                                \
    }                                                                                    \
    void eenn_abs_##S(const T *input, T *output, int32_t size)                           \
    {                                                                                    \
        for (int32_t i = 0; i < size; i++) {                                             \
            const T v = input[i];                                                        \
            output[i] = v < 0 ? NEG(v) : v;                                              \
        }                                                                                \
    }                                                                                    \
    void eenn_sign_##S(const T *input, T *output, int32_t size)                          \
    {                                                                                    \
        for (int32_t i = 0; i < size; i++) {                                             \
            const T v = input[i];                                                        \
            output[i] = (T)((v > 0) - (v < 0));                                          \
        }                                                                                \
    }

#define EENN_NEG_s64(v) ((int64_t)(0u - (uint64_t)(v)))
#define EENN_NEG_s32(v) ((int32_t)(0u - (uint32_t)(v)))
#define EENN_NEG_s16(v) ((int16_t)(0u - (uint32_t)(v)))
#define EENN_NEG_s8(v) ((int8_t)(0u - (uint32_t)(v)))
#define EENN_NEG_f64(v) (-(v))

EENN_DEFINE_SIGNED_UNARY(s64, int64_t, EENN_NEG_s64)
EENN_DEFINE_SIGNED_UNARY(s32, int32_t, EENN_NEG_s32)
EENN_DEFINE_SIGNED_UNARY(s16, int16_t, EENN_NEG_s16)
EENN_DEFINE_SIGNED_UNARY(s8, int8_t, EENN_NEG_s8)
EENN_DEFINE_SIGNED_UNARY(f64, double, EENN_NEG_f64)

void eenn_sign_u8(const uint8_t *input, uint8_t *output, int32_t size)
{
    for (int32_t i = 0; i < size; i++) {
        output[i] = (uint8_t)(input[i] != 0);
    }
}

void eenn_sign_u16(const uint16_t *input, uint16_t *output, int32_t size)
{
    for (int32_t i = 0; i < size; i++) {
        output[i] = (uint16_t)(input[i] != 0);
    }
}

void eenn_not_b8(const uint8_t *input, uint8_t *output, int32_t size)
{
    for (int32_t i = 0; i < size; i++) {
        output[i] = (uint8_t)(input[i] == 0);
    }
}

/* IsNaN and IsInf of float32 and float64. */
#define EENN_DEFINE_FLOAT_CLASS(S, T, INF)                                                             \
    void eenn_isnan_##S(const T *input, uint8_t *output, int32_t size)                                 \
    {                                                                                                  \
        for (int32_t i = 0; i < size; i++) {                                                           \
            output[i] = (uint8_t)(input[i] != input[i]);                                               \
        }                                                                                              \
    }                                                                                                  \
    void eenn_isinf_##S(const T *input, uint8_t *output, int32_t size, int32_t detect_negative,        \
                        int32_t detect_positive)                                                       \
    {                                                                                                  \
        for (int32_t i = 0; i < size; i++) {                                                           \
            const T v = input[i];                                                                      \
            output[i] = (uint8_t)((detect_positive != 0 && v == (T)(INF)) || (detect_negative != 0 && v == -(T)(INF))); \
        }                                                                                              \
    }

EENN_DEFINE_FLOAT_CLASS(f32, float, INFINITY)
EENN_DEFINE_FLOAT_CLASS(f64, double, INFINITY)

/* Pow of a base and an exponent of different types (ONNX Pow: the result has the base's type): computed in double
 * and converted once; an integer result is truncated toward zero (saturating as eenn_cast_typed.c), as the C
 * conversion of pow(). */
#define EENN_TYPED_BINARY_MIXED(NAME, TA, TB, TO, OP)                                        \
    void NAME(const TA *a, const TB *b, TO *output, int32_t d0, int32_t d1, int32_t d2,      \
              int32_t d3, int32_t a_s0, int32_t a_s1, int32_t a_s2, int32_t a_s3,            \
              int32_t b_s0, int32_t b_s1, int32_t b_s2, int32_t b_s3)                        \
    {                                                                                        \
        for (int32_t i0 = 0; i0 < d0; i0++) {                                                \
            for (int32_t i1 = 0; i1 < d1; i1++) {                                            \
                for (int32_t i2 = 0; i2 < d2; i2++) {                                        \
                    const TA *pa = a + i0 * a_s0 + i1 * a_s1 + i2 * a_s2;                    \
                    const TB *pb = b + i0 * b_s0 + i1 * b_s1 + i2 * b_s2;                    \
                    for (int32_t i3 = 0; i3 < d3; i3++) {                                    \
                        const double p = pow((double)pa[i3 * a_s3], (double)pb[i3 * b_s3]); \
                        output[i3] = OP(p, TO);                                              \
                    }                                                                        \
                    output += d3;                                                            \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
    }

#define EENN_POW_TO_FLOAT(p, TO) ((TO)(p))
#define EENN_POW_TO_S64(p, TO) (p != p ? 0 : p <= (double)INT64_MIN ? INT64_MIN : p >= (double)INT64_MAX ? INT64_MAX : (TO)p)
#define EENN_POW_TO_S32(p, TO) (p != p ? 0 : p <= (double)INT32_MIN ? INT32_MIN : p >= (double)INT32_MAX ? INT32_MAX : (TO)p)

#define EENN_DEFINE_POW_BASE(S, T, CONVERT)                                                  \
    EENN_TYPED_BINARY_MIXED(eenn_pow_##S##_f32, T, float, T, CONVERT)                        \
    EENN_TYPED_BINARY_MIXED(eenn_pow_##S##_f64, T, double, T, CONVERT)                       \
    EENN_TYPED_BINARY_MIXED(eenn_pow_##S##_s64, T, int64_t, T, CONVERT)                      \
    EENN_TYPED_BINARY_MIXED(eenn_pow_##S##_s32, T, int32_t, T, CONVERT)

EENN_DEFINE_POW_BASE(f32, float, EENN_POW_TO_FLOAT)
EENN_DEFINE_POW_BASE(f64, double, EENN_POW_TO_FLOAT)
EENN_DEFINE_POW_BASE(s64, int64_t, EENN_POW_TO_S64)
EENN_DEFINE_POW_BASE(s32, int32_t, EENN_POW_TO_S32)
