// Which OpenBLAS kernel set (OPENBLAS_CORETYPE) a process should run, chosen from the CPU's features.
//
// Why: a DYNAMIC_ARCH OpenBLAS (Debian's, Ubuntu's, Fedora's) picks its kernels once, when the
// library loads, from its own table of CPU models. A CPU newer than the library (Debian's 0.3.21 on
// a Sapphire Rapids Xeon) is not in the table and falls back to the oldest x86-64 kernels
// ("Prescott"), and an environment may pin an older set (OPENBLAS_CORETYPE=Haswell): a 1024³ product
// then runs at a fifth to a half of what the same library does with its AVX-512 kernels on the same
// cores (docs/performance.md). OpenBLAS reads OPENBLAS_CORETYPE in its load-time constructor
// (driver/others/dynamic.c, gotoblas_dynamic_init), so the variable must be in the environment
// before the first dlopen: for this process, set in process.env before koffi loads it (Node's
// process.env writes through to the C environment); for the torch engine's children, in the
// environment they are spawned with.
//
// Who wins, first match: SFTGOC_BLAS_CORETYPE=off (nothing is set; OpenBLAS decides, or the user's
// OPENBLAS_CORETYPE does), SFTGOC_BLAS_CORETYPE=<name> (that set), SFTGOC_BLAS_CORETYPE=auto (chosen
// from the CPU even over an OPENBLAS_CORETYPE already set), the user's own OPENBLAS_CORETYPE (kept),
// else the choice from /proc/cpuinfo's flags. The choice is checked by a product against loops
// after loading (library.ts); a failed check falls back and says so.
//
// Everything here but `readCpuFlags` is a pure function of its arguments, for the tests' table.
import { readFileSync } from 'node:fs';

/** OpenBLAS's x86-64 kernel sets this module chooses between, weakest first, with the flags each needs. */
const X86_SETS: ReadonlyArray<{ name: string; needs: readonly string[] }> = [
  { name: 'Sandybridge', needs: ['avx'] },
  { name: 'Haswell', needs: ['avx2', 'fma'] },
  { name: 'SkylakeX', needs: ['avx512f', 'avx512bw', 'avx512dq', 'avx512vl', 'avx512cd'] },
  // SkylakeX's sgemm kernels plus AVX512-BF16 ones (cblas_sbgemm); what OpenBLAS itself picks for such CPUs.
  { name: 'Cooperlake', needs: ['avx512f', 'avx512bw', 'avx512dq', 'avx512vl', 'avx512cd', 'avx512_bf16'] },
];

/**
 * How strong a reported core name is, on the same scale as X86_SETS (−1: older than Sandybridge,
 * e.g. the Prescott fallback; undefined: a name this table does not rank, e.g. another architecture).
 * SapphireRapids ranks with Cooperlake: 0.3.21 runs Cooperlake's kernels for it.
 */
export function coreRank(name: string): number | undefined {
  const n = name.toLowerCase();
  const ranked: Record<string, number> = {
    prescott: -1, core2: -1, penryn: -1, dunnington: -1, nehalem: -1, atom: -1, katmai: -1, coppermine: -1,
    northwood: -1, banias: -1, opteron: -1, barcelona: -1, bobcat: -1, nano: -1,
    sandybridge: 0, bulldozer: 0, piledriver: 0, steamroller: 0, excavator: 0,
    haswell: 1, zen: 1,
    skylakex: 2,
    cooperlake: 3, sapphirerapids: 3,
  };
  return ranked[n];
}

/** The strongest kernel set the flags support, or undefined (not x86-64, or older than AVX). */
export function bestCoreForFlags(flags: ReadonlySet<string>): string | undefined {
  let best: string | undefined;
  for (const set of X86_SETS) if (set.needs.every((f) => flags.has(f))) best = set.name;
  return best;
}

/** Every kernel set of X86_SETS the flags support, weakest first: the bench's sweep for the machine's peak. */
export function supportedCoreSets(flags: ReadonlySet<string>): string[] {
  return X86_SETS.filter((set) => set.needs.every((f) => flags.has(f))).map((set) => set.name);
}

export interface CoreChoice {
  /** The value for OPENBLAS_CORETYPE, or undefined to leave the environment as it is. */
  set: string | undefined;
  /** Who decided: the user's SFTGOC_BLAS_CORETYPE or OPENBLAS_CORETYPE, sftgoc from the CPU's flags, or nobody. */
  source: 'SFTGOC_BLAS_CORETYPE' | 'OPENBLAS_CORETYPE' | 'cpu-flags' | 'off' | 'none';
  /** One line for notes (config.json, `compile --emit plan`). */
  note: string;
}

/** The variable that turns the choice off or names a kernel set; documented in docs/performance.md. */
export const CORETYPE_VARIABLE = 'SFTGOC_BLAS_CORETYPE';

/**
 * The kernel set to ask OpenBLAS for, before it loads. `flags`: /proc/cpuinfo's (empty when
 * unknown); `env`: the environment the library will load under.
 */
export function chooseCoreType(flags: ReadonlySet<string>, env: NodeJS.ProcessEnv): CoreChoice {
  const ours = env[CORETYPE_VARIABLE]?.trim() ?? '';
  const theirs = env['OPENBLAS_CORETYPE']?.trim() ?? '';
  const best = bestCoreForFlags(flags);
  const lower = ours.toLowerCase();
  if (lower === 'off' || lower === 'none' || lower === '0') {
    return { set: undefined, source: 'off', note: `${CORETYPE_VARIABLE}=${ours}: kernel choice off; ${theirs !== '' ? `OPENBLAS_CORETYPE=${theirs} as set` : "OpenBLAS's own detection"}` };
  }
  if (ours !== '' && lower !== 'auto') {
    return { set: ours, source: 'SFTGOC_BLAS_CORETYPE', note: `${ours} kernels (${CORETYPE_VARIABLE})` };
  }
  if (lower !== 'auto' && theirs !== '') {
    const weaker = best !== undefined && (coreRank(theirs) ?? Infinity) < (coreRank(best) ?? -Infinity);
    const hint = weaker ? `; this CPU supports ${best} (${CORETYPE_VARIABLE}=auto takes it)` : '';
    return { set: theirs, source: 'OPENBLAS_CORETYPE', note: `${theirs} kernels (OPENBLAS_CORETYPE from the environment, kept)${hint}` };
  }
  if (best === undefined) {
    return { set: undefined, source: 'none', note: "OpenBLAS's own kernel detection (no AVX-class CPU flags known here)" };
  }
  return { set: best, source: 'cpu-flags', note: `${best} kernels (chosen by sftgoc from the CPU's flags; ${CORETYPE_VARIABLE}=off leaves it to OpenBLAS)` };
}

/**
 * After loading: does the library run what was asked for? `reported` is openblas_get_corename()
 * (undefined for a library that is not OpenBLAS). Returns a line to add to the notes, or undefined
 * when all is as asked.
 */
export function judgeReportedCore(choice: CoreChoice, reported: string | undefined, flags: ReadonlySet<string>): string | undefined {
  if (reported === undefined) return choice.set !== undefined ? 'the library does not report its kernels (not OpenBLAS?): OPENBLAS_CORETYPE has no effect on it' : undefined;
  if (choice.set !== undefined && reported.toLowerCase() !== choice.set.toLowerCase()) {
    return `OpenBLAS runs ${reported} kernels, not the ${choice.set} asked for (a library built without that set, or without DYNAMIC_ARCH)`;
  }
  const best = bestCoreForFlags(flags);
  if (choice.set === undefined && best !== undefined && (coreRank(reported) ?? Infinity) < (coreRank(best) ?? -Infinity)) {
    return `OpenBLAS fell back to ${reported} kernels on a CPU that supports ${best} (unset ${CORETYPE_VARIABLE} to let sftgoc choose)`;
  }
  return undefined;
}

/** The CPU's feature flags from /proc/cpuinfo (Linux), empty elsewhere or when unreadable. */
export function readCpuFlags(file = '/proc/cpuinfo'): Set<string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return new Set();
  }
  const line = text.split('\n').find((l) => /^flags\s*:/.test(l));
  return new Set(line === undefined ? [] : line.slice(line.indexOf(':') + 1).trim().split(/\s+/));
}
