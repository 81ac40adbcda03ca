#!/usr/bin/env bash
# Installs, from Debian 12 packages, exactly what ptfuzz needs to build and test and is missing.
# Non-interactive and idempotent: a machine that already has everything is left untouched and no
# apt-get runs. Needs root (or sudo) only when something is missing.
set -euo pipefail

# The Dockerfile runs this script; README.md describes what it installs.
packages=(
  build-essential cmake ninja-build git ca-certificates
  clang-14 clang libclang-rt-14-dev   # compiler + libFuzzer archives (libclang_rt.fuzzer*.a)
  libprotobuf-dev protobuf-compiler   # schedule format (protobuf 3.21)
  libabsl-dev                         # Status, StatusOr, strings, containers (20220623)
  libgtest-dev libgmock-dev           # unit and end-to-end tests
  libbenchmark-dev                    # bench/
  python3                             # bench/zoo_bench_report.py (the zoo benchmark's tables and plot)
  chromium                            # tests/e2e/html_screenshot_test.sh (renders replay --html)
  rr                                  # ptfuzz replay --rr (records a replay for reverse debugging)
  llvm-14                             # llvm-symbolizer: named frames in libFuzzer's stack traces
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup: need root to install: ${missing[*]}" >&2
    exit 2
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# The package lists may be absent (fresh image) or stale; an update is cheap next to a failed install.
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: done"
