# odl_runtime_sources(<out-var> <runtime_c dir> <families>)
#
# The runtime's C sources with optimised kernel folders swapped in: for each
# family (arm_dsp, arm_mve, arm_fp; a ;-list) every <dir>/<family>/<file>.c replaces
# the portable <dir>/<file>.c, or an earlier family's file of that name. The
# portable file stays the specification; a
# family that replaces nothing, or one the compiler cannot build for, is a
# configure error rather than a silent portable build.
include_guard(GLOBAL)
include(CheckCSourceCompiles)

set(ODL_KNOWN_KERNEL_FAMILIES arm_dsp arm_mve arm_fp)
set(_odl_need_arm_dsp "defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32)")
set(_odl_need_arm_mve "defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)")
set(_odl_need_arm_fp "defined(__ARM_FP) && (__ARM_FP & 4) && defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'")
set(_odl_hint_arm_fp "a Cortex-M core with a single-precision FPU (e.g. -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard)")
set(_odl_hint_arm_dsp "a core with the DSP extension (e.g. -mcpu=cortex-m4, -mcpu=cortex-m55)")
set(_odl_hint_arm_mve "a core with floating-point MVE (e.g. -mcpu=cortex-m55 -mfloat-abi=hard)")

function(odl_check_kernel_family family)
  if(NOT family IN_LIST ODL_KNOWN_KERNEL_FAMILIES)
    message(FATAL_ERROR "ODL_KERNEL_FAMILY: unknown family '${family}' (known: ${ODL_KNOWN_KERNEL_FAMILIES})")
  endif()
  set(CMAKE_REQUIRED_QUIET ON)
  check_c_source_compiles("
#if !(${_odl_need_${family}})
#error no
#endif
int main(void) { return 0; }" ODL_CC_HAS_${family})
  if(NOT ODL_CC_HAS_${family})
    message(FATAL_ERROR "ODL_KERNEL_FAMILY=${family}: the C compiler (${CMAKE_C_COMPILER}, flags "
      "'${CMAKE_C_FLAGS}') does not target ${_odl_hint_${family}}; use a toolchain file for such a "
      "core or leave ODL_KERNEL_FAMILY empty for the portable kernels")
  endif()
endfunction()

function(odl_runtime_sources out runtime_dir families)
  file(GLOB_RECURSE all CONFIGURE_DEPENDS ${runtime_dir}/src/*.c)
  set(srcs ${all})
  set(done)
  list(FILTER srcs EXCLUDE REGEX "/(arm_dsp|arm_mve|arm_fp)/")
  foreach(family ${families})
    odl_check_kernel_family(${family})
    set(opt_files ${all})
    list(FILTER opt_files INCLUDE REGEX "/${family}/[^/]+\\.c$")
    if(NOT opt_files)
      message(FATAL_ERROR "ODL_KERNEL_FAMILY: no sources for kernel family ${family} under ${runtime_dir}/src")
    endif()
    foreach(opt ${opt_files})
      get_filename_component(opt_dir ${opt} DIRECTORY)
      get_filename_component(opt_name ${opt} NAME)
      get_filename_component(portable_dir ${opt_dir} DIRECTORY)
      list(FIND srcs ${portable_dir}/${opt_name} portable_at)
      set(replaced ${portable_dir}/${opt_name})
      # A later family replaces an earlier one's file of the same name
      # (int8: arm_mve over arm_dsp on a Cortex-M55).
      foreach(earlier ${done})
        if(portable_at LESS 0)
          list(FIND srcs ${portable_dir}/${earlier}/${opt_name} portable_at)
          set(replaced ${portable_dir}/${earlier}/${opt_name})
        endif()
      endforeach()
      if(portable_at LESS 0)
        message(FATAL_ERROR "ODL_KERNEL_FAMILY: ${opt} replaces no portable file")
      endif()
      list(REMOVE_ITEM srcs ${replaced})
    endforeach()
    list(APPEND srcs ${opt_files})
    list(APPEND done ${family})
  endforeach()
  set(${out} ${srcs} PARENT_SCOPE)
endfunction()
