#include "cortexm.h"

#include "board.h"
#include "mem_init.h"

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define DHCSR (*(volatile uint32_t *)0xE000EDF0u)
#define DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)

#ifndef ODL_COUNTER_NUM
#define ODL_COUNTER_NUM 1
#endif
#ifndef ODL_COUNTER_DEN
#define ODL_COUNTER_DEN 1
#endif

int main(void);

void cortexm_reset(void) {
    mem_init();
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    /* CP10/CP11 full access before any floating-point or MVE instruction. */
    SCB_CPACR |= (0xFu << 20);
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    board_stack_paint();
    board_exit(main());
}

void Default_Handler(void) {
    static const uint8_t msg[] = "\nFAULT\n";
    board_uart_write(msg, sizeof msg - 1);
    board_exit(3);
}

static volatile uint32_t systick_wraps;

void SysTick_Handler(void) { systick_wraps++; }

void cortexm_systick_start(void) {
    SYST_RVR = 0x00FFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 0x7u; /* processor clock, wrap interrupt, enabled */
    /* Writing CVR clears it to 0; the first reload to RVR raises no
     * interrupt, so start counting only after it. */
    while (SYST_CVR == 0) {
    }
}

uint32_t cortexm_systick_count(void) {
    uint32_t wraps, value;
    do {
        wraps = systick_wraps;
        value = SYST_CVR;
    } while (wraps != systick_wraps);
    uint64_t ticks = ((uint64_t)wraps << 24) + (0x00FFFFFFu - value);
    return (uint32_t)(ticks * ODL_COUNTER_NUM / ODL_COUNTER_DEN);
}

void cortexm_dwt_start(void) {
    DEMCR |= (1u << 24); /* TRCENA */
    DWT_CYCCNT = 0;
    DWT_CTRL |= 1u;
}

uint32_t cortexm_dwt_count(void) { return DWT_CYCCNT; }

int cortexm_debugger_attached(void) { return (DHCSR & 1u) != 0; }

void cortexm_semihost_exit(int code) {
    /* ADP_Stopped_ApplicationExit with the status as subcode. */
    volatile uint32_t block[2] = {0x20026u, (uint32_t)code};
    register uint32_t r0 __asm__("r0") = 0x20u;
    register uint32_t r1 __asm__("r1") = (uint32_t)(uintptr_t)block;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
}
