/* NUCLEO-F429ZI (STM32F429ZI, Cortex-M4F): USART3 on PD8/PD9 is wired to
 * the ST-LINK virtual COM port. Runs from the 16 MHz HSI after reset. The
 * DWT cycle counter is the counter; exit halts (semihosting only when a
 * debugger is attached, since bkpt would fault otherwise). */
#include "board.h"
#include "cortexm.h"
#include "stm32f4.h"

#define USART3_BASE 0x40004800u
#define GPIO_PORT_D 3u
#define HSI_HZ 16000000u
#define BAUD 115200u

void board_init(void) {
    stm32_gpio_af(GPIO_PORT_D, 8u, 7u); /* PD8 = USART3 TX */
    stm32_gpio_af(GPIO_PORT_D, 9u, 7u); /* PD9 = USART3 RX */
    STM32_RCC_APB1ENR |= 1u << 18;      /* USART3 */
    stm32_usart_init(USART3_BASE, HSI_HZ, BAUD);
    cortexm_dwt_start();
}

int board_uart_read_byte(void) { return stm32_usart_read_byte(USART3_BASE); }

void board_uart_write(const uint8_t *buf, uint32_t n) { stm32_usart_write(USART3_BASE, buf, n); }

uint32_t board_counter(void) { return cortexm_dwt_count(); }

void board_exit(int code) {
    if (cortexm_debugger_attached()) cortexm_semihost_exit(code);
    for (;;) __asm__ volatile("wfi");
}
