// The fused head's default vocabulary chunk (src/head/): one chunk for small vocabularies, bounded
// memory for large ones. Its own file, free of TensorFlow.js, so that plans can print it.
export const DEFAULT_HEAD_CHUNK = 8192;
