#!/usr/bin/env bash
# Cross-build mosface for aarch64 (RK3399) and prove it under qemu-user:
#   1. toolchain: g++-aarch64-linux-gnu + qemu-user-static (apt-get, once)
#   2. ncnn for ARMv8.0 from the pinned sdist (cmake/ncnn/build_ncnn.py, cached in ~/.cache/mosface)
#   3. C++ unit tests + mosface-bench (static) in build/aarch64; ctest under qemu -cpu cortex-a72
#   4. mosface-bench under qemu vs the x86 build (build/x86_64-bench) on the same model and image,
#      and the C API example (tests/data/c_example) likewise
#   5. aarch64 instruction count of one mos-tiny 320x240 detect (mosface.bench.arm.instructions: qemu-user + plugin)
#   6. aarch64 CPython 3.11 wheel, installed into an arm64 Debian Python sysroot; Detector.detect under qemu
# Idempotent: every phase reuses what an earlier run left (apt packages, ncnn, debs, wheels,
# build folders), so a warm run only recompiles what changed. Needs root for apt-get.
# Usage: scripts/cross_aarch64.sh [--no-wheel] [--jobs N]
# Timings printed here are build/CI times. Latencies measured under qemu are not timings of any CPU.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

WITH_WHEEL=1
JOBS=$(nproc)
while [ $# -gt 0 ]; do
    case "$1" in
        --no-wheel) WITH_WHEEL=0 ;;
        --jobs) JOBS=$2; shift ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "cross_aarch64: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

PYTHON=${PYTHON:-python3}
CACHE=${MOSFACE_NCNN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mosface}
TOOLCHAIN=$ROOT/cmake/toolchains/aarch64-linux-gnu.cmake
# -cpu cortex-a72: qemu's default model ("max") has ARMv8.2+ features the RK3399 lacks, and
# ncnn would pick those kernels (different code, different rounding). Same flags as the toolchain.
QEMU=(qemu-aarch64-static -cpu cortex-a72)
BUILD=$ROOT/build/aarch64
HOST_BUILD=$ROOT/build/x86_64-bench
FIXTURE=$ROOT/build/cross-fixture
LOGS=$ROOT/build/cross-logs
SYSROOT=$ROOT/build/aarch64-sysroot
WHEEL_DIR=$ROOT/build/aarch64-wheel
DEB_CACHE=$CACHE/arm64-debs
WHEEL_CACHE=$CACHE/arm64-wheels
GENERATOR=()
command -v ninja > /dev/null && GENERATOR=(-G Ninja)
mkdir -p "$LOGS"
export PIP_ROOT_USER_ACTION=ignore  # CI runs as root; pip's warning about it is noise here

# Debian 12 arm64 packages for a Python 3.11 that runs under qemu: the interpreter, its
# stdlib's shared-library dependencies, the headers (libpython3.11-dev) and the C++/OpenMP
# runtime our extension needs (libstdc++6, libgomp1).
ARM64_DEBS=(python3.11 python3.11-minimal libpython3.11-minimal libpython3.11-stdlib libpython3.11-dev
    libc6 libgcc-s1 libstdc++6 libgomp1 libexpat1 zlib1g libffi8 libssl3 libbz2-1.0 liblzma5
    libsqlite3-0 libncursesw6 libtinfo6 libreadline8 libuuid1 libcrypt1 libnsl2 libtirpc3 libdb5.3
    libgssapi-krb5-2 libk5crypto3 libkeyutils1 libkrb5-3 libkrb5support0 libcom-err2)
# Pinned to the host's versions (tests run against the same numpy); aarch64 wheels from PyPI.
ARM64_WHEELS=(numpy==2.4.6 pillow==13.0.0)
PY_ABI=cp311
EXT_SUFFIX=.cpython-311-aarch64-linux-gnu.so

declare -a PHASES=()
phase() {  # phase NAME COMMAND...: run, time, remember
    local name=$1 start=$SECONDS
    shift
    echo "== $name"
    "$@"
    PHASES+=("$(printf '%-34s %5d s' "$name" $((SECONDS - start)))")
}

install_toolchain() {
    if command -v aarch64-linux-gnu-g++ > /dev/null && command -v qemu-aarch64-static > /dev/null; then
        echo "already installed: $(aarch64-linux-gnu-g++ --version | sed -n 1p); $(qemu-aarch64-static --version | sed -n 1p)"
        return
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++-aarch64-linux-gnu qemu-user-static > "$LOGS/apt.log"
}

build_ncnn() {
    # Prints the prefix; CMake's configure would do the same, this only makes the time visible.
    "$PYTHON" cmake/ncnn/build_ncnn.py --variant arm --toolchain "$TOOLCHAIN" --jobs "$JOBS" 2> "$LOGS/ncnn.log" \
        || { tail -30 "$LOGS/ncnn.log"; return 1; }
}

cross_build() {
    # -static: one file to copy to a board, no libstdc++/libgomp/glibc version questions.
    # FindOpenMP records libgomp.so by path, which -static cannot link: point it at libgomp.a.
    local gomp
    gomp=$(aarch64-linux-gnu-g++ -print-file-name=libgomp.a)
    cmake -S . -B "$BUILD" "${GENERATOR[@]}" -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" \
        -DMOSFACE_NCNN_VARIANT=arm -DMOSFACE_BUILD_TESTS=ON -DMOSFACE_BUILD_BENCH=ON \
        -DMOSFACE_BUILD_PYTHON=OFF -DMOSFACE_INSTALL_SDK=OFF -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_EXE_LINKER_FLAGS=-static -DOpenMP_gomp_LIBRARY="$gomp" > "$LOGS/aarch64-configure.log" \
        || { tail -30 "$LOGS/aarch64-configure.log"; return 1; }
    # The dlopen warning from libgomp.a (OpenACC profiling hook, unused) is expected.
    cmake --build "$BUILD" -j "$JOBS" > "$LOGS/aarch64-build.log" 2>&1 \
        || { tail -30 "$LOGS/aarch64-build.log"; return 1; }
    file "$BUILD/cpp/mosface-bench" | sed "s|$ROOT/||"
}

ctest_under_qemu() {
    # add_test() commands go through CMAKE_CROSSCOMPILING_EMULATOR (set by the toolchain file).
    # Without qemu at configure time ctest would try to exec aarch64 binaries directly.
    grep -q 'qemu-aarch64.*cortex-a72' "$BUILD/cpp/CTestTestfile.cmake" \
        || { echo "build/aarch64: ctest does not go through qemu (was qemu-user-static installed at configure time?)" >&2; return 1; }
    (cd "$BUILD" && ctest --output-on-failure) | tail -3
}

host_bench_build() {
    cmake -S . -B "$HOST_BUILD" "${GENERATOR[@]}" -DMOSFACE_BUILD_BENCH=ON -DMOSFACE_BUILD_PYTHON=OFF \
        -DMOSFACE_INSTALL_SDK=OFF -DCMAKE_BUILD_TYPE=Release > "$LOGS/x86_64-configure.log" \
        || { tail -30 "$LOGS/x86_64-configure.log"; return 1; }
    cmake --build "$HOST_BUILD" -j "$JOBS" --target mosface-bench mosface-c-example > "$LOGS/x86_64-build.log" 2>&1 \
        || { tail -30 "$LOGS/x86_64-build.log"; return 1; }
}

bench_compare() {
    "$PYTHON" -m scripts.cross_aarch64_check fixture "$FIXTURE"
    local args=("$FIXTURE/tiny" --image "$FIXTURE/image.ppm" --conf-threshold 0.3 --nms-threshold 0.4
                --iterations 3 --warmup 1)
    "$HOST_BUILD/cpp/mosface-bench" "${args[@]}" --detections "$FIXTURE/x86_64.txt" > "$LOGS/bench-x86_64.txt"
    # No -L: the binary is static, so it needs no aarch64 libraries (nor will the board).
    "${QEMU[@]}" "$BUILD/cpp/mosface-bench" "${args[@]}" --threads 2 --label qemu \
        --detections "$FIXTURE/aarch64-t2.txt" --json "$LOGS/bench-aarch64-qemu.json" > "$LOGS/bench-aarch64.txt"
    # A thread count must not change detections.
    "${QEMU[@]}" "$BUILD/cpp/mosface-bench" "${args[@]}" --threads 1 \
        --detections "$FIXTURE/aarch64-t1.txt" > /dev/null
    echo "aarch64 (qemu, 2 threads) vs x86_64:"
    "$PYTHON" -m scripts.cross_aarch64_check compare "$FIXTURE/x86_64.txt" "$FIXTURE/aarch64-t2.txt"
    echo "aarch64 (qemu, 1 thread) vs x86_64:"
    "$PYTHON" -m scripts.cross_aarch64_check compare "$FIXTURE/x86_64.txt" "$FIXTURE/aarch64-t1.txt"
}

c_example_compare() {
    "$HOST_BUILD/cpp/mosface-c-example" "$FIXTURE/tiny" > "$FIXTURE/c-example-x86_64.txt"
    "${QEMU[@]}" "$BUILD/cpp/mosface-c-example" "$FIXTURE/tiny" > "$FIXTURE/c-example-aarch64.txt"
    echo "C example, aarch64 (qemu) vs x86_64:"
    "$PYTHON" -m scripts.cross_aarch64_check compare-text "$FIXTURE/c-example-x86_64.txt" \
        "$FIXTURE/c-example-aarch64.txt"
}

count_instructions() {
    # The RK3399 estimate from counted instructions, smallest case, so the tool keeps working
    # (the sweep: docs/arm.md). First run: apt-get qemu-user, the plugin, two calibration nets.
    "$PYTHON" -m mosface.bench.arm.instructions --arch mos-tiny --size 320x240 \
        --out "$LOGS/arm-instructions-mos-tiny-320x240.json" > "$LOGS/arm-instructions.log" 2>&1 \
        || { tail -30 "$LOGS/arm-instructions.log"; return 1; }
    tail -2 "$LOGS/arm-instructions.log"
}

arm64_sysroot() {
    local stamp=$SYSROOT/.mosface-packages wanted
    wanted="${ARM64_DEBS[*]} | ${ARM64_WHEELS[*]}"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
        echo "reusing $SYSROOT"
        return
    fi
    mkdir -p "$DEB_CACHE" "$WHEEL_CACHE"
    local missing=() package
    for package in "${ARM64_DEBS[@]}"; do
        compgen -G "$DEB_CACHE/${package}_*_arm64.deb" > /dev/null || missing+=("$package:arm64")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        dpkg --print-foreign-architectures | grep -x arm64 >/dev/null || dpkg --add-architecture arm64
        apt-get update -qq
        # apt-get download writes into the current folder; as root it warns that _apt cannot (harmless).
        (cd "$DEB_CACHE" && apt-get download -qq "${missing[@]}" 2> /dev/null)
    fi
    rm -rf "$SYSROOT"
    mkdir -p "$SYSROOT"
    for package in "${ARM64_DEBS[@]}"; do
        dpkg -x "$(compgen -G "$DEB_CACHE/${package}_*_arm64.deb" | sort -V | tail -1)" "$SYSROOT"
    done
    # Debian's python3.11/pyconfig.h only forwards to <aarch64-linux-gnu/python3.11/pyconfig.h>;
    # a self-contained include folder keeps -I<sysroot>/usr/include (and its other headers) out.
    local include=$SYSROOT/opt/python3.11-include
    mkdir -p "$include"
    cp -a "$SYSROOT/usr/include/python3.11/." "$include/"
    cp "$SYSROOT/usr/include/aarch64-linux-gnu/python3.11/pyconfig.h" "$include/pyconfig.h"
    # numpy and pillow (mosface's dependencies) as PyPI's aarch64 wheels, downloaded once.
    "$PYTHON" -m pip download --disable-pip-version-check -q -d "$WHEEL_CACHE" --only-binary=:all: \
        --platform manylinux2014_aarch64 --platform manylinux_2_28_aarch64 \
        --python-version 3.11 --implementation cp --abi "$PY_ABI" "${ARM64_WHEELS[@]}"
    "$PYTHON" -m pip install --disable-pip-version-check -q --no-index --find-links "$WHEEL_CACHE" \
        --target "$SYSROOT/usr/local/lib/python3.11/dist-packages" --only-binary=:all: \
        --platform manylinux_2_28_aarch64 --python-version 3.11 --implementation cp --abi "$PY_ABI" \
        "${ARM64_WHEELS[@]}"
    echo "$wanted" > "$stamp"
    "${QEMU[@]}" -L "$SYSROOT" "$SYSROOT/usr/bin/python3.11" -c \
        'import numpy, platform, sysconfig; print("arm64 python", platform.python_version(), platform.machine(), sysconfig.get_config_var("EXT_SUFFIX"), "numpy", numpy.__version__)'
}

build_wheel() {
    rm -f "$WHEEL_DIR"/mosface-*.whl
    # SETUPTOOLS_EXT_SUFFIX: the module suffix (scikit-build-core and pybind11 both read it);
    # _PYTHON_HOST_PLATFORM: the wheel's platform tag. Both otherwise describe the build machine.
    # pybind11_DIR: the toolchain hides host CMake packages (find-root ONLY mode).
    # The build folder build/cp311-cp311-linux_aarch64 is kept: warm builds are incremental.
    SETUPTOOLS_EXT_SUFFIX=$EXT_SUFFIX _PYTHON_HOST_PLATFORM=linux-aarch64 \
        "$PYTHON" -m pip wheel . --no-build-isolation --no-deps --disable-pip-version-check -w "$WHEEL_DIR" -v \
        -C cmake.define.CMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" \
        -C cmake.define.MOSFACE_NCNN_VARIANT=arm \
        -C cmake.define.PYBIND11_USE_CROSSCOMPILING=ON \
        -C cmake.define.pybind11_DIR="$("$PYTHON" -m pybind11 --cmakedir)" \
        -C cmake.define.Python_INCLUDE_DIR="$SYSROOT/opt/python3.11-include" \
        > "$LOGS/wheel.log" 2>&1 || { tail -40 "$LOGS/wheel.log"; return 1; }
    local wheel
    wheel=$(compgen -G "$WHEEL_DIR/mosface-*-$PY_ABI-$PY_ABI-linux_aarch64.whl")
    echo "$(basename "$wheel") ($(du -h "$wheel" | cut -f1))"
    # Ask zipfile itself: `zipfile -l | grep -q` races (grep exits at the first
    # match, zipfile dies of SIGPIPE, and pipefail fails the step).
    "$PYTHON" - "$wheel" "mosface/_core$EXT_SUFFIX" <<'PY' \
        || { echo "the wheel has no mosface/_core$EXT_SUFFIX" >&2; return 1; }
import sys, zipfile
sys.exit(sys.argv[2] not in zipfile.ZipFile(sys.argv[1]).namelist())
PY
}

wheel_detect_under_qemu() {
    local wheel
    wheel=$(compgen -G "$WHEEL_DIR/mosface-*-$PY_ABI-$PY_ABI-linux_aarch64.whl")
    # pip (on the host) installs for the target: --platform/--abi check the tags, --target the folder.
    "$PYTHON" -m pip install --disable-pip-version-check -q --no-deps --upgrade --only-binary=:all: \
        --target "$SYSROOT/usr/local/lib/python3.11/dist-packages" \
        --platform linux_aarch64 --python-version 3.11 --implementation cp --abi "$PY_ABI" "$wheel"
    "${QEMU[@]}" -L "$SYSROOT" "$SYSROOT/usr/bin/python3.11" scripts/cross_aarch64_check.py detect \
        "$FIXTURE/tiny" "$FIXTURE/image.ppm" "$FIXTURE/aarch64-wheel.txt"
    echo "aarch64 wheel (qemu) vs x86_64 mosface-bench:"
    "$PYTHON" -m scripts.cross_aarch64_check compare "$FIXTURE/x86_64.txt" "$FIXTURE/aarch64-wheel.txt"
}

phase "toolchain (apt)" install_toolchain
phase "ncnn arm (build_ncnn.py)" build_ncnn
phase "cross build (tests + bench)" cross_build
phase "ctest under qemu" ctest_under_qemu
phase "x86_64 mosface-bench build" host_bench_build
phase "mosface-bench qemu vs x86_64" bench_compare
phase "C example qemu vs x86_64" c_example_compare
phase "instruction count (qemu plugin)" count_instructions
if [ "$WITH_WHEEL" = 1 ]; then
    phase "arm64 python sysroot" arm64_sysroot
    phase "aarch64 wheel" build_wheel
    phase "wheel Detector.detect (qemu)" wheel_detect_under_qemu
fi
echo "== phase times (build/CI time; nothing here is a latency of the target CPU)"
printf '%s\n' "${PHASES[@]}"
echo "total $SECONDS s"
