/* Arm CMSDK APB UART (MPS2/MPS3 FPGA images, modelled by QEMU). */
#ifndef ODL_CMSDK_UART_H
#define ODL_CMSDK_UART_H

#include <stdint.h>

#define CMSDK_UART_DATA(b) (*(volatile uint32_t *)((b) + 0x00))
#define CMSDK_UART_STATE(b) (*(volatile uint32_t *)((b) + 0x04))
#define CMSDK_UART_CTRL(b) (*(volatile uint32_t *)((b) + 0x08))
#define CMSDK_UART_BAUDDIV(b) (*(volatile uint32_t *)((b) + 0x10))
#define CMSDK_STATE_TX_FULL 0x1u
#define CMSDK_STATE_RX_FULL 0x2u

static inline void cmsdk_uart_init(uintptr_t base) {
    CMSDK_UART_BAUDDIV(base) = 16; /* smallest legal divider; QEMU ignores the rate */
    CMSDK_UART_CTRL(base) = 0x3;   /* TX and RX enabled, no interrupts */
}

static inline int cmsdk_uart_read_byte(uintptr_t base) {
    if (!(CMSDK_UART_STATE(base) & CMSDK_STATE_RX_FULL)) return -1;
    return (int)(CMSDK_UART_DATA(base) & 0xFFu);
}

static inline void cmsdk_uart_write(uintptr_t base, const uint8_t *buf, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) {
        while (CMSDK_UART_STATE(base) & CMSDK_STATE_TX_FULL) {
        }
        CMSDK_UART_DATA(base) = buf[i];
    }
}

#endif
