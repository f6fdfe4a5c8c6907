/*
 * eenn_conv_pool_f32.c - float32 convolution followed by max or average pooling (NCHW) without the conv output
 * in memory: a block of 4 output channels at a time is computed by eenn_conv2d_f32 into a scratch buffer and
 * pooled from there by the kernels of eenn_pool_f32.c, so the multiply-accumulate loops and their speed are
 * those of eenn_conv2d_f32.
 */
#include "eenn_kernels_f32.h"

void eenn_conv2d_pool_f32(const float *EENN_RESTRICT input, const float *EENN_RESTRICT weights,
                          const float *EENN_RESTRICT bias, float *EENN_RESTRICT output, float *EENN_RESTRICT scratch,
                          int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                          int32_t out_c, int32_t conv_h, int32_t conv_w,
                          int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                          int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                          float act_min, float act_max,
                          int32_t pool_is_average, int32_t out_h, int32_t out_w,
                          int32_t pool_kernel_h, int32_t pool_kernel_w, int32_t pool_stride_h, int32_t pool_stride_w,
                          int32_t pool_pad_top, int32_t pool_pad_left, int32_t pool_pad_bottom, int32_t pool_pad_right,
                          int32_t pool_dilation_h, int32_t pool_dilation_w, int32_t count_include_pad)
{
    const int32_t filter_size = in_c * kernel_h * kernel_w;
    const int32_t out_size = out_h * out_w;
    for (int32_t n = 0; n < batches; n++) {
        const float *in_n = input + n * in_c * in_h * in_w;
        for (int32_t oc = 0; oc < out_c;) {
            /* Full blocks of 4 use the packed [filter][4] weights; the last out_c % 4 channels go one by one. */
            const int32_t count = out_c - oc >= EENN_CONV_POOL_F32_BLOCK ? EENN_CONV_POOL_F32_BLOCK : 1;
            eenn_conv2d_f32(in_n, weights + oc * filter_size, bias != NULL ? bias + oc : NULL, scratch,
                            1, in_c, in_h, in_w, count, conv_h, conv_w, 1,
                            kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w,
                            act_min, act_max);
            float *out = output + (n * out_c + oc) * out_size;
            if (pool_is_average) {
                eenn_avg_pool2d_f32(scratch, out, count, conv_h, conv_w, out_h, out_w,
                                    pool_kernel_h, pool_kernel_w, pool_stride_h, pool_stride_w,
                                    pool_pad_top, pool_pad_left, pool_pad_bottom, pool_pad_right,
                                    pool_dilation_h, pool_dilation_w, count_include_pad);
            } else {
                eenn_max_pool2d_f32(scratch, out, count, conv_h, conv_w, out_h, out_w,
                                    pool_kernel_h, pool_kernel_w, pool_stride_h, pool_stride_w,
                                    pool_pad_top, pool_pad_left, pool_dilation_h, pool_dilation_w);
            }
            oc += count;
        }
    }
}
