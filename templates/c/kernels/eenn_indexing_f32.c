/*
 * eenn_indexing_f32.c - operators that address elements through int64 indices read at run time: GatherND,
 * ScatterND, ScatterElements (and Scatter), OneHot, and TopK, which writes int64 indices.
 *
 * A negative index counts from the end of its axis. An index outside [-dim, dim) has no defined result in ONNX;
 * these kernels clamp it to the nearest element of the axis (below: the first, above: the last), so that no
 * index, whatever its value, makes them read or write outside a buffer. OneHot follows its spec instead: an
 * index outside [-depth, depth) gives a row of off values.
 */
#include <string.h>
#include "eenn_kernels_f32.h"

/* `raw` as an element of an axis of `dim` elements: negative counts from the end, then clamped to [0, dim). */
static int32_t eenn_axis_index(int64_t raw, int32_t dim)
{
    int64_t index = raw < 0 ? raw + (int64_t)dim : raw;
    if (index < 0) {
        index = 0;
    }
    if (index >= (int64_t)dim) {
        index = (int64_t)dim - 1;
    }
    return (int32_t)index;
}

/* The element offset that one tuple of `depth` indices addresses, given each indexed axis's size and stride. */
static int32_t eenn_tuple_offset(const int64_t *EENN_RESTRICT tuple, int32_t depth, const int32_t *EENN_RESTRICT dims,
                                 const int32_t *EENN_RESTRICT strides)
{
    int32_t offset = 0;
    for (int32_t k = 0; k < depth; k++) {
        offset += eenn_axis_index(tuple[k], dims[k]) * strides[k];
    }
    return offset;
}

/* One update combined with the element it lands on, by EENN_SCATTER_* reduction. */
static float eenn_scatter_combine(float old, float update, int32_t reduction)
{
    switch (reduction) {
    case EENN_SCATTER_ADD:
        return old + update;
    case EENN_SCATTER_MUL:
        return old * update;
    case EENN_SCATTER_MAX:
        return (update > old || update != update) ? update : old;
    case EENN_SCATTER_MIN:
        return (update < old || update != update) ? update : old;
    default:
        return update;
    }
}

void eenn_gather_nd(const void *EENN_RESTRICT data, const int64_t *EENN_RESTRICT indices, void *EENN_RESTRICT output,
                    int32_t batches, int32_t batch_stride, int32_t tuples, int32_t depth,
                    const int32_t *EENN_RESTRICT dims, const int32_t *EENN_RESTRICT strides, int32_t slice,
                    int32_t element_bytes)
{
    const uint8_t *source = (const uint8_t *)data;
    uint8_t *target = (uint8_t *)output;
    const size_t slice_bytes = (size_t)slice * (size_t)element_bytes;
    for (int32_t b = 0; b < batches; b++) {
        const uint8_t *batch = source + (size_t)b * (size_t)batch_stride * (size_t)element_bytes;
        for (int32_t t = 0; t < tuples; t++) {
            const int32_t offset = eenn_tuple_offset(indices + (b * tuples + t) * depth, depth, dims, strides);
            memcpy(target, batch + (size_t)offset * (size_t)element_bytes, slice_bytes);
            target += slice_bytes;
        }
    }
}

void eenn_scatter_nd_f32(const float *data, const int64_t *EENN_RESTRICT indices, const float *EENN_RESTRICT updates,
                         float *output, int32_t size, int32_t tuples, int32_t depth, const int32_t *EENN_RESTRICT dims,
                         const int32_t *EENN_RESTRICT strides, int32_t slice, int32_t reduction)
{
    if (output != data) {
        memcpy(output, data, (size_t)size * sizeof(float));
    }
    /* In index order: with EENN_SCATTER_NONE the last of repeated tuples wins. */
    for (int32_t t = 0; t < tuples; t++) {
        float *y = output + eenn_tuple_offset(indices + t * depth, depth, dims, strides);
        const float *u = updates + t * slice;
        for (int32_t e = 0; e < slice; e++) {
            y[e] = eenn_scatter_combine(y[e], u[e], reduction);
        }
    }
}

void eenn_scatter_elements_f32(const float *data, const int64_t *EENN_RESTRICT indices,
                               const float *EENN_RESTRICT updates, float *output, int32_t size, int32_t count,
                               int32_t rank, const int32_t *EENN_RESTRICT index_dims,
                               const int32_t *EENN_RESTRICT data_strides, int32_t axis, int32_t axis_size,
                               int32_t reduction)
{
    if (output != data) {
        memcpy(output, data, (size_t)size * sizeof(float));
    }
    /* In index order: with EENN_SCATTER_NONE the last of repeated indices wins. */
    for (int32_t i = 0; i < count; i++) {
        /* The coordinates of element i of indices, the one on the axis replaced by the index it holds. */
        int32_t rest = i;
        int32_t offset = 0;
        for (int32_t d = rank - 1; d >= 0; d--) {
            const int32_t coordinate = d == axis ? eenn_axis_index(indices[i], axis_size) : rest % index_dims[d];
            rest /= index_dims[d];
            offset += coordinate * data_strides[d];
        }
        output[offset] = eenn_scatter_combine(output[offset], updates[i], reduction);
    }
}

void eenn_one_hot_f32(const int64_t *EENN_RESTRICT indices, const float *EENN_RESTRICT values,
                      float *EENN_RESTRICT output, int32_t outer, int32_t depth, int32_t inner)
{
    const float off = values[0];
    const float on = values[1];
    for (int32_t o = 0; o < outer; o++) {
        for (int32_t i = 0; i < inner; i++) {
            int64_t index = indices[o * inner + i];
            if (index < 0) {
                index += depth;
            }
            float *y = output + o * depth * inner + i;
            for (int32_t c = 0; c < depth; c++) {
                y[c * inner] = (int64_t)c == index ? on : off;
            }
        }
    }
}

/*
 * TopK's order of two elements a (at index ia) and b (at ib): 1 when a comes first. The larger (largest != 0) or
 * smaller value first, NaN taken as larger than any number, and of equal values the lower index first.
 */
static int32_t eenn_top_k_before(float a, int32_t ia, float b, int32_t ib, int32_t largest)
{
    const int32_t a_nan = a != a;
    const int32_t b_nan = b != b;
    if (a_nan || b_nan) {
        if (a_nan && b_nan) {
            return ia < ib;
        }
        return largest ? a_nan : b_nan;
    }
    if (a != b) {
        return largest ? a > b : a < b;
    }
    return ia < ib;
}

void eenn_top_k_f32(const float *EENN_RESTRICT input, float *EENN_RESTRICT values, int64_t *EENN_RESTRICT indices,
                    int32_t outer, int32_t axis_size, int32_t inner, int32_t k, int32_t largest)
{
    for (int32_t o = 0; o < outer; o++) {
        for (int32_t i = 0; i < inner; i++) {
            const float *x = input + o * axis_size * inner + i;
            /*
             * Selection in order: the j-th element is the first, in TopK's order, of those after the (j-1)-th.
             * The order is total (ties go by index), so k passes need no memory of what was taken.
             */
            int32_t previous = -1;
            for (int32_t j = 0; j < k; j++) {
                int32_t best = -1;
                for (int32_t c = 0; c < axis_size; c++) {
                    const int32_t after_previous =
                        previous < 0 || eenn_top_k_before(x[previous * inner], previous, x[c * inner], c, largest);
                    if (after_previous && (best < 0 || eenn_top_k_before(x[c * inner], c, x[best * inner], best, largest))) {
                        best = c;
                    }
                }
                values[(o * k + j) * inner + i] = x[best * inner];
                indices[(o * k + j) * inner + i] = best;
                previous = best;
            }
        }
    }
}
