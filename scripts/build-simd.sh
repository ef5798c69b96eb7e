#!/bin/sh
# Builds src/backend/simd/kernels.c into assets/simd/sftgoc-simd.wasm (committed: `npm ci` needs no
# compiler). Needs clang and wasm-ld (Debian: apt-get install clang lld). The module imports its
# memory (tfjs-backend-wasm's) and must own nothing in it: the check below fails the build when the
# binary has a data section or touches the stack pointer.
set -eu
cd "$(dirname "$0")/.."
out=assets/simd/sftgoc-simd.wasm
clang --target=wasm32 -O3 -msimd128 -nostdlib -fno-builtin -ffreestanding \
  -Wl,--no-entry -Wl,--import-memory -Wl,--strip-all -Wl,--initial-memory=131072 \
  -o "$out" src/backend/simd/kernels.c
if command -v wasm-objdump >/dev/null 2>&1; then
  if wasm-objdump -h "$out" | grep -q ' Data '; then echo "build-simd: $out has a data section" >&2; exit 1; fi
  if wasm-objdump -d "$out" | grep -q 'global\.[gs]et'; then echo "build-simd: $out uses a global (the stack pointer)" >&2; exit 1; fi
fi
echo "built $out ($(wc -c < "$out") bytes)"
