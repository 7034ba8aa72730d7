# Firmware executable: runtime_c + a generated model + one board's support.
#
# Needs a toolchain file from targets/<board>/ and:
#   ODL_BOARD          board folder name under targets/
#   ODL_MODEL_DIR      directory holding the generated model.c / model.h
#   ODL_MEMORY_LD_DIR  directory holding memory.ld (generated from board.toml)
# Optional:
#   ODL_FW_MODE        "link" (serve the serial link, default), "selftest" or
#                      "profile" (selftest timing each op)
#   ODL_BOARD_DEFINES  extra compile definitions (counter scale, target name)
#   ODL_RUNTIME_DIR    runtime_c tree to build (default: the repository's)
#   ODL_KERNEL_FAMILY  optimised kernel folders (arm_dsp;arm_mve) or empty (portable)
#   ODL_RUNTIME_LIB    a prebuilt libodl_runtime.a (same board, families and
#                      defines) to link instead of compiling the runtime
#   ODL_RUNTIME_ONLY   ON: build only the runtime library (no model needed)
# pytool/targets/build.py drives this through targets/CMakeLists.txt: it builds
# the runtime once per board/families/sources (ODL_RUNTIME_ONLY) and links each
# model against that cached library.

if(ODL_RUNTIME_ONLY)
  set(_odl_required ODL_BOARD)
else()
  set(_odl_required ODL_BOARD ODL_MODEL_DIR ODL_MEMORY_LD_DIR)
endif()
foreach(var ${_odl_required})
  if(NOT ${var})
    message(FATAL_ERROR "firmware.cmake: ${var} is not set")
  endif()
endforeach()
if(NOT ODL_FW_MODE)
  set(ODL_FW_MODE link)
endif()

get_filename_component(ODL_TARGETS_DIR ${CMAKE_CURRENT_LIST_DIR} ABSOLUTE)
get_filename_component(ODL_REPO_DIR ${ODL_TARGETS_DIR}/.. ABSOLUTE)
set(ODL_BOARD_DIR ${ODL_TARGETS_DIR}/${ODL_BOARD})
if(NOT EXISTS ${ODL_BOARD_DIR}/board.toml)
  message(FATAL_ERROR "firmware.cmake: no board folder ${ODL_BOARD_DIR}")
endif()
if(NOT ODL_RUNTIME_DIR)
  set(ODL_RUNTIME_DIR ${ODL_REPO_DIR}/runtime_c)
endif()
set(ODL_FW_COMPILE_OPTIONS -std=c99 -O2 -g -fno-strict-aliasing)

if(ODL_RUNTIME_LIB)
  if(NOT EXISTS ${ODL_RUNTIME_LIB})
    message(FATAL_ERROR "firmware.cmake: ODL_RUNTIME_LIB ${ODL_RUNTIME_LIB} does not exist")
  endif()
  add_library(odl_runtime STATIC IMPORTED)
  set_target_properties(odl_runtime PROPERTIES IMPORTED_LOCATION ${ODL_RUNTIME_LIB})
else()
  # ODL_KERNEL_FAMILY (board.toml `kernels`: one family or a list, e.g.
  # arm_dsp;arm_mve): each <dir>/<family>/<file>.c is compiled INSTEAD of the
  # portable <dir>/<file>.c (cmake/odl_sources.cmake).
  include(${ODL_REPO_DIR}/cmake/odl_sources.cmake)
  odl_runtime_sources(ODL_FW_RUNTIME ${ODL_RUNTIME_DIR} "${ODL_KERNEL_FAMILY}")
  add_library(odl_runtime STATIC ${ODL_FW_RUNTIME})
  set_target_properties(odl_runtime PROPERTIES OUTPUT_NAME odl_runtime)
  target_include_directories(odl_runtime PRIVATE ${ODL_RUNTIME_DIR}/include)
  target_compile_options(odl_runtime PRIVATE ${ODL_FW_COMPILE_OPTIONS})
  target_compile_definitions(odl_runtime PRIVATE ${ODL_BOARD_DEFINES})
endif()
if(ODL_RUNTIME_ONLY)
  return()
endif()

if(NOT EXISTS ${ODL_MODEL_DIR}/model.c OR NOT EXISTS ${ODL_MODEL_DIR}/model.h)
  message(FATAL_ERROR "firmware.cmake: ${ODL_MODEL_DIR} lacks model.c / model.h")
endif()

set(ODL_FW_SOURCES
  ${ODL_MODEL_DIR}/model.c
  ${ODL_TARGETS_DIR}/common/main.c
  ${ODL_TARGETS_DIR}/common/stack.c
  ${ODL_BOARD_DIR}/startup.c
  ${ODL_BOARD_DIR}/board.c)
# Weight-store medium: the board's flash driver, else a semihosting file.
if(EXISTS ${ODL_BOARD_DIR}/nv_flash.c)
  list(APPEND ODL_FW_SOURCES ${ODL_BOARD_DIR}/nv_flash.c)
else()
  list(APPEND ODL_FW_SOURCES ${ODL_TARGETS_DIR}/common/nv_semihost.c)
endif()
if(CMAKE_SYSTEM_PROCESSOR STREQUAL "arm")
  list(APPEND ODL_FW_SOURCES ${ODL_TARGETS_DIR}/common/cortexm.c)
endif()

add_executable(odl_firmware ${ODL_FW_SOURCES})
set_target_properties(odl_firmware PROPERTIES OUTPUT_NAME firmware SUFFIX .elf)
target_include_directories(odl_firmware PRIVATE
  ${ODL_RUNTIME_DIR}/include ${ODL_MODEL_DIR} ${ODL_TARGETS_DIR}/common)
target_compile_options(odl_firmware PRIVATE ${ODL_FW_COMPILE_OPTIONS})
# The runtime archive comes after the objects; ld pulls only the members the
# model's decoder table and main.c reach.
target_link_libraries(odl_firmware PRIVATE odl_runtime m)  # libm: the float32 kernels call expf, tanhf, exp
target_compile_definitions(odl_firmware PRIVATE ${ODL_BOARD_DEFINES})
if(ODL_FW_MODE STREQUAL "selftest")
  target_compile_definitions(odl_firmware PRIVATE ODL_FW_SELFTEST=1)
elseif(ODL_FW_MODE STREQUAL "profile")
  target_compile_definitions(odl_firmware PRIVATE ODL_FW_SELFTEST=1 ODL_FW_PROFILE=1)
elseif(NOT ODL_FW_MODE STREQUAL "link")
  message(FATAL_ERROR "firmware.cmake: ODL_FW_MODE must be link, selftest or profile, not ${ODL_FW_MODE}")
endif()
target_link_options(odl_firmware PRIVATE
  -L${ODL_MEMORY_LD_DIR} -L${ODL_TARGETS_DIR}/common
  -T${ODL_BOARD_DIR}/linker.ld
  -Wl,-Map=${CMAKE_CURRENT_BINARY_DIR}/firmware.map)
set_target_properties(odl_firmware PROPERTIES LINK_DEPENDS
  "${ODL_BOARD_DIR}/linker.ld;${ODL_MEMORY_LD_DIR}/memory.ld")
