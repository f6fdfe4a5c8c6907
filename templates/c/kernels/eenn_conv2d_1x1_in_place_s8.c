/*
 * eenn_conv2d_1x1_in_place_s8.c - int8 1x1 convolution written over its own input (NCHW), for the memory
 * planner's in-place steps: EENN_CONV_1X1_IN_PLACE_S8_PIXELS pixels at a time are gathered from every input
 * channel into the scratch, computed there by eenn_conv2d_1x1_s8 (the same arithmetic and speed as the
 * layer out of place) and written back over those same pixels of the first out_c channels. Pixel p of an output
 * channel is written only after pixel p of every input channel has been read, and no other pixel is touched.
 */
#include <string.h>

#include "eenn_kernels_s8.h"

void eenn_conv2d_1x1_in_place_s8(int8_t *data, int8_t *EENN_RESTRICT scratch, const int8_t *EENN_RESTRICT weights,
                                 const int32_t *EENN_RESTRICT bias, int32_t batches, int32_t in_c, int32_t size,
                                 int32_t out_c, int32_t input_offset, int32_t output_offset,
                                 const int32_t *EENN_RESTRICT output_multiplier,
                                 const int32_t *EENN_RESTRICT output_shift, int32_t act_min, int32_t act_max)
{
    const int32_t pixels = EENN_CONV_1X1_IN_PLACE_S8_PIXELS;
    int8_t *gathered = scratch;                  /* [in_c, pixels] */
    int8_t *computed = scratch + in_c * pixels;  /* [out_c, pixels] */
    int8_t *columns = computed + out_c * pixels; /* eenn_conv2d_1x1_s8's own scratch */
    for (int32_t n = 0; n < batches; n++) {
        int8_t *image = data + n * in_c * size;
        for (int32_t p = 0; p < size; p += pixels) {
            const int32_t count = size - p < pixels ? size - p : pixels;
            for (int32_t c = 0; c < in_c; c++) {
                memcpy(gathered + c * count, image + c * size + p, (size_t)count);
            }
            eenn_conv2d_1x1_s8(gathered, weights, bias, computed, columns, 1, in_c, count, out_c, input_offset,
                               output_offset, output_multiplier, output_shift, act_min, act_max);
            for (int32_t m = 0; m < out_c; m++) {
                memcpy(image + m * size + p, computed + m * count, (size_t)count);
            }
        }
    }
}
