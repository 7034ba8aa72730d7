#define odl_depthwise_conv2d_s8 odl_depthwise_conv2d_s8_portable
#include "../depthwise_conv_2d.c"
#undef odl_depthwise_conv2d_s8
odl_status_t odl_depthwise_conv2d_s8(const odl_conv_params_t *p, const int32_t *mult, const int32_t *shift,
                                     const odl_dims4_t *in_dims, const int8_t *in,
                                     const odl_dims4_t *w_dims, const int8_t *w, const int32_t *bias,
                                     const odl_dims4_t *out_dims, int8_t *out) {
    return odl_depthwise_conv2d_s8_portable(p, mult, shift, in_dims, in, w_dims, w, bias, out_dims, out);
}
