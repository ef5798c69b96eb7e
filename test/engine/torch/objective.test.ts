// The emitted PyTorch objective (src/engine/torch/emit-objective.ts + python/sftgoc_rt.py) against the
// reference evaluator (src/ir/reference-eval.ts, float64 dual numbers): value and ∂loss/∂ce (torch
// autograd), the partition and the Group DRO weights, for every objective of the lowering tests, every
// stdlib objective and every example, on random inputs with masked tokens, empty groups, ties,
// extreme values and steps 0/3/10. All cases go through ONE Python process.
// Tolerance: float32 torch against the float64 reference, |Δ| ≤ 1e-5 + 1e-4·|reference|.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileFile } from '../../../src/compile.js';
import { emitObjective } from '../../../src/engine/torch/emit-objective.js';
import { PYTHON_RUNTIME_DIR } from '../../../src/engine/torch/python-env.js';
import type { Objective } from '../../../src/ir/nodes.js';
import { evaluateObjective as reference, type EvalInputs, type EvalResult } from '../../../src/ir/reference-eval.js';
import { repoRoot } from '../../helpers/golden.js';
import { FUNCTIONS, SHAPES } from '../../lower/cases.js';
import { inputsFor, objective } from '../../lower/helpers.js';
import { num, requireTorch } from './helpers.js';

interface Case {
  what: string;
  objective: Objective;
  module: string;
  inputs: EvalInputs;
  ref: EvalResult;
}

interface PyResult {
  loss: number | string;
  grad: Array<number | string>;
  groupOf: number[] | null;
  dro: number[] | null;
}

function close(actual: number, expected: number, what: string): void {
  const ok = Math.abs(actual - expected) <= 1e-5 + 1e-4 * Math.abs(expected) || (Number.isNaN(actual) && Number.isNaN(expected)) || actual === expected;
  assert.ok(ok, `${what}: torch ${actual} vs reference ${expected}`);
}

/** Each regex pattern's per-token mask, from the inputs' texts (sftgoc computes them; Python never runs a JS regex). */
function regexMasks(patterns: readonly string[], text: readonly string[] | undefined): Record<string, boolean[]> {
  return Object.fromEntries(patterns.map((p) => [p, (text ?? []).map((t) => new RegExp(p, 'u').test(t))]));
}

describe('torch engine: emitted objective against the reference evaluator', function () {
  this.timeout(120_000);
  let python = '';
  before(function () {
    python = requireTorch(this).python;
  });

  it('every lowering-test objective, stdlib objective and example: value, ∂loss/∂ce, partition, dro weights', () => {
    const modules: Record<string, string> = {};
    const cases: Case[] = [];
    const add = (what: string, o: Objective, steps: number[]) => {
      const name = `obj_${Object.keys(modules).length}`;
      const emitted = emitObjective(o, `${what}.sftgo`);
      modules[name] = emitted.source;
      SHAPES.forEach((shape, k) => {
        for (const step of steps) {
          const inputs = inputsFor(o, { ...shape, step, totalSteps: 10 });
          cases.push({ what: `${what} shape ${k} step ${step}`, objective: o, module: name, inputs, ref: reference(o, inputs) });
        }
      });
      // Group DRO over several steps: the weights carried from the reference's previous step.
      if (emitted.source.includes('rt.group_dro(')) {
        let q: number[] | undefined;
        for (let step = 0; step < 4; step++) {
          const inputs = { ...inputsFor(o, { sizes: [8, 5], seed: 10 + step, step }), droWeights: q };
          const ref = reference(o, inputs);
          cases.push({ what: `${what} dro chain step ${step}`, objective: o, module: name, inputs, ref });
          q = ref.droWeights;
        }
      }
    };
    for (const [name, source] of Object.entries(FUNCTIONS)) add(name, objective(source), [0, 3, 10]);
    for (const dir of ['stdlib', 'stdlib/paper', 'examples']) {
      for (const f of readdirSync(join(repoRoot, dir)).filter((x) => x.endsWith('.sftgo'))) {
        const compiled = compileFile(join(repoRoot, dir, f));
        assert.ok(compiled.objective, f);
        add(`${dir}/${f}`, compiled.objective, [0, 3, 10]);
      }
    }
    // A tie between group means: the gradient goes to the first group.
    const tie = objective('group a = tfidf(top 50%)\nloss = max(groups)');
    const tieInputs = inputsFor(tie, { sizes: [4], seed: 5 });
    tieInputs.ce = [1, 1, 2, 2];
    tieInputs.scores!['tfidf(smooth = true, sublinear = false)'] = [0.9, 0.1, 0.2, 0.8];
    modules.obj_tie = emitObjective(tie, 'tie.sftgo').source;
    cases.push({ what: 'max(groups) tie', objective: tie, module: 'obj_tie', inputs: tieInputs, ref: reference(tie, tieInputs) });

    // Elementwise max/min ties go to the first operand: max(ce, 1) at ce = 1 passes the gradient to ce.
    const ew = objective('loss = mean(max(ce, 1)) + 2 * mean(min(ce, 2))');
    const ewInputs = inputsFor(ew, { sizes: [4], seed: 6 });
    ewInputs.ce = [1, 2, 1, 3];
    modules.obj_ew = emitObjective(ew, 'ew.sftgo').source;
    cases.push({ what: 'elementwise ties', objective: ew, module: 'obj_ew', inputs: ewInputs, ref: reference(ew, ewInputs) });

    const dir = mkdtempSync(join(tmpdir(), 'sftgoc-torch-objective-'));
    try {
      const payload = {
        modules,
        cases: cases.map((c) => ({
          ...c.inputs, module: c.module,
          regex: regexMasks(emitObjective(c.objective, 'x').regexPatterns, c.inputs.text),
        })),
      };
      const file = join(dir, 'cases.json');
      writeFileSync(file, JSON.stringify(payload));
      const r = spawnSync(python, [join(repoRoot, 'test', 'engine', 'torch', 'eval_objectives.py'), PYTHON_RUNTIME_DIR, file], { encoding: 'utf8', maxBuffer: 256 << 20 });
      assert.equal(r.status, 0, r.stderr);
      const results = JSON.parse(r.stdout) as PyResult[];
      assert.equal(results.length, cases.length);
      let checked = 0;
      cases.forEach((c, i) => {
        const got = results[i]!;
        close(num(got.loss), c.ref.loss, `${c.what}: value`);
        assert.equal(got.grad.length, c.ref.weights.length, c.what);
        got.grad.forEach((g, t) => close(num(g), c.ref.weights[t]!, `${c.what}: ∂loss/∂ce[${t}]`));
        if (c.objective.partition.groups.length > 0) assert.deepEqual(got.groupOf, c.ref.groupOf, `${c.what}: partition`);
        if (c.ref.droWeights !== undefined) got.dro!.forEach((q, g) => close(q, c.ref.droWeights![g]!, `${c.what}: q[${g}]`));
        checked += 1;
      });
      assert.equal(checked, cases.length);
      assert.ok(cases.length > 400, `only ${cases.length} cases`);
      assert.deepEqual(results.at(-2)!.grad.map(num), [0.5, 0, 0, 0.5]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
