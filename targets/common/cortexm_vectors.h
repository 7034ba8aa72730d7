/* The 16 Cortex-M system vectors. Boards enable no peripheral interrupts,
 * so no IRQ entries follow. */
#ifndef ODL_CORTEXM_VECTORS_H
#define ODL_CORTEXM_VECTORS_H

#include "cortexm.h"

extern uint32_t __stack_top[];
void Reset_Handler(void);

#define CORTEXM_SYSTEM_VECTORS                                                          \
    (cortexm_vector_t)(uintptr_t)__stack_top, Reset_Handler, Default_Handler, /* NMI */ \
        Default_Handler,                                        /* HardFault */         \
        Default_Handler, Default_Handler, Default_Handler,      /* Mem, Bus, Usage */   \
        0, 0, 0, 0, Default_Handler,                            /* SVC */               \
        Default_Handler, 0, Default_Handler,                    /* DebugMon, PendSV */  \
        SysTick_Handler

#endif
