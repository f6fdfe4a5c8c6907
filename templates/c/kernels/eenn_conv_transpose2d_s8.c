/*
 * eenn_conv_transpose2d_s8.c - int8 2-D transposed convolution (ONNX ConvTranspose, NCHW): each output gathers
 * the taps that reach it directly from the input (no scratch), one output channel at a time, and goes through
 * eenn_requantize_s8.
 */
#include "eenn_kernels_s8.h"

/* Taps k in [0, kernel) through which output position o reads an input position (o + pad - k * dilation) / stride
   inside [0, size) with no remainder; the input position of each such tap goes to in_pos[k], -1 otherwise. */
static inline void eenn_transpose_taps_s8(int32_t o, int32_t pad, int32_t size, int32_t kernel, int32_t stride,
                                          int32_t dilation, int32_t *in_pos)
{
    for (int32_t k = 0; k < kernel; k++) {
        const int32_t t = o + pad - k * dilation;
        in_pos[k] = -1;
        if (t >= 0 && t % stride == 0 && t / stride < size) {
            in_pos[k] = t / stride;
        }
    }
}

void eenn_conv_transpose2d_s8(const int8_t *EENN_RESTRICT input, const int8_t *EENN_RESTRICT weights,
                              const int32_t *EENN_RESTRICT bias, int8_t *EENN_RESTRICT output,
                              int32_t batches, int32_t in_c, int32_t in_h, int32_t in_w,
                              int32_t out_c, int32_t out_h, int32_t out_w, int32_t groups,
                              int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                              int32_t pad_top, int32_t pad_left, int32_t dilation_h, int32_t dilation_w,
                              int32_t input_offset, int32_t output_offset,
                              const int32_t *EENN_RESTRICT output_multiplier,
                              const int32_t *EENN_RESTRICT output_shift, int32_t act_min, int32_t act_max)
{
    const int32_t group_in = in_c / groups;
    const int32_t group_out = out_c / groups;
    const int32_t in_size = in_h * in_w;
    const int32_t taps = kernel_h * kernel_w;
    /* Kernels are small; windows up to 16 taps wide per axis are resolved once per output row / column. */
    int32_t iy_of[16];
    int32_t ix_of[16];
    for (int32_t n = 0; n < batches; n++) {
        for (int32_t oc = 0; oc < out_c; oc++) {
            const int32_t g = oc / group_out;
            const int32_t m = oc % group_out;
            const int8_t *in_g = input + (n * in_c + g * group_in) * in_size;
            const int32_t b = bias != NULL ? bias[oc] : 0;
            int8_t *out = output + (n * out_c + oc) * out_h * out_w;
            for (int32_t oy = 0; oy < out_h; oy++) {
                eenn_transpose_taps_s8(oy, pad_top, in_h, kernel_h, stride_h, dilation_h, iy_of);
                for (int32_t ox = 0; ox < out_w; ox++) {
                    eenn_transpose_taps_s8(ox, pad_left, in_w, kernel_w, stride_w, dilation_w, ix_of);
                    int32_t acc = 0;
                    for (int32_t c = 0; c < group_in; c++) {
                        const int8_t *plane = in_g + c * in_size;
                        const int8_t *w = weights + ((g * group_in + c) * group_out + m) * taps;
                        for (int32_t ky = 0; ky < kernel_h; ky++) {
                            if (iy_of[ky] < 0) {
                                continue;
                            }
                            const int8_t *row = plane + iy_of[ky] * in_w;
                            for (int32_t kx = 0; kx < kernel_w; kx++) {
                                if (ix_of[kx] >= 0) {
                                    acc += ((int32_t)row[ix_of[kx]] + input_offset) * w[ky * kernel_w + kx];
                                }
                            }
                        }
                    }
                    *out++ = eenn_requantize_s8(eenn_add_wrap_s32(acc, b), output_multiplier[oc], output_shift[oc],
                                                output_offset, act_min, act_max);
                }
            }
        }
    }
}
