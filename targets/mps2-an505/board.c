/* MPS2 AN505 (Cortex-M33) under QEMU, secure-only image: CMSDK UART0 at its
 * secure alias, secure SysTick instruction counter (-icount shift=0),
 * semihosting exit. */
#include "board.h"
#include "cmsdk_uart.h"
#include "cortexm.h"

#define UART0_BASE 0x50200000u

void board_init(void) {
    cmsdk_uart_init(UART0_BASE);
    cortexm_systick_start();
}

int board_uart_read_byte(void) { return cmsdk_uart_read_byte(UART0_BASE); }

void board_uart_write(const uint8_t *buf, uint32_t n) { cmsdk_uart_write(UART0_BASE, buf, n); }

uint32_t board_counter(void) { return cortexm_systick_count(); }

void board_exit(int code) {
    cortexm_semihost_exit(code);
    for (;;) {
    }
}
