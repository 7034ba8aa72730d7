/* Stack high-water mark: startup paints the unused stack with a pattern;
 * the deepest overwritten word tells the peak use. The linker script
 * reserves the stack explicitly between __stack_bottom and __stack_top. */
#include <stdint.h>

#include "board.h"

#define STACK_PAINT 0xA5A5A5A5u

extern uint32_t __stack_bottom[];
extern uint32_t __stack_top[];

void board_stack_paint(void) {
    /* Leave the frames already in use (and a margin) untouched. */
    uint32_t *live = (uint32_t *)__builtin_frame_address(0) - 32;
    for (volatile uint32_t *p = __stack_bottom; p < live; ++p) *p = STACK_PAINT;
}

uint32_t board_stack_high_water(void) {
    const uint32_t *p = __stack_bottom;
    while (p < __stack_top && *p == STACK_PAINT) ++p;
    return (uint32_t)((uintptr_t)__stack_top - (uintptr_t)p);
}
