# Cross toolchain for riscv32-virt. Board facts (memory, QEMU, counter) live in
# board.toml; these are only the compiler and its flags.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv32)
set(CMAKE_C_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_ASM_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_OBJCOPY riscv64-unknown-elf-objcopy)
set(CMAKE_SIZE riscv64-unknown-elf-size)
# The compiler check cannot link without a startup file: test a library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(ODL_ARCH_FLAGS "-march=rv32imafc -mabi=ilp32f -mcmodel=medany")
# picolibc.specs sets include paths too; CMake repeats C flags when linking.
set(CMAKE_C_FLAGS_INIT "${ODL_ARCH_FLAGS} --specs=picolibc.specs -ffp-contract=off -ffunction-sections -fdata-sections -Wall -Wextra -Werror")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostartfiles -Wl,--gc-sections")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
