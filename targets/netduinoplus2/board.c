/* Netduino Plus 2 (STM32F405, Cortex-M4F) under QEMU: the shared STM32F4
 * USART driver on USART1 (PA9/PA10), SysTick instruction counter
 * (-icount shift=0), semihosting exit. */
#include "board.h"
#include "cortexm.h"
#include "stm32f4.h"

#define USART1_BASE 0x40011000u
#define GPIO_PORT_A 0u
#define PCLK2_HZ 16000000u /* HSI after reset; QEMU ignores the rate */
#define BAUD 115200u

void board_init(void) {
    stm32_gpio_af(GPIO_PORT_A, 9u, 7u);  /* PA9 = USART1 TX */
    stm32_gpio_af(GPIO_PORT_A, 10u, 7u); /* PA10 = USART1 RX */
    STM32_RCC_APB2ENR |= 1u << 4;        /* USART1 */
    stm32_usart_init(USART1_BASE, PCLK2_HZ, BAUD);
    cortexm_systick_start();
}

int board_uart_read_byte(void) { return stm32_usart_read_byte(USART1_BASE); }

void board_uart_write(const uint8_t *buf, uint32_t n) { stm32_usart_write(USART1_BASE, buf, n); }

uint32_t board_counter(void) { return cortexm_systick_count(); }

void board_exit(int code) {
    cortexm_semihost_exit(code);
    for (;;) {
    }
}
