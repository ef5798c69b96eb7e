// Named Float32Array scratch buffers that grow to the largest call and are reused after: a decode
// step must not allocate its activations anew for every token.
export class Scratch {
  private readonly buffers = new Map<string, Float32Array>();

  /** A buffer of at least `size` floats (its contents are whatever the last user left). */
  get(name: string, size: number): Float32Array {
    const have = this.buffers.get(name);
    if (have !== undefined && have.length >= size) return have.subarray(0, size);
    const made = new Float32Array(size);
    this.buffers.set(name, made);
    return made;
  }
}
