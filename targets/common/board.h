/* Board support API shared by every target. A board folder implements it
 * (targets/<board>/board.c) on top of the drivers in targets/common/. */
#ifndef ODL_BOARD_H
#define ODL_BOARD_H

#include <stdint.h>

void board_init(void);
/* Next received UART byte, or -1 when none is waiting (never blocks). */
int board_uart_read_byte(void);
void board_uart_write(const uint8_t *buf, uint32_t n);
/* Free-running instruction (or cycle, on real boards) counter; wraps at 2^32,
 * so callers take differences modulo 2^32. */
uint32_t board_counter(void);
/* Deepest stack use since reset, in bytes, found from the painted stack. */
uint32_t board_stack_high_water(void);
/* Ends the program with a status (emulators exit; boards stop). */
void board_exit(int code) __attribute__((noreturn));

/* Provided by targets/common/stack.c for the startup code. */
void board_stack_paint(void);

#endif
