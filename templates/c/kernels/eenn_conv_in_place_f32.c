/*
 * eenn_conv_in_place_f32.c - float32 depthwise and 1x1 convolutions (NCHW) that write over their input, through
 * a small scratch buffer: the kernels of eenn_conv_f32.c run on one channel plane (depthwise) or 4 pixels (1x1)
 * at a time. The extra work is one copy per output element (depthwise) or per input element (1x1).
 */
#include <string.h>
#include "eenn_kernels_f32.h"

void eenn_depthwise_conv2d_in_place_f32(float *data, const float *EENN_RESTRICT weights,
                                        const float *EENN_RESTRICT bias, float *EENN_RESTRICT scratch,
                                        int32_t batches, int32_t channels, int32_t height, int32_t width,
                                        int32_t kernel_h, int32_t kernel_w, int32_t pad_top, int32_t pad_left,
                                        int32_t dilation_h, int32_t dilation_w, float act_min, float act_max)
{
    const int32_t size = height * width;
    const int32_t taps = kernel_h * kernel_w;
    const int32_t is_3x3 = kernel_h == 3 && kernel_w == 3 && dilation_h == 1 && dilation_w == 1;
    for (int32_t n = 0; n < batches; n++) {
        for (int32_t c = 0; c < channels; c++) {
            float *plane = data + (n * channels + c) * size;
            const float *b = bias != NULL ? bias + c : NULL;
            if (is_3x3) {
                eenn_depthwise_conv2d_3x3_f32(plane, weights + c * taps, b, scratch, 1, 1, height, width, 1,
                                              height, width, 1, 1, pad_top, pad_left, act_min, act_max);
            } else {
                eenn_depthwise_conv2d_f32(plane, weights + c * taps, b, scratch, 1, 1, height, width, 1,
                                          height, width, kernel_h, kernel_w, 1, 1, pad_top, pad_left,
                                          dilation_h, dilation_w, act_min, act_max);
            }
            memcpy(plane, scratch, (size_t)size * sizeof(float));
        }
    }
}

void eenn_conv2d_1x1_in_place_f32(float *data, const float *EENN_RESTRICT weights,
                                  const float *EENN_RESTRICT bias, float *EENN_RESTRICT scratch,
                                  int32_t batches, int32_t in_c, int32_t size, int32_t out_c,
                                  float act_min, float act_max)
{
    for (int32_t n = 0; n < batches; n++) {
        /* Batch n's output starts at or before its input (out_c <= in_c): everything before was read. */
        const float *in_n = data + n * in_c * size;
        float *out_n = data + n * out_c * size;
        for (int32_t p = 0; p < size; p += EENN_CONV_1X1_IN_PLACE_F32_PIXELS) {
            const int32_t pixels = size - p < EENN_CONV_1X1_IN_PLACE_F32_PIXELS ? size - p : EENN_CONV_1X1_IN_PLACE_F32_PIXELS;
            /* Gather the pixels' inputs as [in_c][pixels]: only these pixels write these elements. */
            const float *x = in_n + p;
            float *s = scratch;
            if (pixels == EENN_CONV_1X1_IN_PLACE_F32_PIXELS) {
                for (int32_t c = 0; c < in_c; c++) {
                    s[0] = x[0];
                    s[1] = x[1];
                    s[2] = x[2];
                    s[3] = x[3];
                    s += EENN_CONV_1X1_IN_PLACE_F32_PIXELS;
                    x += size;
                }
            } else {
                for (int32_t c = 0; c < in_c; c++) {
                    for (int32_t i = 0; i < pixels; i++) {
                        s[i] = x[i];
                    }
                    s += pixels;
                    x += size;
                }
            }
            /* The same register-blocked product as eenn_conv2d_1x1_f32, over these pixels only, with the
             * output written at the image's plane stride. */
            eenn_conv2d_1x1_strided_f32(scratch, weights, bias, out_n + p, in_c, pixels, pixels, size, out_c,
                                        act_min, act_max);
        }
    }
}
