/* STM32F4 peripherals the firmware uses: RCC clock enables, GPIO alternate
 * functions and the USART (RM0090). Shared by every STM32F4 board, real
 * (nucleo-f429zi) or emulated (netduinoplus2), so the code QEMU runs in CI is
 * the code a real board runs; boards differ only in bases, pins and clocks. */
#ifndef ODL_STM32F4_H
#define ODL_STM32F4_H

#include <stdint.h>

#define STM32_REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* RCC (0x40023800): peripheral clock enables. */
#define STM32_RCC_AHB1ENR STM32_REG(0x40023830u)
#define STM32_RCC_APB1ENR STM32_REG(0x40023840u)
#define STM32_RCC_APB2ENR STM32_REG(0x40023844u)

/* GPIO ports A..K, 0x400 apart from 0x40020000. */
#define STM32_GPIO_BASE(port) (0x40020000u + 0x400u * (uint32_t)(port))
#define STM32_GPIO_MODER(b) STM32_REG((b) + 0x00u)
#define STM32_GPIO_AFR(b, pin) STM32_REG((b) + ((pin) < 8u ? 0x20u : 0x24u))

/* USART registers (USART1/6 on APB2, USART2/3, UART4/5 on APB1). */
#define STM32_USART_SR(b) STM32_REG((b) + 0x00u)
#define STM32_USART_DR(b) STM32_REG((b) + 0x04u)
#define STM32_USART_BRR(b) STM32_REG((b) + 0x08u)
#define STM32_USART_CR1(b) STM32_REG((b) + 0x0Cu)
#define STM32_USART_SR_RXNE (1u << 5)
#define STM32_USART_SR_TXE (1u << 7)
#define STM32_USART_CR1_RE (1u << 2)
#define STM32_USART_CR1_TE (1u << 3)
#define STM32_USART_CR1_UE (1u << 13)

/* Port `port` (0 = A) clock on, pin in alternate-function mode `af`. */
static inline void stm32_gpio_af(uint32_t port, uint32_t pin, uint32_t af) {
    uint32_t base = STM32_GPIO_BASE(port);
    STM32_RCC_AHB1ENR |= 1u << port;
    STM32_GPIO_MODER(base) = (STM32_GPIO_MODER(base) & ~(3u << (2u * pin))) | (2u << (2u * pin));
    uint32_t shift = 4u * (pin & 7u);
    STM32_GPIO_AFR(base, pin) = (STM32_GPIO_AFR(base, pin) & ~(0xFu << shift)) | (af << shift);
}

/* 8N1, oversampling by 16, polled; the caller has enabled the USART's clock. */
static inline void stm32_usart_init(uint32_t base, uint32_t pclk_hz, uint32_t baud) {
    STM32_USART_BRR(base) = (pclk_hz + baud / 2u) / baud;
    STM32_USART_CR1(base) = STM32_USART_CR1_UE | STM32_USART_CR1_TE | STM32_USART_CR1_RE;
}

static inline int stm32_usart_read_byte(uint32_t base) {
    if (!(STM32_USART_SR(base) & STM32_USART_SR_RXNE)) return -1;
    return (int)(STM32_USART_DR(base) & 0xFFu);
}

static inline void stm32_usart_write(uint32_t base, const uint8_t *buf, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) {
        while (!(STM32_USART_SR(base) & STM32_USART_SR_TXE)) {
        }
        STM32_USART_DR(base) = buf[i];
    }
}

#endif
