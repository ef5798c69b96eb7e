// The held-out part of the corpus for pretraining: every n-th block (spread over the whole file, so
// it covers every kind of prose), never trained on. A fixed rule, so no seed is needed.
import type { Sample } from '../../src/data/types.js';

export function splitHoldout(blocks: readonly Sample[], every: number): { train: Sample[]; heldOut: Sample[] } {
  const train: Sample[] = [];
  const heldOut: Sample[] = [];
  // Blocks shorter than 2 tokens carry no loss token; the last block of the stream may be one.
  for (const b of blocks) {
    if (b.ids.length < 2) continue;
    ((b.index + 1) % every === 0 ? heldOut : train).push(b);
  }
  return { train, heldOut };
}
