/* FULLY_CONNECTED FP16 training kernels on Cortex-M55: the scalar-FPU kernels
 * of ../arm_fp (VCVTB/VCVTT widening once per row, exact VFMA). Measured on
 * QEMU they beat the Helium lane kernels of mve_f16.h by 3-4x: each weight is
 * used once per pass, so the integer lane widening (about ten instructions per
 * four values, the emulated MVE VCVTB being wrong) dominates; see
 * docs/design/fp16-mve.md. Same bytes as ../fully_connected.c. */
#include "../arm_fp/fully_connected.c"
