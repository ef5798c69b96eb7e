// docs/ stands alone: every Markdown link in docs/ and the README points at a file of the repository.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '../helpers/golden.js';

const pages = [join(repoRoot, 'README.md'), ...readdirSync(join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(repoRoot, 'docs', f))];

describe('docs/ is self-contained', () => {
  for (const page of pages) {
    it(relative(repoRoot, page), () => {
      const text = readFileSync(page, 'utf8');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!.split('#')[0]!;
        if (target === '') continue;
        assert.ok(!/^[a-z]+:/i.test(target), `${m[0]}: a link outside the repository`);
        const path = resolve(dirname(page), target);
        assert.ok(!relative(repoRoot, path).startsWith('..'), `${m[0]}: points outside the repository`);
        assert.ok(existsSync(path), `${m[0]}: no such file`);
      }
    });
  }
});
