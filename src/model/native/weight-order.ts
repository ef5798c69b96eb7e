// The order a native trunk takes its weights in (the op's inputs): a few named weights before the
// blocks, each block's weights, a few after. One description serves both directions: the HF
// names in order (to pick the variables) and the arrays arranged into the trunk's structure
// (weights, and gradients in the same order).

export interface WeightOrder {
  /** [field, HF name] before the blocks. */
  head: readonly (readonly [string, string])[];
  /** [field, HF name suffix] of each block; the full name is blockPrefix(i) + suffix. */
  block: readonly (readonly [string, string])[];
  blockPrefix: (layer: number) => string;
  /** [field, HF name] after the blocks. */
  tail: readonly (readonly [string, string])[];
}

export function weightNames(order: WeightOrder, layers: number): string[] {
  const names = order.head.map(([, n]) => n);
  for (let l = 0; l < layers; l++) for (const [, n] of order.block) names.push(order.blockPrefix(l) + n);
  return [...names, ...order.tail.map(([, n]) => n)];
}

/** Arrays in weightNames order → { head fields, blocks: [{ block fields }], tail fields }. */
export function arrangeWeights<T>(order: WeightOrder, arrays: readonly Float32Array[], layers: number): T {
  const out: Record<string, unknown> = {};
  order.head.forEach(([field], i) => (out[field] = arrays[i]));
  const blocks: Record<string, Float32Array>[] = [];
  for (let l = 0; l < layers; l++) {
    const base = order.head.length + l * order.block.length;
    blocks.push(Object.fromEntries(order.block.map(([field], i) => [field, arrays[base + i]!])));
  }
  out['blocks'] = blocks;
  const tail = order.head.length + layers * order.block.length;
  order.tail.forEach(([field], i) => (out[field] = arrays[tail + i]));
  return out as T;
}
