#!/bin/sh
# Builds src/backend/native-kernels/*.c into assets/native/ (committed: `npm ci` needs no compiler):
# one shared library per x86-64 level, loaded by src/backend/native-kernels/load.ts after it checks
# the CPU's flags. v4 (AVX-512) uses 512-bit vectors; v3 (AVX2 + FMA) 256-bit ones. Needs clang
# (Debian: apt-get install clang). No fast-math: the exp's rounding trick and the NaN checks need
# IEEE arithmetic; -fno-math-errno only lets sqrtf become one instruction. -z nodelete: the pool's
# workers may still be spinning in the library when the process exits; it must never be unmapped.
set -eu
cd "$(dirname "$0")/.."
mkdir -p assets/native
for level in v3 v4; do
  out=assets/native/libsftgoc-kernels-x86-64-$level.so
  width=256
  [ "$level" = v4 ] && width=512
  clang -O3 -march=x86-64-$level -mprefer-vector-width=$width -fno-math-errno -fPIC -shared -pthread \
    -fvisibility=hidden -Wall -Wextra -Werror -Wno-unused-parameter -Wno-psabi -Wl,--as-needed -Wl,-z,nodelete -s \
    -o "$out" src/backend/native-kernels/kernels.c src/backend/native-kernels/pool.c src/backend/native-kernels/sgemm-split.c
  echo "built $out ($(wc -c < "$out") bytes)"
done
