# Cross-compile for 64-bit ARM Linux, tuned for the Rockchip RK3399
# (2x Cortex-A72 + 4x Cortex-A53, ARMv8.0-A: NEON, no fp16 arithmetic, no dot product).
# Works for any CMake project:
#   cmake -S . -B build/aarch64 -DCMAKE_TOOLCHAIN_FILE=<mosface>/cmake/toolchains/aarch64-linux-gnu.cmake
# Needs Debian's g++-aarch64-linux-gnu; qemu-user-static (optional) lets ctest run the binaries.
# Note: mosface's ncnn cache is keyed on this file's sha256, so editing it rebuilds ncnn once.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# Libraries, headers and CMake packages come from the target's sysroot, never the host's;
# programs (code generators, python) run on the host.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# ARMv8.0-A only: anything newer (armv8.2-a fp16/dotprod) dies with SIGILL on the RK3399.
# The big.LITTLE tuning name schedules for the A72 while staying reasonable on the A53.
set(CMAKE_C_FLAGS_INIT "-march=armv8-a -mtune=cortex-a72.cortex-a53")
set(CMAKE_CXX_FLAGS_INIT "-march=armv8-a -mtune=cortex-a72.cortex-a53")

# ctest and try_run go through qemu when it is installed. -cpu cortex-a72: qemu's default
# model ("max") advertises ARMv8.2+ features, so ncnn would take code paths the RK3399
# does not have. -L: where the dynamic loader and shared libraries of the target live.
find_program(AARCH64_QEMU_EXECUTABLE NAMES qemu-aarch64-static qemu-aarch64)
if(AARCH64_QEMU_EXECUTABLE)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${AARCH64_QEMU_EXECUTABLE};-cpu;cortex-a72;-L;/usr/aarch64-linux-gnu")
endif()
