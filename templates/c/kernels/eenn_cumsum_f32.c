/*
 * eenn_cumsum_f32.c - CumSum: running sums along one axis of a tensor seen as [outer, length, inner].
 *
 * One float32 accumulator per (outer, inner) column, added in axis order (reversed for reverse), so the
 * result is rounded as onnxruntime's loop rounds it. Element j is read before output j is written and
 * never read again, so the kernel may run in place.
 */
#include "eenn_kernels_f32.h"

void eenn_cumsum_f32(const float *input, float *output, int32_t outer, int32_t length, int32_t inner,
                     int32_t exclusive, int32_t reverse)
{
    /* Walking backwards: start at the last element of the axis and step back by one row of inner. */
    const int32_t first = reverse ? (length - 1) * inner : 0;
    const int32_t step = reverse ? -inner : inner;
    for (int32_t o = 0; o < outer; o++) {
        const float *in = input + o * length * inner;
        float *out = output + o * length * inner;
        for (int32_t i = 0; i < inner; i++) {
            float sum = 0.0f;
            int32_t at = first + i;
            for (int32_t j = 0; j < length; j++, at += step) {
                const float x = in[at];
                if (exclusive) {
                    out[at] = sum;
                    sum += x;
                } else {
                    sum += x;
                    out[at] = sum;
                }
            }
        }
    }
}
