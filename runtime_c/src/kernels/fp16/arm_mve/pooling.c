/* MAX_POOL_2D FP16 training kernels on Cortex-M55: those of ../arm_fp
 * (integer window maximum on non-negative halves); same bytes as
 * ../pooling.c. */
#include "../arm_fp/pooling.c"
