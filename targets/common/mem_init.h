/* .data copy and .bss zeroing, run by every reset handler before main. */
#ifndef ODL_MEM_INIT_H
#define ODL_MEM_INIT_H

#include <stdint.h>

extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];

static inline void mem_init(void) {
    /* volatile: stop the compiler turning these loops into memcpy/memset
     * calls that might not be safe before the C runtime is set up. */
    const volatile uint32_t *src = __data_load;
    for (volatile uint32_t *dst = __data_start; dst < __data_end;) *dst++ = *src++;
    for (volatile uint32_t *dst = __bss_start; dst < __bss_end;) *dst++ = 0;
}

#endif
