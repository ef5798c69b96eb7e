// `sftgoc check` must stay fast: the library entry and everything it imports must not load
// TensorFlow.js. This follows the static imports of src/index.ts through the source tree.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { repoRoot } from '../helpers/golden.js';

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gms), ...text.matchAll(/import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!);
  return specs;
}

describe('the library entry does not load TensorFlow.js', () => {
  it('no module reachable from src/index.ts imports @tensorflow/*', () => {
    const seen = new Set<string>();
    const offenders: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of importsOf(file)) {
        if (spec.startsWith('@tensorflow/')) offenders.push(`${file.slice(repoRoot.length + 1)} imports ${spec}`);
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      }
    };
    visit(join(repoRoot, 'src', 'index.ts'));
    assert.ok(seen.size > 10, `followed only ${seen.size} files`);
    assert.deepEqual(offenders, []);
  });
});
