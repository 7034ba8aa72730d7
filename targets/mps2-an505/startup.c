/* Vector table and reset entry. Memory init, FPU enable and stack painting
 * are shared with the other Cortex-M boards (targets/common/cortexm.c). */
#include "cortexm_vectors.h"

__attribute__((section(".vectors"), used)) const cortexm_vector_t vector_table[] = {
    CORTEXM_SYSTEM_VECTORS,
};

void Reset_Handler(void) { cortexm_reset(); }
