// The in-process verifiers of `reward = …` (LANGUAGE.md §8, src/language/on-policy.ts rule 4): exact,
// contains and facts score a response against its `prompts` record with src/data/score.ts (a
// record without the field scores 0); regex is 1 when the RE2 pattern (src/util/safe-regex.ts,
// the checker's own compile) matches the response; command runs the user's program
// (command.ts). Failures are returned as messages, never thrown.
import { compileSafeRegex } from '../util/safe-regex.js';
import { containsAnswer, exactMatch, factShare } from '../data/score.js';
import { runRewardCommand } from './command.js';
import type { RewardSpec } from '../language/on-policy.js';
import { itemName, type RewardItem, type RewardResult } from './reward-item.js';

export { itemName, type RewardItem, type RewardResult } from './reward-item.js';

/** The in-process verifier of `spec` as a function of one response; undefined for `command`. */
export function verifier(spec: RewardSpec): ((item: RewardItem) => number) | undefined {
  switch (spec.kind) {
    case 'exact':
      return ({ prompt, completion }) => (prompt.answer !== undefined && exactMatch(completion, prompt.answer) ? 1 : 0);
    case 'contains':
      return ({ prompt, completion }) => (prompt.answer !== undefined && containsAnswer(completion, prompt.answer) ? 1 : 0);
    case 'facts':
      return ({ prompt, completion }) => factShare(completion, prompt.facts ?? []) ?? 0;
    case 'regex': {
      const compiled = compileSafeRegex(spec.pattern);
      // The checker compiled the same pattern; an error here means the IR was edited by hand.
      if ('error' in compiled) return () => Number.NaN;
      return ({ completion }) => (compiled.regex.test(completion) ? 1 : 0);
    }
    case 'command':
      return undefined;
  }
}

/** Every item's reward, in order. */
export async function computeRewards(spec: RewardSpec, items: readonly RewardItem[], options: { cwd?: string } = {}): Promise<RewardResult> {
  if (spec.kind === 'command') return runRewardCommand(spec, items, options);
  const score = verifier(spec)!;
  const rewards = items.map(score);
  const bad = rewards.findIndex((r) => !Number.isFinite(r));
  if (bad >= 0) return { ok: false, message: `reward ${spec.kind}: not a number for ${itemName(items[bad]!)}` };
  return { ok: true, rewards };
}
