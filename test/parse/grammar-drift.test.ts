// grammar/ must describe the parser that ships: the EBNF names the same rules and keywords, and the
// committed railroad diagrams are exactly what the parser draws today. When this fails after a
// grammar change, update grammar/sftgo.ebnf and run `npx tsx scripts/gen-diagrams.ts`.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import vm from 'node:vm';
import { diagramsHtml } from '../../src/parse/diagrams.js';
import { sftgoParser } from '../../src/parse/parser.js';
import { KEYWORDS } from '../../src/parse/tokens.js';
import { repoRoot } from '../helpers/golden.js';

const ebnf = readFileSync(join(repoRoot, 'grammar', 'sftgo.ebnf'), 'utf8');
const committedHtml = readFileSync(join(repoRoot, 'grammar', 'diagrams.html'), 'utf8');
const parserRules = Object.keys(sftgoParser().getGAstProductions());

/** Rule names defined in the EBNF (`name ::= …` outside comments). */
function ebnfRules(text: string): string[] {
  const code = text.replace(/\(\*[\s\S]*?\*\)/g, '');
  return [...code.matchAll(/^([A-Za-z][A-Za-z0-9]*)\s*::=/gm)].map((m) => m[1]!);
}

describe('grammar/ matches the parser', () => {
  it('sftgo.ebnf defines exactly the parser rules', () => {
    assert.deepEqual([...ebnfRules(ebnf)].sort(), [...parserRules].sort(), 'rule names differ: update grammar/sftgo.ebnf');
  });

  it('sftgo.ebnf lists exactly the lexer keywords', () => {
    const line = /^\s*keywords:\s*(.*)$/m.exec(ebnf);
    assert.ok(line, 'grammar/sftgo.ebnf has no `keywords:` line');
    assert.deepEqual(line[1]!.trim().split(/\s+/), KEYWORDS.map((k) => k.LABEL!.replaceAll('`', '')));
  });

  it('diagrams.html is up to date (regenerate with `npx tsx scripts/gen-diagrams.ts`)', () => {
    assert.ok(committedHtml === diagramsHtml(), 'grammar/diagrams.html is stale: run `npx tsx scripts/gen-diagrams.ts` and commit it');
  });

  it('diagrams.html loads nothing from the network', () => {
    assert.doesNotMatch(committedHtml, /<script[^>]*\ssrc=/i);
    assert.doesNotMatch(committedHtml, /<link[^>]*\shref=/i);
  });

  it('the inlined scripts draw one diagram per parser rule', () => {
    // A minimal browser: the page's scripts only need a window, a target div and class lookups.
    const target = { innerHTML: '' };
    const window: Record<string, unknown> = {};
    window['window'] = window;
    window['document'] = { getElementById: () => target, getElementsByClassName: () => [] };
    window['setTimeout'] = () => 0;
    const context = vm.createContext(window);
    for (const [, code] of committedHtml.matchAll(/<script>([\s\S]*?)<\/script>/g)) vm.runInContext(code!, context);
    assert.equal((target.innerHTML.match(/<svg/g) ?? []).length, parserRules.length);
    for (const rule of parserRules) assert.ok(target.innerHTML.includes(`<h2 class="diagramHeader">${rule}</h2>`), `no diagram for ${rule}`);
  });
});
