/*
 * eenn_cast_typed.c - Cast / CastLike between every pair of element types (eenn_kernels_typed.h states the
 * conversion rules): eenn_cast_FROM_TO(input, output, size), output[i] = input[i] converted.
 *
 * Element i is read before it is written, so a cast between types of one size may run in place.
 */
#include "eenn_kernels_typed.h"

/* Float to integer: NaN is 0, beyond the range saturates, else truncated toward zero (a C conversion, which
 * is defined only inside the range). Compared in double, which holds every limit up to int32 exactly and
 * rounds the int64 ones to +-2^63, where saturating is the right answer too. */
#define EENN_FLOAT_TO_INT(v, TYPE, MIN, MAX) \
    ((v) != (v) ? (TYPE)0 : (double)(v) <= (double)(MIN) ? (MIN) : (double)(v) >= (double)(MAX) ? (MAX) : (TYPE)(v))

/* The conversions, by the kind of the source (F float, I integer) and of the destination. */
#define EENN_CONVERT_TO_BOOL(v, TYPE, MIN, MAX) ((uint8_t)((v) != 0))
#define EENN_CONVERT_PLAIN(v, TYPE, MIN, MAX) ((TYPE)(v))

#define EENN_DEFINE_CAST(FROM, TI, TO_SUFFIX, TO, CONVERT, MIN, MAX)                   \
    void eenn_cast_##FROM##_##TO_SUFFIX(const TI *input, TO *output, int32_t size)     \
    {                                                                                  \
        for (int32_t i = 0; i < size; i++) {                                           \
            const TI v = input[i];                                                     \
            output[i] = CONVERT(v, TO, MIN, MAX);                                      \
        }                                                                              \
    }

/* Casts from a float type: saturating to the integers. */
#define EENN_DEFINE_CASTS_FROM_FLOAT(FROM, TI)                                                     \
    EENN_DEFINE_CAST(FROM, TI, s64, int64_t, EENN_FLOAT_TO_INT, INT64_MIN, INT64_MAX)              \
    EENN_DEFINE_CAST(FROM, TI, s32, int32_t, EENN_FLOAT_TO_INT, INT32_MIN, INT32_MAX)              \
    EENN_DEFINE_CAST(FROM, TI, s16, int16_t, EENN_FLOAT_TO_INT, INT16_MIN, INT16_MAX)              \
    EENN_DEFINE_CAST(FROM, TI, s8, int8_t, EENN_FLOAT_TO_INT, INT8_MIN, INT8_MAX)                  \
    EENN_DEFINE_CAST(FROM, TI, u8, uint8_t, EENN_FLOAT_TO_INT, 0, UINT8_MAX)                       \
    EENN_DEFINE_CAST(FROM, TI, u16, uint16_t, EENN_FLOAT_TO_INT, 0, UINT16_MAX)                    \
    EENN_DEFINE_CAST(FROM, TI, b8, uint8_t, EENN_CONVERT_TO_BOOL, 0, 1)

/* Casts from an integer or bool type: the low bits to the integers, != 0 to bool. */
#define EENN_DEFINE_CASTS_FROM_INT(FROM, TI)                                                       \
    EENN_DEFINE_CAST(FROM, TI, f32, float, EENN_CONVERT_PLAIN, 0, 0)                               \
    EENN_DEFINE_CAST(FROM, TI, f64, double, EENN_CONVERT_PLAIN, 0, 0)                              \
    EENN_DEFINE_CAST(FROM, TI, b8, uint8_t, EENN_CONVERT_TO_BOOL, 0, 1)

#define EENN_DEFINE_CASTS_TO_INT(FROM, TI)                                                         \
    EENN_DEFINE_CAST(FROM, TI, s64, int64_t, EENN_CONVERT_PLAIN, 0, 0)                             \
    EENN_DEFINE_CAST(FROM, TI, s32, int32_t, EENN_CONVERT_PLAIN, 0, 0)                             \
    EENN_DEFINE_CAST(FROM, TI, s16, int16_t, EENN_CONVERT_PLAIN, 0, 0)                             \
    EENN_DEFINE_CAST(FROM, TI, s8, int8_t, EENN_CONVERT_PLAIN, 0, 0)                               \
    EENN_DEFINE_CAST(FROM, TI, u8, uint8_t, EENN_CONVERT_PLAIN, 0, 0)                               \
    EENN_DEFINE_CAST(FROM, TI, u16, uint16_t, EENN_CONVERT_PLAIN, 0, 0)

EENN_DEFINE_CAST(f32, float, f64, double, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CASTS_FROM_FLOAT(f32, float)
EENN_DEFINE_CAST(f64, double, f32, float, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CASTS_FROM_FLOAT(f64, double)

EENN_DEFINE_CASTS_FROM_INT(s64, int64_t)
EENN_DEFINE_CAST(s64, int64_t, u16, uint16_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(s64, int64_t, s32, int32_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(s64, int64_t, s16, int16_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(s64, int64_t, s8, int8_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(s64, int64_t, u8, uint8_t, EENN_CONVERT_PLAIN, 0, 0)

EENN_DEFINE_CASTS_FROM_INT(s32, int32_t)
EENN_DEFINE_CAST(s32, int32_t, u16, uint16_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(s32, int32_t, s64, int64_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(s32, int32_t, s16, int16_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(s32, int32_t, s8, int8_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(s32, int32_t, u8, uint8_t, EENN_CONVERT_PLAIN, 0, 0)

EENN_DEFINE_CASTS_FROM_INT(s16, int16_t)
EENN_DEFINE_CAST(s16, int16_t, u16, uint16_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(s16, int16_t, s64, int64_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(s16, int16_t, s32, int32_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(s16, int16_t, s8, int8_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(s16, int16_t, u8, uint8_t, EENN_CONVERT_PLAIN, 0, 0)

EENN_DEFINE_CASTS_FROM_INT(s8, int8_t)
EENN_DEFINE_CAST(s8, int8_t, u16, uint16_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(s8, int8_t, s64, int64_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(s8, int8_t, s32, int32_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(s8, int8_t, s16, int16_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(s8, int8_t, u8, uint8_t, EENN_CONVERT_PLAIN, 0, 0)

EENN_DEFINE_CASTS_FROM_INT(u8, uint8_t)
EENN_DEFINE_CAST(u8, uint8_t, u16, uint16_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(u8, uint8_t, s64, int64_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(u8, uint8_t, s32, int32_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(u8, uint8_t, s16, int16_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(u8, uint8_t, s8, int8_t, EENN_CONVERT_PLAIN, 0, 0)

EENN_DEFINE_CASTS_FROM_INT(u16, uint16_t)
EENN_DEFINE_CAST(u16, uint16_t, s64, int64_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(u16, uint16_t, s32, int32_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(u16, uint16_t, s16, int16_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(u16, uint16_t, s8, int8_t, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(u16, uint16_t, u8, uint8_t, EENN_CONVERT_PLAIN, 0, 0)

/* From bool: 0 or 1 in every type (to uint8 the compiler copies). */
EENN_DEFINE_CAST(b8, uint8_t, f32, float, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CAST(b8, uint8_t, f64, double, EENN_CONVERT_PLAIN, 0, 0)
EENN_DEFINE_CASTS_TO_INT(b8, uint8_t)
