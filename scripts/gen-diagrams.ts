// Regenerates grammar/diagrams.html, the railroad diagrams of the parser's grammar:
//   npx tsx scripts/gen-diagrams.ts
// test/parse/grammar-drift.test.ts fails when the committed page differs from a fresh one.
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { diagramsHtml } from '../src/parse/diagrams.js';

// The repository root, whether this runs from scripts/ (tsx) or dist/scripts/ (compiled).
let root = dirname(fileURLToPath(import.meta.url));
while (!existsSync(join(root, 'package.json'))) root = dirname(root);

const out = join(root, 'grammar', 'diagrams.html');
writeFileSync(out, diagramsHtml());
console.log(`wrote ${out}`);
