// Golden-file comparison: `UPDATE_GOLDEN=1 npm test` rewrites the files, and a reviewer reads the diff.
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, whether the test runs from test/ (tsx) or dist/test/ (compiled). */
export const repoRoot = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
})();

export function expectGolden(relativePath: string, actual: string): void {
  const path = join(repoRoot, 'test', 'golden', relativePath);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.ok(existsSync(path), `golden file ${relativePath} is missing: run UPDATE_GOLDEN=1 npm test`);
  assert.equal(actual, readFileSync(path, 'utf8'), `output differs from golden file ${relativePath}`);
}
