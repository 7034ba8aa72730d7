/* Nordic nRF51 UART (nRF51 Series Reference Manual, UART chapter), polled.
 * Events are cleared before RXD is read: reading RXD raises RXDRDY again
 * while more bytes wait in the receive FIFO. */
#ifndef ODL_NRF51_UART_H
#define ODL_NRF51_UART_H

#include <stdint.h>

#define NRF51_UART_REG(b, off) (*(volatile uint32_t *)(uintptr_t)((b) + (off)))
#define NRF51_UART_STARTRX(b) NRF51_UART_REG(b, 0x000u)
#define NRF51_UART_STARTTX(b) NRF51_UART_REG(b, 0x008u)
#define NRF51_UART_RXDRDY(b) NRF51_UART_REG(b, 0x108u)
#define NRF51_UART_TXDRDY(b) NRF51_UART_REG(b, 0x11Cu)
#define NRF51_UART_ENABLE(b) NRF51_UART_REG(b, 0x500u)
#define NRF51_UART_PSELTXD(b) NRF51_UART_REG(b, 0x50Cu)
#define NRF51_UART_PSELRXD(b) NRF51_UART_REG(b, 0x514u)
#define NRF51_UART_RXD(b) NRF51_UART_REG(b, 0x518u)
#define NRF51_UART_TXD(b) NRF51_UART_REG(b, 0x51Cu)
#define NRF51_UART_BAUDRATE(b) NRF51_UART_REG(b, 0x524u)
#define NRF51_UART_ENABLE_ON 4u
#define NRF51_UART_BAUD_115200 0x01D7E000u

static inline void nrf51_uart_init(uint32_t base, uint32_t tx_pin, uint32_t rx_pin) {
    NRF51_UART_PSELTXD(base) = tx_pin;
    NRF51_UART_PSELRXD(base) = rx_pin;
    NRF51_UART_BAUDRATE(base) = NRF51_UART_BAUD_115200;
    NRF51_UART_ENABLE(base) = NRF51_UART_ENABLE_ON;
    NRF51_UART_TXDRDY(base) = 0;
    NRF51_UART_RXDRDY(base) = 0;
    NRF51_UART_STARTTX(base) = 1;
    NRF51_UART_STARTRX(base) = 1;
}

static inline int nrf51_uart_read_byte(uint32_t base) {
    if (!NRF51_UART_RXDRDY(base)) return -1;
    NRF51_UART_RXDRDY(base) = 0;
    return (int)(NRF51_UART_RXD(base) & 0xFFu);
}

static inline void nrf51_uart_write(uint32_t base, const uint8_t *buf, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) {
        NRF51_UART_TXDRDY(base) = 0;
        NRF51_UART_TXD(base) = buf[i];
        while (!NRF51_UART_TXDRDY(base)) {
        }
    }
}

#endif
