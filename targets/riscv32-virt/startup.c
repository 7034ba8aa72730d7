/* Reset entry for QEMU riscv virt run with -bios none: the hart starts at
 * 0x80000000 in machine mode. Sets gp/sp, a trap vector, turns on the FPU
 * (mstatus.FS) when built with F, then the shared C init and main. */
#include <stdint.h>

#include "board.h"
#include "mem_init.h"

int main(void);
void riscv_reset(void) __attribute__((noreturn));
void riscv_trap(void) __attribute__((noreturn));

__asm__(
    ".section .text.start, \"ax\"\n"
    ".globl _start\n"
    "_start:\n"
    "  .option push\n"
    "  .option norelax\n"
    "  la gp, __global_pointer$\n"
    "  .option pop\n"
    "  la sp, __stack_top\n"
    "  la t0, trap_entry\n"
    "  csrw mtvec, t0\n"
    "  j riscv_reset\n"
    ".balign 4\n"
    "trap_entry:\n"
    "  j riscv_trap\n"
    ".text\n");

void riscv_reset(void) {
#if defined(__riscv_flen)
    /* FS = Initial: float instructions trap while FS is Off. */
    __asm__ volatile("csrs mstatus, %0" ::"r"(1u << 13));
#endif
    mem_init();
    board_stack_paint();
    board_exit(main());
}

void riscv_trap(void) {
    static const uint8_t msg[] = "\nFAULT\n";
    board_uart_write(msg, sizeof msg - 1);
    board_exit(3);
}
