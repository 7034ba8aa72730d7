/* The int16 LOGISTIC / TANH lookup table (sigmoid_table.c). Private. */
#ifndef ODL_KERNELS_SIGMOID_TABLE_H
#define ODL_KERNELS_SIGMOID_TABLE_H

#include <stdint.h>

extern const uint16_t odl_sigmoid_table_u16[256];

#endif
