// The built-ins table (src/language/builtins.ts): each math function's derivative against a
// central finite difference of its value, and each one end to end: checked, lowered to the IR, and
// evaluated by the tensor path (tfjs, float32, tf.grads) and by the reference evaluator (float64,
// dual numbers from the table), which must agree on value and gradient. Adding a function to the
// table adds its cases here.
import { strict as assert } from 'node:assert';
import { CALLABLE_NAMES, FUNCTIONS, MATH, mathOf, SCORERS, type MathName } from '../../src/language/builtins.js';
import { evaluateObjective as referenceEval } from '../../src/ir/reference-eval.js';
import { evaluateObjective as tensorEval } from '../../src/lower/index.js';
import { walk } from '../../src/ir/walk.js';
import { useBackend } from '../backend/helpers.js';
import { objective } from '../lower/helpers.js';

/** Points inside each function's domain, away from kinks (abs at 0). */
const POINTS: Record<MathName, number[]> = {
  exp: [-1.5, 0.2, 2],
  log: [0.3, 1, 4],
  sqrt: [0.25, 1, 9],
  abs: [-2, -0.5, 0.7],
  sg: [-1, 0.5, 3],
};

describe('built-ins table', () => {
  it('every math function has derivative points, and its derivative matches a finite difference of its value', () => {
    assert.deepEqual(Object.keys(POINTS).sort(), Object.keys(MATH).sort());
    for (const [name, f] of Object.entries(MATH) as [MathName, (typeof MATH)[MathName]][]) {
      for (const x of POINTS[name]) {
        const h = 1e-6;
        // sg passes its value and blocks the gradient: its derivative is 0 by definition.
        const expected = name === 'sg' ? 0 : (f.value(x + h) - f.value(x - h)) / (2 * h);
        assert.ok(Math.abs(f.derivative(x) - expected) < 1e-5 * Math.max(1, Math.abs(expected)), `${name}'(${x}) = ${f.derivative(x)}, finite difference ${expected}`);
      }
    }
  });

  it('names every callable once, functions and scorers apart', () => {
    assert.equal(new Set(CALLABLE_NAMES).size, CALLABLE_NAMES.length);
    for (const name of Object.keys(SCORERS)) assert.ok(!(name in FUNCTIONS), `${name} is both a function and a scorer`);
  });

  describe('each math function, checked, lowered and evaluated two ways', () => {
    useBackend('cpu');
    const names = Object.keys(FUNCTIONS).filter((fn) => FUNCTIONS[fn]!.rule === 'math');
    for (const fn of names) {
      it(`${fn}(): tensor path and reference agree on value and ∂loss/∂ce`, () => {
        // ce + 0.1 keeps log and sqrt inside their domain; the scalar factor keeps abs away from its kink.
        const o = objective(`loss = mean(${fn}(ce + 0.1)·ce) + ${fn}(0.5)`);
        let unary = 0;
        walk(o.loss, (n) => void (n.op === 'unary' && n.fn === mathOf(fn) && unary++));
        assert.ok(unary >= 1, `${fn}() did not lower to a unary ${mathOf(fn)} node`);
        const inputs = { sampleOf: [0, 0, 1, 1, 1], ce: [0.3, 1.2, 2.5, 0.05, 0.9] };
        const ref = referenceEval(o, inputs);
        const tensor = tensorEval(o, inputs);
        assert.ok(Math.abs(ref.loss - tensor.value) < 1e-4 * Math.max(1, Math.abs(ref.loss)), `${fn}: value ${tensor.value} vs reference ${ref.loss}`);
        ref.weights.forEach((w, i) => assert.ok(Math.abs(w - tensor.dLossDce[i]!) < 1e-4 * Math.max(1, Math.abs(w)), `${fn}: ∂/∂ce_${i} ${tensor.dLossDce[i]} vs reference ${w}`));
      });
    }
  });
});
