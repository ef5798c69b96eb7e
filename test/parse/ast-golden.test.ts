// Golden ASTs for every construct of the language. `UPDATE_GOLDEN=1` rewrites them; read the diff.
import { strict as assert } from 'node:assert';
import { parse } from '../../src/parse/index.js';
import { expectGolden } from '../helpers/golden.js';
import { astToJson } from './serialize.js';

const CASES: Record<string, string> = {
  // The product card's one-liner must compile exactly as written.
  'card-one-liner': 'group important = tfidf(top 30%); loss = λ·max(groups) + (1-λ)·ce',
  'card-ascii': 'group important = tfidf(top 30%); loss = lambda*max(groups) + (1-lambda)*ce\n',
  'unicode-operators': 'loss = λ × mean(ce) − 0.5 · entropy\nparam τ = cosine(1 → 0.1)\n',
  'greek-aliases': 'param eta = 30%\nparam tau = 0.1\nlet x = alpha + beta + gamma + epsilon + η\n',
  comments: '# SFT-GO with TF-IDF groups\nparam η = 30% # the paper\'s default\n// a C-style comment\nloss = mean(ce) // trailing\n',
  'semicolons-and-newlines': 'objective demo; param η = 30%\n\n\ngroup g = tfidf(top η);;\nloss = mean(ce);\n',
  'multi-line-call': 'loss = smoothmax(groups,\n                 temperature = 0.5,\n                 of = ce,\n)\n',
  'multi-line-list': 'let xs = [\n  1,\n  2,\n]\nloss = mean(ce)\n',
  // On-policy training: the `sample { }` block, `reward = …`, and `reward` still a token quantity
  // and a `per sample` scope in expressions.
  'sample-reward': [
    'sample { n = 8, temperature = 0.7, top_p = 0.9, max_new = 32 }',
    'reward = command("./score.py", timeout = 30)',
    'group hi = tfidf(top 30% per sample)',
    'loss = mean(ce·advantage) + 0·mean(reward·ce)',
    '',
  ].join('\n'),
  blocks: [
    'model { preset = "tiny" }',
    'reference { path = "models/ref" }',
    'data {',
    '  train = "train.jsonl", eval = "eval.jsonl"',
    '  format = "auto"',
    '',
    '  max_len = 512',
    '}',
    'train { epochs = 3, steps = 0, batch = 16, lr = 3e-4, lr_schedule = cosine(warmup = 7%),',
    '        betas = [0.9, 0.999], clip_grad = 1.0, sample = true, data = false, out = "runs/x" }',
    'loss = mean(ce)',
    '',
  ].join('\n'),
  'comments-inside-brackets': [
    'train {',
    '  # the paper\'s settings',
    '  lr = 3e-4,  // per step',
    '  betas = [0.9,  # first moment',
    '           0.999]',
    '}',
    'loss = max(groups,   # worst group',
    '           of = ce)',
    '',
  ].join('\n'),
  'empty-block': 'train {}\nmodel {\n}\n',
  ranks: [
    'group a = excess_loss(top 60% per batch)',
    'group b = tfidf(top η)',
    'group c = random(seed = 3, top 50%)',
    'group d = loss(bottom 10% per corpus)',
    'group e = tfidf(smooth = true top 30% per sample)',
    'loss = mean(ce)',
  ].join('\n'),
  schedules: 'param λ = linear(0.9 -> 0.05, over = 50%)\nparam τ = cosine(1 → 0.1)\nlet c = const(0.5)\n',
  strings: 'import "std/sftgo"\nimport "./base.sftgo"\nmodel { path = "a \\"quoted\\" back\\\\slash\\nnewline" }\n',
  precedence: 'let a = -x^y^z * d + e / f - g\nlet b = not p < q and r or !s & t | u\nlet c = (1 - λ) * (a + b)\nlet d = --x\nlet e = 2^-1\n',
  selectors: 'group g = tfidf() > 0.2 and not regex("^[0-9]+$")\ngroup h = position <= 10 or (entropy() >= 2) == true\nloss = mean(ce[g]) + mean(ce[h][rest])\n',
  'stdlib-gft': '# GFT\nparam τ = 0.1\nloss = mean(where(p > τ, 1, sg(p))·ce·advantage)\n',
  'stdlib-rho1': 'group selected = excess_loss(top 60% per batch)\nloss = mean(ce[selected])\n',
  'dro-and-cvar': 'loss = dro(groups, step = 0.01) + cvar(ce, 10%) + max(groups, of = entropy)\n',
  'crlf-line-ends': 'param η = 30%\r\nloss = mean(ce)\r\n',
  'numbers': 'let a = 3\nlet b = 0.9\nlet c = 1e-5\nlet d = 2.5E+3\nlet e = 100%\nlet f = 0%\nlet g = 12.5%\n',
};

describe('parser: golden ASTs', () => {
  for (const [name, source] of Object.entries(CASES)) {
    it(name, () => {
      const { ast, diagnostics } = parse(source, `${name}.sftgo`);
      assert.deepEqual(diagnostics, [], `unexpected diagnostics for ${name}`);
      expectGolden(`ast/${name}.json`, astToJson({ source, ast }));
    });
  }
});
