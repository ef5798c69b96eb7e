// Zero gradients for comparison and logical kernels, and a stop-gradient op.
//
// Why: tfjs 4.22 registers a (zero) gradient for GreaterEqual but none for Greater, Less,
// LessEqual, Equal, NotEqual or the Logical* kernels, and its tape refuses to differentiate through
// any kernel without one — even when the comparison only feeds a `where` condition. So
// `where(p > τ, 1, p)` (GFT's objective), or a mask computed from the model's own outputs, fails
// with "Cannot compute gradient: gradient function not found for Greater" on every backend. These
// kernels are piecewise constant: their derivative is zero wherever it exists, which is what
// TensorFlow (Python) uses too. Registered globally, once; existing registrations are left alone.
import * as tf from '@tensorflow/tfjs';

const BINARY_COMPARISONS = ['Greater', 'Less', 'LessEqual', 'Equal', 'NotEqual', 'LogicalAnd', 'LogicalOr', 'LogicalXor'];
const UNARY_LOGICAL = ['LogicalNot'];

/** Registers the missing zero gradients; returns the kernel names it registered. */
export function registerMissingGradients(): string[] {
  const registered: string[] = [];
  for (const kernelName of BINARY_COMPARISONS) {
    if (tf.getGradient(kernelName) !== undefined) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: ['a', 'b'],
      gradFunc: (_dy, saved) => {
        const [a, b] = saved as [tf.Tensor, tf.Tensor];
        // The tape requires float32 gradients, whatever the input dtype (bool for Logical*).
        return { a: () => tf.zeros(a.shape), b: () => tf.zeros(b.shape) };
      },
    });
    registered.push(kernelName);
  }
  for (const kernelName of UNARY_LOGICAL) {
    if (tf.getGradient(kernelName) !== undefined) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: ['x'],
      gradFunc: (_dy, saved) => {
        const [x] = saved as [tf.Tensor];
        return { x: () => tf.zeros(x.shape) };
      },
    });
    registered.push(kernelName);
  }
  return registered;
}

/**
 * sg(x): the value of x, with a zero gradient (tfjs has no stopGradient op). Backend-independent.
 * The result is a new tensor; the caller owns it like any op's output.
 */
export const stopGradient: (x: tf.Tensor) => tf.Tensor = tf.customGrad((...inputs) => ({
  value: tf.clone(inputs[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => [tf.zerosLike(dy)],
})) as (x: tf.Tensor) => tf.Tensor;
