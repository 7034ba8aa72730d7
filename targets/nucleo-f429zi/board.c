/* NUCLEO-F429ZI (STM32F429ZI, Cortex-M4F): USART3 on PD8/PD9 is wired to
 * the ST-LINK virtual COM port. Runs from the 16 MHz HSI after reset. The
 * DWT cycle counter is the counter; exit halts (semihosting only when a
 * debugger is attached, since bkpt would fault otherwise). */
#include "board.h"
#include "cortexm.h"

#define RCC_AHB1ENR (*(volatile uint32_t *)0x40023830u)
#define RCC_APB1ENR (*(volatile uint32_t *)0x40023840u)
#define GPIOD_MODER (*(volatile uint32_t *)0x40020C00u)
#define GPIOD_AFRH (*(volatile uint32_t *)0x40020C24u)
#define USART3_SR (*(volatile uint32_t *)0x40004800u)
#define USART3_DR (*(volatile uint32_t *)0x40004804u)
#define USART3_BRR (*(volatile uint32_t *)0x40004808u)
#define USART3_CR1 (*(volatile uint32_t *)0x4000480Cu)
#define USART_SR_RXNE (1u << 5)
#define USART_SR_TXE (1u << 7)
#define HSI_HZ 16000000u
#define BAUD 115200u

void board_init(void) {
    RCC_AHB1ENR |= (1u << 3);  /* GPIOD */
    RCC_APB1ENR |= (1u << 18); /* USART3 */
    /* PD8 (TX), PD9 (RX): alternate function 7. */
    GPIOD_MODER = (GPIOD_MODER & ~(0xFu << 16)) | (0xAu << 16);
    GPIOD_AFRH = (GPIOD_AFRH & ~0xFFu) | 0x77u;
    USART3_BRR = (HSI_HZ + BAUD / 2) / BAUD;
    USART3_CR1 = (1u << 13) | (1u << 3) | (1u << 2); /* UE, TE, RE */
    cortexm_dwt_start();
}

int board_uart_read_byte(void) {
    if (!(USART3_SR & USART_SR_RXNE)) return -1;
    return (int)(USART3_DR & 0xFFu);
}

void board_uart_write(const uint8_t *buf, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) {
        while (!(USART3_SR & USART_SR_TXE)) {
        }
        USART3_DR = buf[i];
    }
}

uint32_t board_counter(void) { return cortexm_dwt_count(); }

void board_exit(int code) {
    if (cortexm_debugger_attached()) cortexm_semihost_exit(code);
    for (;;) __asm__ volatile("wfi");
}
