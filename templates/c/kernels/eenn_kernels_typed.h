/*
 * eenn_kernels_typed.h - kernels of the tensors of a float32 build that are not float32: integer, bool and
 * float64 inputs, outputs and intermediates (indices, masks, counters, casts).
 *
 * Element types and the suffix of their kernels:
 *   f32 float   f64 double   s64 int64_t   s32 int32_t   s16 int16_t   s8 int8_t   u8 uint8_t   u16 uint16_t
 *   b8  bool, one uint8_t holding 0 or 1 (every kernel writes 0 or 1; any nonzero byte reads as true)
 * Kernels that only move elements take them by size, whatever their type: x8, x16, x32, x64 (1, 2, 4 or 8
 * bytes; bool is x8, float64 and int64 are x64).
 *
 * Each family is defined once, as a macro instantiated for each element type it applies to; the linker keeps
 * only the functions a model calls (--gc-sections). Integer arithmetic wraps around in two's complement as
 * numpy's does (computed in the unsigned type of the same width, never signed overflow); float64 is
 * computed in double. Sizes, dimensions and strides are element counts as in eenn_kernels_f32.h.
 */
#ifndef EENN_KERNELS_TYPED_H
#define EENN_KERNELS_TYPED_H

#include <stddef.h>
#include <stdint.h>

#include "eenn_kernels_f32.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------------ */
/* Data movement by element size (eenn_layout_typed.c)                                               */
/* ------------------------------------------------------------------------------------------------ */

/* The kernels of one element size X (x8, x16, x32, x64): as eenn_copy_f32, eenn_strided_copy_f32 and
 * eenn_gather_rows_f32, on elements of that size; and
 *   eenn_gather_X_s64 / _s32  Gather with indices computed at run time: output[o][j][i] =
 *                             data[o][indices[j]][i] for o < outer, j < count, i < inner. A negative index
 *                             counts from the end (+ axis_size); an index still outside [0, axis_size) after
 *                             that is clamped to the nearest end, so no read leaves the data.
 *   eenn_gather_elements_X_s64 / _s32
 *                             GatherElements with indices computed at run time: indices and output
 *                             [d0, d1, d2, d3]; output[i] = data at i with coordinate `axis` replaced by
 *                             indices[i] (wrapped and clamped as Gather's); s0..s3: data's strides.
 *   eenn_where_X              Where: output = condition ? x : y, the three broadcast to the output
 *                             [d0, d1, d2, d3] by their strides (0 repeats). */
#define EENN_DECLARE_MOVES(X)                                                                                   \
    void eenn_copy_##X(const void *EENN_RESTRICT input, void *EENN_RESTRICT output, int32_t size);              \
    void eenn_strided_copy_##X(const void *EENN_RESTRICT input, void *EENN_RESTRICT output, int32_t d0,         \
                               int32_t d1, int32_t d2, int32_t d3, int32_t in_s0, int32_t in_s1,                \
                               int32_t in_s2, int32_t in_s3, int32_t out_s0, int32_t out_s1, int32_t out_s2,    \
                               int32_t out_s3);                                                                 \
    void eenn_gather_rows_##X(const void *EENN_RESTRICT input, void *EENN_RESTRICT output, int32_t rows,        \
                              int32_t row_size, int32_t step, const int32_t *EENN_RESTRICT row_offsets);        \
    void eenn_gather_##X##_s64(const void *EENN_RESTRICT data, const int64_t *EENN_RESTRICT indices,            \
                               void *EENN_RESTRICT output, int32_t outer, int32_t axis_size, int32_t inner,     \
                               int32_t count);                                                                  \
    void eenn_gather_##X##_s32(const void *EENN_RESTRICT data, const int32_t *EENN_RESTRICT indices,            \
                               void *EENN_RESTRICT output, int32_t outer, int32_t axis_size, int32_t inner,     \
                               int32_t count);                                                                  \
    void eenn_gather_elements_##X##_s64(const void *EENN_RESTRICT data, const int64_t *EENN_RESTRICT indices,   \
                                        void *EENN_RESTRICT output, int32_t d0, int32_t d1, int32_t d2,         \
                                        int32_t d3, int32_t s0, int32_t s1, int32_t s2, int32_t s3,             \
                                        int32_t axis, int32_t axis_size);                                       \
    void eenn_gather_elements_##X##_s32(const void *EENN_RESTRICT data, const int32_t *EENN_RESTRICT indices,   \
                                        void *EENN_RESTRICT output, int32_t d0, int32_t d1, int32_t d2,         \
                                        int32_t d3, int32_t s0, int32_t s1, int32_t s2, int32_t s3,             \
                                        int32_t axis, int32_t axis_size);                                       \
    void eenn_where_##X(const uint8_t *condition, const void *x, const void *y, void *output, int32_t d0,       \
                        int32_t d1, int32_t d2, int32_t d3, int32_t c_s0, int32_t c_s1, int32_t c_s2,           \
                        int32_t c_s3, int32_t x_s0, int32_t x_s1, int32_t x_s2, int32_t x_s3, int32_t y_s0,     \
                        int32_t y_s1, int32_t y_s2, int32_t y_s3);

EENN_DECLARE_MOVES(x8)
EENN_DECLARE_MOVES(x16)
EENN_DECLARE_MOVES(x32)
EENN_DECLARE_MOVES(x64)

/* ------------------------------------------------------------------------------------------------ */
/* Trilu by element size (eenn_trilu_typed.c)                                                        */
/* ------------------------------------------------------------------------------------------------ */

/* eenn_trilu_X: keeps the upper (upper != 0: column - row >= k) or lower (column - row <= k) triangle of each
 * [rows, cols] matrix of elements of size X (float32 is x32) and writes zero bits elsewhere (0 of every type); the
 * diagonal is read from memory: *k, an int64_t that the model may compute at run time; NULL for diagonal 0.
 * input, output [batches, rows, cols]; may run in place. */
#define EENN_DECLARE_TRILU(X)                                                                                   \
    void eenn_trilu_##X(const void *input, void *output, int32_t batches, int32_t rows, int32_t cols,           \
                        const int64_t *k, int32_t upper);

EENN_DECLARE_TRILU(x8)
EENN_DECLARE_TRILU(x16)
EENN_DECLARE_TRILU(x32)
EENN_DECLARE_TRILU(x64)

/* ------------------------------------------------------------------------------------------------ */
/* CumSum along an axis read at run time (eenn_cumsum_typed.c)                                        */
/* ------------------------------------------------------------------------------------------------ */

/* eenn_cumsum_T_A: as eenn_cumsum_f32 on elements of type T (f32, f64, s64, s32) of a tensor of `rank`
 * dimensions `dims`, along the axis *axis (A: an int64_t (s64) or int32_t (s32) scalar the model may compute at
 * run time; negative counts from the end; one still outside [0, rank) is clamped to the nearest axis, so no read
 * leaves the tensor). Float sums are rounded once per addition in axis order; integer sums wrap around in two's
 * complement. input, output: the tensor, contiguous; may run in place. */
#define EENN_DECLARE_CUMSUM(T, CT, A, AT)                                                                      \
    void eenn_cumsum_##T##_##A(const CT *input, CT *output, const int32_t *EENN_RESTRICT dims, int32_t rank,  \
                               const AT *EENN_RESTRICT axis, int32_t exclusive, int32_t reverse);

EENN_DECLARE_CUMSUM(f32, float, s64, int64_t)
EENN_DECLARE_CUMSUM(f32, float, s32, int32_t)
EENN_DECLARE_CUMSUM(f64, double, s64, int64_t)
EENN_DECLARE_CUMSUM(f64, double, s32, int32_t)
EENN_DECLARE_CUMSUM(s64, int64_t, s64, int64_t)
EENN_DECLARE_CUMSUM(s64, int64_t, s32, int32_t)
EENN_DECLARE_CUMSUM(s32, int32_t, s64, int64_t)
EENN_DECLARE_CUMSUM(s32, int32_t, s32, int32_t)

/* ------------------------------------------------------------------------------------------------ */
/* Cast between element types (eenn_cast_typed.c)                                                    */
/* ------------------------------------------------------------------------------------------------ */

/* eenn_cast_FROM_TO(input, output, size): output[i] = input[i] converted as ONNX Cast does:
 *   to bool:            input != 0 (NaN is true)
 *   float to integer:   truncated toward zero; NaN gives 0 and values beyond the type's range saturate to its
 *                       limits (ONNX leaves both undefined; this is the one defined answer the kernel gives)
 *   integer to integer: the low bits, two's complement (int64 300 to int8 is 44), as numpy
 *   to float / double:  the nearest value (round to nearest even)
 * Every pair of distinct types among f32, f64, s64, s32, s16, s8, u8, u16, b8. The output may be the input (in
 * place) when both have the same size. */
#define EENN_DECLARE_CAST(FROM, TI, TO_SUFFIX, TO) void eenn_cast_##FROM##_##TO_SUFFIX(const TI *input, TO *output, int32_t size);
#define EENN_DECLARE_CASTS_FROM(FROM, TI)               \
    EENN_DECLARE_CAST(FROM, TI, f32, float)             \
    EENN_DECLARE_CAST(FROM, TI, f64, double)            \
    EENN_DECLARE_CAST(FROM, TI, s64, int64_t)           \
    EENN_DECLARE_CAST(FROM, TI, s32, int32_t)           \
    EENN_DECLARE_CAST(FROM, TI, s16, int16_t)           \
    EENN_DECLARE_CAST(FROM, TI, s8, int8_t)             \
    EENN_DECLARE_CAST(FROM, TI, u8, uint8_t)            \
    EENN_DECLARE_CAST(FROM, TI, u16, uint16_t)          \
    EENN_DECLARE_CAST(FROM, TI, b8, uint8_t)

EENN_DECLARE_CASTS_FROM(f32, float)
EENN_DECLARE_CASTS_FROM(f64, double)
EENN_DECLARE_CASTS_FROM(s64, int64_t)
EENN_DECLARE_CASTS_FROM(s32, int32_t)
EENN_DECLARE_CASTS_FROM(s16, int16_t)
EENN_DECLARE_CASTS_FROM(s8, int8_t)
EENN_DECLARE_CASTS_FROM(u8, uint8_t)
EENN_DECLARE_CASTS_FROM(u16, uint16_t)
EENN_DECLARE_CASTS_FROM(b8, uint8_t)

/* ------------------------------------------------------------------------------------------------ */
/* Element-wise operators of integer, bool and float64 tensors (eenn_elementwise_typed.c)             */
/* ------------------------------------------------------------------------------------------------ */

/* Binary kernels walk the output [d0, d1, d2, d3] contiguously; a and b are broadcast to it by their strides
 * (0 repeats), as the float32 ones (EENN_BINARY_PARAMS_F32). Output element i is written after a[i] and b[i]
 * are read, so the output may be an input of the same type (in place). */
#define EENN_TYPED_BINARY_PARAMS(TI, TO)                                                                 \
    const TI *a, const TI *b, TO *output, int32_t d0, int32_t d1, int32_t d2, int32_t d3, int32_t a_s0, \
        int32_t a_s1, int32_t a_s2, int32_t a_s3, int32_t b_s0, int32_t b_s1, int32_t b_s2, int32_t b_s3

/* Arithmetic (T: s64, s32, s16, s8, u8, u16, f64):
 *   eenn_add_T, eenn_sub_T, eenn_mul_T   a + b, a - b, a * b (integers wrap around)
 *   eenn_div_T                           a / b; integers truncate toward zero, x / 0 is 0 (numpy's answer) and
 *                                        MIN / -1 wraps to MIN
 *   eenn_max_T, eenn_min_T               the larger / smaller (f64: NaN propagates)
 *   eenn_fmod_T                          Mod fmod=1: the remainder of the truncated division (sign of a; C %,
 *                                        fmod for f64)
 * Integers only (s64, s32, s16, s8, u8, u16):
 *   eenn_mod_T                           Mod fmod=0: the remainder with the sign of b (Python's %)
 *   eenn_bitwise_and_T, _or_T, _xor_T    a & b, a | b, a ^ b
 * For both mods, x mod 0 is 0. */
#define EENN_DECLARE_ARITHMETIC(T, TYPE)                                 \
    void eenn_add_##T(EENN_TYPED_BINARY_PARAMS(TYPE, TYPE));            \
    void eenn_sub_##T(EENN_TYPED_BINARY_PARAMS(TYPE, TYPE));            \
    void eenn_mul_##T(EENN_TYPED_BINARY_PARAMS(TYPE, TYPE));            \
    void eenn_div_##T(EENN_TYPED_BINARY_PARAMS(TYPE, TYPE));            \
    void eenn_max_##T(EENN_TYPED_BINARY_PARAMS(TYPE, TYPE));            \
    void eenn_min_##T(EENN_TYPED_BINARY_PARAMS(TYPE, TYPE));            \
    void eenn_fmod_##T(EENN_TYPED_BINARY_PARAMS(TYPE, TYPE));
#define EENN_DECLARE_INTEGER(T, TYPE)                                    \
    void eenn_mod_##T(EENN_TYPED_BINARY_PARAMS(TYPE, TYPE));            \
    void eenn_bitwise_and_##T(EENN_TYPED_BINARY_PARAMS(TYPE, TYPE));    \
    void eenn_bitwise_or_##T(EENN_TYPED_BINARY_PARAMS(TYPE, TYPE));     \
    void eenn_bitwise_xor_##T(EENN_TYPED_BINARY_PARAMS(TYPE, TYPE));

EENN_DECLARE_ARITHMETIC(s64, int64_t)
EENN_DECLARE_ARITHMETIC(s32, int32_t)
EENN_DECLARE_ARITHMETIC(s16, int16_t)
EENN_DECLARE_ARITHMETIC(s8, int8_t)
EENN_DECLARE_ARITHMETIC(u8, uint8_t)
EENN_DECLARE_ARITHMETIC(u16, uint16_t)
EENN_DECLARE_ARITHMETIC(f64, double)
EENN_DECLARE_INTEGER(s64, int64_t)
EENN_DECLARE_INTEGER(s32, int32_t)
EENN_DECLARE_INTEGER(s16, int16_t)
EENN_DECLARE_INTEGER(s8, int8_t)
EENN_DECLARE_INTEGER(u8, uint8_t)
EENN_DECLARE_INTEGER(u16, uint16_t)

/* Pow: eenn_pow_B_E(a, b, output, ...) = a ** b of a base B (f32, f64, s64, s32) and an exponent E (f32, f64, s64,
 * s32), the output of the base's type: computed in double, then rounded (floats) or truncated (integers). */
#define EENN_DECLARE_POW(S, T, ES, ET)                                                                     \
    void eenn_pow_##S##_##ES(const T *a, const ET *b, T *output, int32_t d0, int32_t d1, int32_t d2,    \
                             int32_t d3, int32_t a_s0, int32_t a_s1, int32_t a_s2, int32_t a_s3,         \
                             int32_t b_s0, int32_t b_s1, int32_t b_s2, int32_t b_s3);
#define EENN_DECLARE_POW_BASE(S, T)            \
    EENN_DECLARE_POW(S, T, f32, float)         \
    EENN_DECLARE_POW(S, T, f64, double)        \
    EENN_DECLARE_POW(S, T, s64, int64_t)       \
    EENN_DECLARE_POW(S, T, s32, int32_t)

EENN_DECLARE_POW_BASE(f32, float)
EENN_DECLARE_POW_BASE(f64, double)
EENN_DECLARE_POW_BASE(s64, int64_t)
EENN_DECLARE_POW_BASE(s32, int32_t)

/** BitShift of uint8: a << b or a >> b; a shift by 8 or more gives 0. */
void eenn_shift_left_u8(EENN_TYPED_BINARY_PARAMS(uint8_t, uint8_t));
void eenn_shift_right_u8(EENN_TYPED_BINARY_PARAMS(uint8_t, uint8_t));

/* Comparisons, bool output (T: f32, f64, s64, s32, s16, s8, u8, u16, b8): eenn_equal_T, eenn_less_T,
 * eenn_greater_T, eenn_less_equal_T, eenn_greater_equal_T write 1 where a == b (a < b, ...) holds, else 0
 * (any comparison with NaN is false). */
#define EENN_DECLARE_COMPARE(T, TYPE)                                     \
    void eenn_equal_##T(EENN_TYPED_BINARY_PARAMS(TYPE, uint8_t));        \
    void eenn_less_##T(EENN_TYPED_BINARY_PARAMS(TYPE, uint8_t));         \
    void eenn_greater_##T(EENN_TYPED_BINARY_PARAMS(TYPE, uint8_t));      \
    void eenn_less_equal_##T(EENN_TYPED_BINARY_PARAMS(TYPE, uint8_t));   \
    void eenn_greater_equal_##T(EENN_TYPED_BINARY_PARAMS(TYPE, uint8_t));

EENN_DECLARE_COMPARE(f32, float)
EENN_DECLARE_COMPARE(f64, double)
EENN_DECLARE_COMPARE(s64, int64_t)
EENN_DECLARE_COMPARE(s32, int32_t)
EENN_DECLARE_COMPARE(s16, int16_t)
EENN_DECLARE_COMPARE(s8, int8_t)
EENN_DECLARE_COMPARE(u8, uint8_t)
EENN_DECLARE_COMPARE(u16, uint16_t)
EENN_DECLARE_COMPARE(b8, uint8_t)

/** Logical And, Or, Xor of bool tensors. */
void eenn_and_b8(EENN_TYPED_BINARY_PARAMS(uint8_t, uint8_t));
void eenn_or_b8(EENN_TYPED_BINARY_PARAMS(uint8_t, uint8_t));
void eenn_xor_b8(EENN_TYPED_BINARY_PARAMS(uint8_t, uint8_t));

/* Unary kernels fn(input, output, size), in place allowed:
 *   eenn_neg_T, eenn_abs_T, eenn_sign_T (s64, s32, s16, s8, f64; abs of MIN wraps to MIN as numpy's)
 *   eenn_sign_u8, eenn_sign_u16 (0 or 1), eenn_bitwise_not_T (integers), eenn_not_b8
 *   eenn_clip_T(input, output, size, min, max): min(max(x, min), max) (integers)
 *   eenn_isnan_T, eenn_isinf_T (f32, f64, bool output; isinf counts -INFINITY where detect_negative is nonzero,
 *   +INFINITY where detect_positive is) */
#define EENN_DECLARE_SIGNED_UNARY(T, TYPE)                                           \
    void eenn_neg_##T(const TYPE *input, TYPE *output, int32_t size);               \
    void eenn_abs_##T(const TYPE *input, TYPE *output, int32_t size);               \
    void eenn_sign_##T(const TYPE *input, TYPE *output, int32_t size);
#define EENN_DECLARE_INTEGER_UNARY(T, TYPE)                                          \
    void eenn_bitwise_not_##T(const TYPE *input, TYPE *output, int32_t size);       \
    void eenn_clip_##T(const TYPE *input, TYPE *output, int32_t size, TYPE min, TYPE max);
#define EENN_DECLARE_FLOAT_CLASS(T, TYPE)                                            \
    void eenn_isnan_##T(const TYPE *input, uint8_t *output, int32_t size);          \
    void eenn_isinf_##T(const TYPE *input, uint8_t *output, int32_t size, int32_t detect_negative, \
                        int32_t detect_positive);

EENN_DECLARE_SIGNED_UNARY(s64, int64_t)
EENN_DECLARE_SIGNED_UNARY(s32, int32_t)
EENN_DECLARE_SIGNED_UNARY(s16, int16_t)
EENN_DECLARE_SIGNED_UNARY(s8, int8_t)
EENN_DECLARE_SIGNED_UNARY(f64, double)
EENN_DECLARE_INTEGER_UNARY(s64, int64_t)
EENN_DECLARE_INTEGER_UNARY(s32, int32_t)
EENN_DECLARE_INTEGER_UNARY(s16, int16_t)
EENN_DECLARE_INTEGER_UNARY(s8, int8_t)
EENN_DECLARE_INTEGER_UNARY(u8, uint8_t)
EENN_DECLARE_INTEGER_UNARY(u16, uint16_t)
EENN_DECLARE_FLOAT_CLASS(f32, float)
EENN_DECLARE_FLOAT_CLASS(f64, double)
void eenn_sign_u8(const uint8_t *input, uint8_t *output, int32_t size);
void eenn_sign_u16(const uint16_t *input, uint16_t *output, int32_t size);
void eenn_not_b8(const uint8_t *input, uint8_t *output, int32_t size);

/* ------------------------------------------------------------------------------------------------ */
/* Index of the largest / smallest element (eenn_reduce_typed.c)                                      */
/* ------------------------------------------------------------------------------------------------ */

/* eenn_argmax_T / eenn_argmin_T(input [outer, axis_size, inner], output [outer, inner] int64, ...): the index
 * along the axis of the largest (smallest) element; of equal ones the first, or the last where select_last is
 * nonzero. T: f32, f64, s64, s32, s16, s8, u8, u16. */
#define EENN_DECLARE_ARG(T, TYPE)                                                                        \
    void eenn_argmax_##T(const TYPE *input, int64_t *output, int32_t outer, int32_t axis_size, int32_t inner, \
                         int32_t select_last);                                                          \
    void eenn_argmin_##T(const TYPE *input, int64_t *output, int32_t outer, int32_t axis_size, int32_t inner, \
                         int32_t select_last);

EENN_DECLARE_ARG(f32, float)
EENN_DECLARE_ARG(f64, double)
EENN_DECLARE_ARG(s64, int64_t)
EENN_DECLARE_ARG(s32, int32_t)
EENN_DECLARE_ARG(s16, int16_t)
EENN_DECLARE_ARG(s8, int8_t)
EENN_DECLARE_ARG(u8, uint8_t)
EENN_DECLARE_ARG(u16, uint16_t)

/* ------------------------------------------------------------------------------------------------ */
/* QuantizeLinear / DequantizeLinear (eenn_quantize_typed.c, which states the arithmetic)            */
/* ------------------------------------------------------------------------------------------------ */

/* input and output [outer, channels, inner]; scale and zero_point (NULL: 0) one value per channel. */
#define EENN_DECLARE_QUANTIZE(S, T)                                                                              \
    void eenn_quantize_linear_f32_##S(const float *input, const float *scale, const T *zero_point, T *output,   \
                                      int32_t outer, int32_t channels, int32_t inner);
#define EENN_DECLARE_DEQUANTIZE(S, T)                                                                            \
    void eenn_dequantize_linear_##S##_f32(const T *input, const float *scale, const T *zero_point, float *output, \
                                          int32_t outer, int32_t channels, int32_t inner);

EENN_DECLARE_QUANTIZE(s8, int8_t)
EENN_DECLARE_QUANTIZE(u8, uint8_t)
EENN_DECLARE_DEQUANTIZE(s8, int8_t)
EENN_DECLARE_DEQUANTIZE(u8, uint8_t)
EENN_DECLARE_DEQUANTIZE(s32, int32_t)

/* Reduce* as the float32 ones (EENN_REDUCE_PARAMS_F32: up to three kept runs k, three reduced runs r, strided):
 * eenn_reduce_{sum,prod,max,min}_T of integers (s64, s32, s16, s8, u8, u16; sums and products wrap), and every
 * eenn_reduce_*_f64 (sum, mean, max, min, prod, l1, l2, sum_square, log_sum, log_sum_exp) in double. */
#define EENN_TYPED_REDUCE_PARAMS(T)                                                                      \
    const T *input, T *output, int32_t k0, int32_t k1, int32_t k2, int32_t k_s0, int32_t k_s1,          \
        int32_t k_s2, int32_t r0, int32_t r1, int32_t r2, int32_t r_s0, int32_t r_s1, int32_t r_s2
#define EENN_DECLARE_INTEGER_REDUCES(S, T)                     \
    void eenn_reduce_sum_##S(EENN_TYPED_REDUCE_PARAMS(T));    \
    void eenn_reduce_prod_##S(EENN_TYPED_REDUCE_PARAMS(T));   \
    void eenn_reduce_max_##S(EENN_TYPED_REDUCE_PARAMS(T));    \
    void eenn_reduce_min_##S(EENN_TYPED_REDUCE_PARAMS(T));

EENN_DECLARE_INTEGER_REDUCES(s64, int64_t)
EENN_DECLARE_INTEGER_REDUCES(s32, int32_t)
EENN_DECLARE_INTEGER_REDUCES(s16, int16_t)
EENN_DECLARE_INTEGER_REDUCES(s8, int8_t)
EENN_DECLARE_INTEGER_REDUCES(u8, uint8_t)
EENN_DECLARE_INTEGER_REDUCES(u16, uint16_t)
EENN_DECLARE_INTEGER_REDUCES(f64, double)
void eenn_reduce_mean_f64(EENN_TYPED_REDUCE_PARAMS(double));
void eenn_reduce_l1_f64(EENN_TYPED_REDUCE_PARAMS(double));
void eenn_reduce_l2_f64(EENN_TYPED_REDUCE_PARAMS(double));
void eenn_reduce_sum_square_f64(EENN_TYPED_REDUCE_PARAMS(double));
void eenn_reduce_log_sum_f64(EENN_TYPED_REDUCE_PARAMS(double));
void eenn_reduce_log_sum_exp_f64(EENN_TYPED_REDUCE_PARAMS(double));

#ifdef __cplusplus
}
#endif

#endif /* EENN_KERNELS_TYPED_H */
