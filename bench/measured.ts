// What every engine's run of one configuration × variant gives back to the bench table: ours (a
// tfjs child process), the hand-written PyTorch peer, and the torch engine's generated program.
export interface Measured {
  stepMs: number[];
  cpuMsPerStep: number;
  peakRssMb: number;
  /** The engine's plain 2-D matMul FLOP/s on the configuration's reference shape. */
  matMulFlops: number;
  firstLoss: number | null;
  lastLoss: number | null;
  /** Tensors alive after the last step minus after the first; null where the engine cannot tell (Python). */
  leakedTensors: number | null;
}

/** The median (the mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
