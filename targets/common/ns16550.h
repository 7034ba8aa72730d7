/* NS16550-compatible UART (QEMU riscv virt). */
#ifndef ODL_NS16550_H
#define ODL_NS16550_H

#include <stdint.h>

#define NS16550_REG(b, off) (*(volatile uint8_t *)((b) + (off)))
#define NS16550_RBR 0 /* receive buffer / transmit holding */
#define NS16550_IER 1
#define NS16550_FCR 2
#define NS16550_LCR 3
#define NS16550_LSR 5
#define NS16550_LSR_DATA_READY 0x01u
#define NS16550_LSR_THR_EMPTY 0x20u

static inline void ns16550_init(uintptr_t base) {
    NS16550_REG(base, NS16550_IER) = 0x00; /* polled */
    NS16550_REG(base, NS16550_LCR) = 0x03; /* 8N1 */
    NS16550_REG(base, NS16550_FCR) = 0x07; /* FIFOs on and cleared */
}

static inline int ns16550_read_byte(uintptr_t base) {
    if (!(NS16550_REG(base, NS16550_LSR) & NS16550_LSR_DATA_READY)) return -1;
    return (int)NS16550_REG(base, NS16550_RBR);
}

static inline void ns16550_write(uintptr_t base, const uint8_t *buf, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) {
        while (!(NS16550_REG(base, NS16550_LSR) & NS16550_LSR_THR_EMPTY)) {
        }
        NS16550_REG(base, NS16550_RBR) = buf[i];
    }
}

#endif
