// stdlib/paper/: the SFT-GO paper's App. F settings as importable presets. Each file's compiled
// params must be the table's (typed here from the paper, not read from the files), and Rho-1's
// presets must leave λ unused ("Rho-1 does not have a tunable λ").
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { compileFile } from '../../src/compile.js';
import { hasErrors } from '../../src/diagnostics/diagnostic.js';
import { printObjective } from '../../src/ir/print.js';
import { repoRoot } from '../helpers/golden.js';

// file → [grouping scorer, η or Rho-1's kept share, λ as printed]
const APP_F: Record<string, [string, string, string | undefined]> = {
  'tfidf-lima-3b': ['tfidf', '10%', '0.9'],
  'tfidf-lima-8b': ['tfidf', '15%', '0.9'],
  'tfidf-alpaca-3b': ['tfidf', '30%', '0.9'],
  'tfidf-alpaca-8b': ['tfidf', '40%', '0.9'],
  'llmlingua2-lima-3b': ['llmlingua2', '30%', 'linear(0.9 -> 0.07)'],
  'llmlingua2-lima-8b': ['llmlingua2', '30%', '0.9'],
  'llmlingua2-alpaca-3b': ['llmlingua2', '75%', '0.9'],
  'llmlingua2-alpaca-8b': ['llmlingua2', '75%', 'linear(0.9 -> 0.05)'],
  // Percentile P of excess loss: the tokens above it, the top (100 − P)%.
  'rho1-lima-3b': ['excess_loss', '45%', undefined],
  'rho1-lima-8b': ['excess_loss', '30%', undefined],
  'rho1-alpaca-3b': ['excess_loss', '30%', undefined],
  'rho1-alpaca-8b': ['excess_loss', '60%', undefined],
};

describe('stdlib/paper: App. F presets', () => {
  for (const [name, [scorer, share, lambda]] of Object.entries(APP_F)) {
    it(`${name}: ${scorer}, ${share}, λ ${lambda ?? 'none'}`, () => {
      const compiled = compileFile(join(repoRoot, 'stdlib', 'paper', `${name}.sftgo`));
      assert.ok(!hasErrors(compiled.diagnostics) && compiled.objective !== undefined);
      const o = compiled.objective;
      const text = printObjective(o);
      assert.deepEqual(o.partition.scorers.map((s) => s.name), [scorer]);
      const shareParam = scorer === 'excess_loss' ? 'k' : 'η';
      assert.match(text, new RegExp(`^param ${shareParam} = ${share.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
      if (lambda === undefined) assert.match(text, /^param λ = 0\.9 {2}# unused$/m);
      else {
        assert.match(text, new RegExp(`^param λ = ${lambda.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
        assert.ok(o.params.find((p) => p.name === 'λ')!.used);
      }
    });
  }
});
