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
