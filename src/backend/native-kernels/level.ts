// Which native kernels library this CPU gets (load.ts loads it): by the CPU's flags, unless
// SFTGOC_NATIVE_KERNELS says otherwise. No loading here, and no TensorFlow.js: `compile --emit plan`
// says what a run would take from this alone.
import { join } from 'node:path';
import { packageRoot } from '../../util/package-root.js';
import type { NativeLevel } from './active.js';

export const NATIVE_LEVELS: readonly NativeLevel[] = ['x86-64-v4', 'x86-64-v3'];

/** The flags each level's build was compiled for (-march=x86-64-vN), as /proc/cpuinfo names them. */
const LEVEL_FLAGS: Record<NativeLevel, string[]> = {
  'x86-64-v4': ['avx512f', 'avx512bw', 'avx512cd', 'avx512dq', 'avx512vl', 'avx2', 'fma', 'bmi1', 'bmi2', 'f16c', 'movbe'],
  'x86-64-v3': ['avx2', 'fma', 'bmi1', 'bmi2', 'f16c', 'movbe'],
};

export function nativeKernelsFile(level: NativeLevel): string {
  return join(packageRoot, 'assets', 'native', `libsftgoc-kernels-${level}.so`);
}

/** The level to load on a CPU with `flags`, or why none: the env variable, the platform or the CPU. */
export function chooseNativeLevel(flags: Set<string>, env: NodeJS.ProcessEnv = process.env, platform = process.platform, arch = process.arch): { level: NativeLevel } | { reason: string } {
  const asked = env['SFTGOC_NATIVE_KERNELS'];
  if (asked === 'off') return { reason: 'SFTGOC_NATIVE_KERNELS=off' };
  if (asked !== undefined && asked !== '' && !NATIVE_LEVELS.includes(asked as NativeLevel)) {
    return { reason: `SFTGOC_NATIVE_KERNELS=${asked} is not one of off, ${NATIVE_LEVELS.join(', ')}` };
  }
  if (platform !== 'linux' || arch !== 'x64') return { reason: `built for Linux on x86-64 only (this is ${platform} on ${arch})` };
  const candidates = asked !== undefined && asked !== '' ? [asked as NativeLevel] : NATIVE_LEVELS;
  for (const level of candidates) {
    const missing = LEVEL_FLAGS[level].filter((f) => !flags.has(f));
    if (missing.length === 0) return { level };
    if (candidates.length === 1) return { reason: `the CPU lacks ${missing.join(', ')} for ${level}` };
  }
  return { reason: `the CPU lacks AVX2 and FMA (x86-64-v3), the least the native build needs` };
}

/** For `compile --emit plan`: the build a wasm-blas run would load here, or why none. */
export function nativeLevelNote(flags: Set<string>, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = chooseNativeLevel(flags, env);
  return 'level' in chosen
    ? `${chosen.level} (${chosen.level === 'x86-64-v4' ? 'AVX-512' : 'AVX2'}) build, on the BLAS's threads, checked against loops when it loads`
    : `WebAssembly SIMD (no native build: ${chosen.reason})`;
}
