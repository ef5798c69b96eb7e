// The torch engine's thread split (src/engine/torch/thread-split.ts), which `run --engine torch`
// and the bench's torch-engine row share: one CPU process gets one intra-op thread and the BLAS on
// every core (with bf16, the other way round); several split the cores; CUDA keeps torch's
// defaults; the user's variables win.
import assert from 'node:assert/strict';
import { cpus } from 'node:os';
import { programThreads, splitNote, torchChildEnv } from '../../../src/engine/torch/thread-split.js';

describe('engine/torch: thread split', () => {
  it('the program sets its own thread count only for several CPU processes: cores / processes, at least 1', () => {
    assert.equal(programThreads({ device: 'cpu', nproc: 1 }, 8), undefined);
    assert.equal(programThreads({ device: 'cpu', nproc: 2 }, 8), 4);
    assert.equal(programThreads({ device: 'cpu', nproc: 3 }, 2), 1);
    assert.equal(programThreads({ device: 'cuda', nproc: 2 }, 8), undefined);
  });

  it('says the split in words (the bench labels its torch-engine row with it)', () => {
    assert.equal(splitNote({ device: 'cpu', nproc: 1 }), '1 intra-op × BLAS on every core');
    assert.equal(splitNote({ device: 'cpu', nproc: 1, precision: 'bf16' }), 'intra-op on every core × 1 BLAS');
    assert.equal(splitNote({ device: 'cpu', nproc: 2 }), 'cores / processes each');
    assert.equal(splitNote({ device: 'cuda', nproc: 1 }), "torch's defaults");
  });

  it("the child's environment: 1 intra-op × every core for one CPU process (every core × 1 with bf16), cores / processes for several, the user's values kept", async () => {
    const cores = cpus().length;
    const one = await torchChildEnv({ device: 'cpu', nproc: 1 }, {});
    assert.equal(one.env['OMP_NUM_THREADS'], '1');
    assert.equal(one.env['OPENBLAS_NUM_THREADS'], String(cores));
    const two = await torchChildEnv({ device: 'cpu', nproc: 2 }, {});
    assert.equal(two.env['OMP_NUM_THREADS'], undefined);
    assert.equal(two.env['OPENBLAS_NUM_THREADS'], String(Math.max(1, Math.floor(cores / 2))));
    const cuda = await torchChildEnv({ device: 'cuda', nproc: 2 }, {});
    assert.equal(cuda.env['OMP_NUM_THREADS'], undefined);
    // bf16: the trunk's products run on oneDNN in torch's own pool, so it takes the cores.
    const bf16 = await torchChildEnv({ device: 'cpu', nproc: 1, precision: 'bf16' }, {});
    assert.equal(bf16.env['OMP_NUM_THREADS'], String(cores));
    assert.equal(bf16.env['OPENBLAS_NUM_THREADS'], '1');
    const bf16Two = await torchChildEnv({ device: 'cpu', nproc: 2, precision: 'bf16' }, {});
    assert.equal(bf16Two.env['OMP_NUM_THREADS'], undefined);
    assert.equal(bf16Two.env['OPENBLAS_NUM_THREADS'], String(Math.max(1, Math.floor(cores / 2))));
    const user = await torchChildEnv({ device: 'cpu', nproc: 1 }, { OMP_NUM_THREADS: '2', OPENBLAS_NUM_THREADS: '1' });
    assert.equal(user.env['OMP_NUM_THREADS'], '2');
    assert.equal(user.env['OPENBLAS_NUM_THREADS'], '1');
  });
});
