// One forward+backward step of a miniature transformer block on wasm: no kernel or gradient is
// missing, and loss and every parameter's gradient agree with the cpu backend.
import assert from 'node:assert/strict';
import { lossAndGrads } from './mini-block.js';
import { assertClose, onBackend, useBackend } from './helpers.js';

// Float32 through ~30 ops with different summation orders (XNNPACK vs loops): a few ulps per op.
const TOL = { abs: 2e-5, rel: 2e-4 };

describe('backend: a transformer block trains on wasm', () => {
  useBackend('wasm');

  it('forward and backward run, and match the cpu backend', async () => {
    const wasm = lossAndGrads();
    const cpu = await onBackend('cpu', lossAndGrads);
    assert.ok(Number.isFinite(wasm.loss), `loss ${wasm.loss}`);
    assertClose([wasm.loss], [cpu.loss], TOL, 'loss');
    for (const [name, grad] of Object.entries(cpu.grads)) {
      assert.ok(grad.some((g) => g !== 0), `${name}: the test should give it a non-zero gradient`);
      assertClose(wasm.grads[name]!, grad, TOL, `gradient of ${name}`);
    }
  });
});
