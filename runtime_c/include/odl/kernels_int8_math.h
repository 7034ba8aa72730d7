/* int8 element-wise, activation and (de)quantization kernels. */
#ifndef ODL_KERNELS_INT8_MATH_H
#define ODL_KERNELS_INT8_MATH_H

#include "odl/odl.h"

#endif
