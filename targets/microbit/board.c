/* BBC micro:bit v1 (nRF51822, Cortex-M0) under QEMU: nRF51 UART0, SysTick
 * instruction counter (-icount shift=0), semihosting exit. */
#include "board.h"
#include "cortexm.h"
#include "nrf51_uart.h"

#define UART0_BASE 0x40002000u
#define TX_PIN 24u
#define RX_PIN 25u

void board_init(void) {
    nrf51_uart_init(UART0_BASE, TX_PIN, RX_PIN);
    cortexm_systick_start();
}

int board_uart_read_byte(void) { return nrf51_uart_read_byte(UART0_BASE); }

void board_uart_write(const uint8_t *buf, uint32_t n) { nrf51_uart_write(UART0_BASE, buf, n); }

uint32_t board_counter(void) { return cortexm_systick_count(); }

void board_exit(int code) {
    cortexm_semihost_exit(code);
    for (;;) {
    }
}
