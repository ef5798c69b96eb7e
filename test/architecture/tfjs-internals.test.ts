// TensorFlow.js internals are reached from one module (src/backend/tfjs-internals.ts), which names
// the tfjs version it was written for: a cast of a backend or of the engine anywhere else is found
// here, and the version guard refuses another version.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { internalsSupported, SUPPORTED_TFJS_VERSION } from '../../src/backend/tfjs-internals.js';
import { repoRoot } from '../helpers/golden.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

// A backend or the engine cast to a hand-written shape, or the wasm module's raw heap reached
// without going through the typed internals.
const INTERNAL_REACH = [/\bbackend as (unknown|[A-Z])/, /tf\.backend\(\) as\b/, /tf\.engine\(\) as\b/, /\.asm\.memory\b/, /from '@tensorflow\/tfjs-backend-wasm'/];

function reachesIn(text: string): string[] {
  return INTERNAL_REACH.filter((re) => re.test(text)).map(String);
}

describe('architecture: tfjs internals', () => {
  it('the finder flags a planted cast (so the source check cannot pass vacuously)', () => {
    assert.deepEqual(reachesIn('const b = params.backend as unknown as { incRef(id: object): void };'), [String(INTERNAL_REACH[0])]);
    assert.deepEqual(reachesIn('const s = (tf.engine() as unknown as { state: S }).state;'), [String(INTERNAL_REACH[2])]);
    assert.deepEqual(reachesIn('const b = wasmInternals(params.backend);'), []);
  });

  it('no file under src/ but tfjs-internals.ts casts a backend or the engine', () => {
    const root = repoRoot;
    const owner = join(root, 'src', 'backend', 'tfjs-internals.ts');
    // The wasm loader imports the package itself (setWasmPaths, getThreadsCount): public API.
    const loader = join(root, 'src', 'backend', 'wasm.ts');
    const found = sourceFiles(join(root, 'src'))
      .filter((f) => f !== owner)
      .flatMap((f) => reachesIn(readFileSync(f, 'utf8').replace(f === loader ? /import\('@tensorflow\/tfjs-backend-wasm'\)|typeof import\('@tensorflow\/tfjs-backend-wasm'\)/g : /$^/, '')).map((p) => `${relative(root, f)}: ${p}`));
    assert.deepEqual(found, []);
  });

  it('the version guard accepts the pinned tfjs and refuses another, naming both', () => {
    assert.deepEqual(internalsSupported(SUPPORTED_TFJS_VERSION), { ok: true });
    const other = internalsSupported('4.23.0');
    assert.equal(other.ok, false);
    if (!other.ok) {
      assert.match(other.reason, /4\.23\.0/);
      assert.match(other.reason, new RegExp(SUPPORTED_TFJS_VERSION.replace(/\./g, '\\.')));
    }
  });

  it('the installed tfjs is the pinned one (package.json), so the native paths are on', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    assert.equal(pkg.dependencies['@tensorflow/tfjs'], SUPPORTED_TFJS_VERSION);
    assert.equal(internalsSupported().ok, true);
  });
});
