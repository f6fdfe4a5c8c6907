/*
 * eenn_trilu_f32.c - Trilu: the upper or lower triangle of each matrix of the last two axes, zeros elsewhere.
 *
 * Row r keeps the columns on the kept side of diagonal k (column - row = k): from max(0, r + k) to the end
 * (upper), or from the start to min(cols, r + k + 1) (lower). Each element is read before it is written, so
 * the kernel may run in place.
 */
#include "eenn_kernels_f32.h"

/** v clamped to [0, hi]. */
static int32_t eenn_trilu_clamp(int32_t v, int32_t hi)
{
    return v < 0 ? 0 : (v > hi ? hi : v);
}

void eenn_trilu_f32(const float *input, float *output, int32_t batches, int32_t rows, int32_t cols, int32_t k,
                    int32_t upper)
{
    for (int32_t b = 0; b < batches; b++) {
        for (int32_t r = 0; r < rows; r++) {
            /* The kept columns of row r: [keep_begin, keep_end). */
            const int32_t keep_begin = upper ? eenn_trilu_clamp(r + k, cols) : 0;
            const int32_t keep_end = upper ? cols : eenn_trilu_clamp(r + k + 1, cols);
            for (int32_t c = 0; c < cols; c++) {
                output[c] = c >= keep_begin && c < keep_end ? input[c] : 0.0f;
            }
            input += cols;
            output += cols;
        }
    }
}
