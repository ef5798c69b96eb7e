// Identity (tf.clone) on wasm as a shared reference instead of a copy.
//
// Why: tfjs's engine clones every tensor it saves for the backward pass (engine.ts,
// saveTensorsForBackwardMode: `this.keep(this.clone(tensor))`), and tfjs-backend-wasm 4.22's
// Identity kernel copies the whole buffer. So every activation a gradient needs is held twice and
// copied once per step: measured on the `small` bench configuration, 428 Identity calls per
// training step. The cpu backend's Identity only raises the buffer's reference count, which is
// enough because tfjs buffers are never written in place (Variable.assign swaps in a new buffer
// and releases the old one, so a saved clone keeps the old value). This does the same on wasm:
// Reshape on wasm already shares buffers this way.
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { wasmInternals } from '../tfjs-internals.js';

export function wrapSharedIdentity(original: KernelFunc): KernelFunc {
  return (params) => {
    const x = params.inputs['x'];
    if (x === undefined) throw new Error('Identity: expected input x');
    // String tensors live outside the wasm heap: the original handles them.
    if (x.dtype === 'string') return original(params);
    wasmInternals(params.backend).incRef(x.dataId);
    const out: TensorInfo = { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
    return out;
  };
}
