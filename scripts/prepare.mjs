// npm's `prepare` step: compiles the project into dist/ with tsc, unless dist/ is already newer than
// every input (the TypeScript under src/, test/, bench/ and scripts/, tsconfig.json, package.json,
// package-lock.json).
//
// Why the check: `npx sftgoc …` in a clone does not find the project's own bin among its
// dependencies, so npm links the clone into its exec cache and runs `prepare` in it again. The
// first `npx sftgoc run examples/quickstart.sftgo` after `npm ci` therefore compiled everything a
// second time: 13 of its 19 seconds (measured on a fresh clone, 2 cores). A stamp written after a
// successful build says when; any input newer than the stamp, or no stamp, builds. `npm run build`
// and `npm test` always compile.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.build-stamp');
const SOURCE_DIRS = ['src', 'test', 'bench', 'scripts'];
const SOURCE_FILES = ['tsconfig.json', 'package.json', 'package-lock.json'];

/** The newest modification time among the inputs, in ms. */
function newestInput() {
  let newest = 0;
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of SOURCE_DIRS) if (existsSync(join(root, dir))) visit(join(root, dir));
  for (const file of SOURCE_FILES) if (existsSync(join(root, file))) newest = Math.max(newest, statSync(join(root, file)).mtimeMs);
  return newest;
}

if (existsSync(stamp) && statSync(stamp).mtimeMs >= newestInput()) {
  process.stdout.write('prepare: dist/ is newer than every input; not compiling again\n');
  process.exit(0);
}
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const built = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);
writeFileSync(stamp, `${new Date().toISOString()}\n`);
