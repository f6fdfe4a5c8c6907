/*
 * eenn_trilu_typed.c - Trilu on elements of any type, by element size (x8, x16, x32, x64), with the diagonal k
 * read from memory (an int64_t scalar the model may compute at run time).
 *
 * Row r keeps the columns on the kept side of diagonal k (column - row = k), and writes
 * zero bits elsewhere (0 of every integer and float type, false of bool). Each element is read before it is
 * written, so the kernels may run in place.
 */
#include <string.h>

#include "eenn_kernels_typed.h"

/* k clamped to [-rows - 1, cols + 1]: a diagonal beyond keeps or clears every element as that end does, and the
 * clamped value fits the int32_t column arithmetic. */
static int32_t eenn_trilu_diagonal(const int64_t *k, int32_t rows, int32_t cols)
{
    const int64_t diagonal = k != NULL ? *k : 0;
    if (diagonal < -(int64_t)rows - 1) return -rows - 1;
    if (diagonal > (int64_t)cols + 1) return cols + 1;
    return (int32_t)diagonal;
}

/* v clamped to [0, hi]. */
static int32_t eenn_trilu_column(int32_t v, int32_t hi)
{
    return v < 0 ? 0 : (v > hi ? hi : v);
}

#define EENN_DEFINE_TRILU(X, SIZE)                                                                              \
    void eenn_trilu_##X(const void *input, void *output, int32_t batches, int32_t rows, int32_t cols,           \
                        const int64_t *k, int32_t upper)                                                        \
    {                                                                                                           \
        const int32_t diagonal = eenn_trilu_diagonal(k, rows, cols);                                            \
        const uint8_t *in = (const uint8_t *)input;                                                             \
        uint8_t *out = (uint8_t *)output;                                                                       \
        for (int32_t b = 0; b < batches; b++) {                                                                 \
            for (int32_t r = 0; r < rows; r++) {                                                                \
                /* The kept columns of row r: [keep_begin, keep_end). */                                        \
                const int32_t keep_begin = upper ? eenn_trilu_column(r + diagonal, cols) : 0;                   \
                const int32_t keep_end = upper ? cols : eenn_trilu_column(r + diagonal + 1, cols);              \
                memset(out, 0, (size_t)keep_begin * (SIZE));                                                    \
                memmove(out + (size_t)keep_begin * (SIZE), in + (size_t)keep_begin * (SIZE),                    \
                        (size_t)(keep_end - keep_begin) * (SIZE));                                              \
                memset(out + (size_t)keep_end * (SIZE), 0, (size_t)(cols - keep_end) * (SIZE));                 \
                in += (size_t)cols * (SIZE);                                                                    \
                out += (size_t)cols * (SIZE);                                                                   \
            }                                                                                                   \
        }                                                                                                       \
    }

EENN_DEFINE_TRILU(x8, 1)
EENN_DEFINE_TRILU(x16, 2)
EENN_DEFINE_TRILU(x32, 4)
EENN_DEFINE_TRILU(x64, 8)
