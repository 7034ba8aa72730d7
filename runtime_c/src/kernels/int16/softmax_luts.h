/* int16 SOFTMAX lookup tables (softmax_luts.c, generated). Private. */
#ifndef ODL_KERNELS_SOFTMAX_LUTS_H
#define ODL_KERNELS_SOFTMAX_LUTS_H

#include <stdint.h>

extern const int16_t odl_softmax_exp_lut[513];
extern const int16_t odl_softmax_recip_lut[513];

#endif
