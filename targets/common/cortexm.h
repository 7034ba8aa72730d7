/* Cortex-M pieces shared by the Arm boards: reset sequence, counters,
 * semihosting exit. */
#ifndef ODL_CORTEXM_H
#define ODL_CORTEXM_H

#include <stdint.h>

typedef void (*cortexm_vector_t)(void);

/* Copies .data, zeroes .bss, enables the FPU, paints the stack, runs main
 * and exits with its status. Called by each board's Reset_Handler. */
void cortexm_reset(void) __attribute__((noreturn));

void Default_Handler(void);
void SysTick_Handler(void);

/* SysTick as a free-running counter extended to 64 bits by its wrap
 * interrupt; scaled by ODL_COUNTER_NUM / ODL_COUNTER_DEN (board.toml) so it
 * counts instructions under QEMU's -icount shift=0. */
void cortexm_systick_start(void);
uint32_t cortexm_systick_count(void);

/* DWT cycle counter (real silicon; QEMU reads it as 0). */
void cortexm_dwt_start(void);
uint32_t cortexm_dwt_count(void);

/* Semihosting SYS_EXIT_EXTENDED; returns only when no debugger/emulator
 * handles it (then the caller must stop some other way). */
void cortexm_semihost_exit(int code);
/* True when a debugger has enabled halting debug (semihosting is safe). */
int cortexm_debugger_attached(void);

#endif
