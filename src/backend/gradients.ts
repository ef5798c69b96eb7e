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

// A global symbol marks our gradient (see kernels/install.ts for why not a module-level set).
const MARK = Symbol.for('sftgoc.backend.gradientFix');

/** Sums `grad` over the axes along which an input of `shape` was broadcast, and gives it that shape. */
export function reduceToShape(grad: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (tf.util.arraysEqual(grad.shape, shape as number[])) return grad;
  const axes = tf.backend_util.getReductionAxes(shape as number[], grad.shape);
  const summed = axes.length > 0 ? tf.sum(grad, axes, true) : grad;
  return tf.reshape(summed, shape as number[]);
}

/**
 * BatchMatMul's gradient in tfjs 4.22 does not undo batch broadcasting: matMul([B,T,d], [d,e])
 * runs, but its gradient for the [d,e] operand comes back as [B,d,e] and the tape rejects it
 * ("the gradient of input 'b' has shape '2,5,4', which does not match the shape of the input
 * '5,4'"), on every backend. Wrap it so each operand's gradient is summed back to its own shape.
 * (tf.fused.matMul computes its gradient in its own customGrad and is not covered: keep batch
 * shapes equal there, or reshape to 2-D.)
 */
export function fixBatchMatMulGradient(): boolean {
  const original = tf.getGradient('BatchMatMul');
  if (original === undefined || (original.gradFunc as unknown as Record<symbol, unknown>)[MARK] === true) return false;
  const gradFunc: typeof original.gradFunc = (dy, saved, attrs) => {
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    const grads = original.gradFunc(dy, saved, attrs);
    return {
      a: () => reduceToShape(grads['a']!(), a.shape),
      b: () => reduceToShape(grads['b']!(), b.shape),
    };
  };
  Object.defineProperty(gradFunc, MARK, { value: true });
  tf.unregisterGradient('BatchMatMul');
  tf.registerGradient({ ...original, inputsToSave: ['a', 'b'], gradFunc });
  return true;
}
