// Reward verifiers written a second way, for tests only: they do not import src/data/score.ts
// or the RE2 wrapper. Normalisation follows the rule docs/generation.md states (NFKC, format
// characters dropped, lower case; a comma between digits dropped, a period between digits and a
// minus that starts a number kept; other punctuation and symbols a space; articles dropped), done
// with whole-string regular expressions on words rather than score.ts's character loop, and
// containment as a search for a run of words rather than a padded substring test.

export interface Record {
  answer?: string;
  facts?: string[];
}

export function words(s: string): string[] {
  let t = s.normalize('NFKC').replace(/\p{Cf}/gu, '').toLowerCase();
  t = t.replace(/(?<=\p{Nd}),(?=\p{Nd})/gu, '');
  t = t.replace(/(?<=\p{Nd})\.(?=\p{Nd})/gu, '\u0000');
  t = t.replace(/(?<![\p{L}\p{N}])[-\u2212](?=\p{Nd})/gu, '\u0001');
  t = t.replace(/[\p{P}\p{S}]/gu, ' ').replace(/\u0000/g, '.').replace(/\u0001/g, '-');
  return t.split(/\s+/u).filter((w) => w !== '' && w !== 'a' && w !== 'an' && w !== 'the');
}

function hasRun(haystack: readonly string[], needle: readonly string[]): boolean {
  if (needle.length === 0) return haystack.length === 0;
  for (let i = 0; i + needle.length <= haystack.length; i++) {
    if (needle.every((w, k) => haystack[i + k] === w)) return true;
  }
  return false;
}

export function exactReward(completion: string, r: Record): number {
  if (r.answer === undefined) return 0;
  const a = words(r.answer);
  const c = words(completion);
  return a.length === c.length && a.every((w, i) => w === c[i]) ? 1 : 0;
}

export function containsReward(completion: string, r: Record): number {
  return r.answer === undefined ? 0 : hasRun(words(completion), words(r.answer)) ? 1 : 0;
}

export function factsReward(completion: string, r: Record): number {
  const facts = r.facts ?? [];
  if (facts.length === 0) return 0;
  const c = words(completion);
  let found = 0;
  for (const f of facts) if (hasRun(c, words(f))) found++;
  return found / facts.length;
}

/** Group advantages with the sample std (÷ n − 1); one response: mean 0, std 1. */
export function advantages(rewards: readonly number[]): number[] {
  const n = rewards.length;
  if (n === 1) return [rewards[0]! / (1 + 1e-6)];
  let sum = 0;
  for (const r of rewards) sum += r;
  const mean = sum / n;
  let ss = 0;
  for (const r of rewards) ss += (r - mean) * (r - mean);
  const std = Math.sqrt(ss / (n - 1));
  return rewards.map((r) => (r - mean) / (std + 1e-6));
}
