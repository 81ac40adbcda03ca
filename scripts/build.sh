#!/usr/bin/env bash
# Configures and builds ptfuzz with clang (Release, Ninja) into build/ (or $BUILD_DIR).
# Extra arguments go to cmake's configure step, e.g. -DPTFUZZ_SANITIZE=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
build_type=${BUILD_TYPE:-Release}
cmake -S . -B "$build_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE="$build_type" \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ "$@"
cmake --build "$build_dir" -j "$(nproc)"
