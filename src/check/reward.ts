// `reward = …` and `sample { … }` (LANGUAGE.md §8): on-policy training needs both, or neither. The
// reward's expression is not an objective expression (it is never typed as one): it must be one
// call of a verifier from the language table (src/language/builtins.ts VERIFIERS), whose arguments
// are constants checked here, so that `check` rejects what a run would reject. A `command` path is
// resolved against the folder of the file that names it and must be an executable regular file.
import { isAbsolute, join } from 'node:path';
import { folderOf, type CompileHost } from './host.js';
import { error, warning, type Diagnostic } from '../diagnostics/diagnostic.js';
import { nearest } from '../diagnostics/suggest.js';
import type { Span } from '../diagnostics/span.js';
import { isVerifier, MAX_COMMAND_TIMEOUT_S, VERIFIERS } from '../language/builtins.js';
import type { Expression } from '../parse/ast.js';
import type { Settings, SettingsSpans } from '../language/values.js';
import type { RewardSpec } from '../language/on-policy.js';
import { bindArguments } from './functions.js';
import { compileSafeRegex } from '../util/safe-regex.js';
import type { Program } from './names.js';

/** The reward as a RewardSpec, or undefined (no reward, or a reported error). */
export function checkReward(
  program: Program,
  settings: Settings,
  spans: SettingsSpans,
  readsRewards: boolean,
  host: CompileHost | undefined,
  diagnostics: Diagnostic[],
): RewardSpec | undefined {
  const reward = program.reward;
  const sampleSpan = sampleBlockSpan(program, spans);
  if (reward === undefined) {
    if (settings.sample !== undefined) {
      diagnostics.push(error('E0702', '`sample { }` makes training on-policy, and the objective has no `reward`', sampleSpan!,
        'add a verifier such as `reward = facts()` or `reward = exact()`, or delete the sample block for training on fixed data'));
    }
    return undefined;
  }
  const spec = verifierCall(reward.value, reward.file, host, diagnostics);
  if (settings.sample === undefined) {
    diagnostics.push(error('E0701', '`reward` needs a `sample { }` block: rewards score responses sampled during training', reward.span,
      'add `sample { n = 4 }` (defaults: n = 4, temperature = 1.0, top_p = 1.0, max_new = 64); for fixed responses with rewards use `responses` data'));
    return undefined;
  }
  if (spec !== undefined && program.loss !== undefined && !readsRewards) {
    diagnostics.push(warning('W0706', 'the loss reads neither `advantage` nor `reward`, so the sampled responses\' rewards do not change training', program.loss.value.span,
      'weigh the loss by the advantage, e.g. `loss = mean(ce·advantage)`'));
  }
  return spec;
}

function sampleBlockSpan(program: Program, spans: SettingsSpans): Span | undefined {
  const block = program.blocks.find((b) => b.statement.block === 'sample');
  return block?.statement.keywordSpan ?? Object.values(spans.sample ?? {})[0]?.key;
}

function verifierCall(e: Expression, file: string, host: CompileHost | undefined, diagnostics: Diagnostic[]): RewardSpec | undefined {
  const known = Object.keys(VERIFIERS);
  const name = e.kind === 'Call' ? e.callee.name : e.kind === 'Identifier' ? e.name : undefined;
  if (e.kind !== 'Call' || name === undefined || !isVerifier(name)) {
    const guess = name === undefined ? undefined : nearest(name, known);
    const what = name === undefined ? 'this is not a verifier call' : e.kind === 'Call' ? `unknown verifier \`${name}\`` : `\`${name}\` is not a verifier call`;
    const hint = guess !== undefined ? `did you mean \`${guess}()\`?` : `verifiers: ${known.map((k) => `${k}()`).join(', ')}`;
    diagnostics.push(error('E0703', what, e.kind === 'Call' ? e.callee.span : e.span, hint));
    return undefined;
  }
  if (e.rank !== undefined) {
    diagnostics.push(error('E0704', `${name}() takes no rank`, e.rank.span));
    return undefined;
  }
  const info = VERIFIERS[name];
  const params = info.params.map(([p]) => p);
  const required = info.params.filter(([, d]) => d === undefined).length;
  const bound = bindArguments(e, params, required, {}, diagnostics);
  if (bound === undefined) return undefined;
  switch (name) {
    case 'exact':
    case 'contains':
    case 'facts':
      return { kind: name };
    case 'regex': {
      const pattern = stringArg(bound.named.get('pattern')!.value, 'regex', 'pattern', diagnostics);
      if (pattern === undefined) return undefined;
      const compiled = compileSafeRegex(pattern.value);
      if ('error' in compiled) {
        diagnostics.push(error('E0506', `invalid regular expression: ${compiled.error}`, pattern.span, 'patterns use RE2 syntax (linear time): no lookaround (?=…) and no backreferences \\1'));
        return undefined;
      }
      return { kind: 'regex', pattern: pattern.value };
    }
    case 'command': {
      const path = stringArg(bound.named.get('path')!.value, 'command', 'path', diagnostics);
      const timeoutArg = bound.named.get('timeout')?.value;
      const timeout = timeoutArg === undefined ? (info.params[1]![1] as number) : secondsArg(timeoutArg, diagnostics);
      if (path === undefined || timeout === undefined) return undefined;
      // Joined, not resolved: a file compiled by a relative path keeps a path relative to the working
      // directory (so printed IR does not depend on where the repository lives); runs resolve it.
      const absolute = isAbsolute(path.value) ? path.value : join(folderOf(file), path.value);
      const problem = host?.programProblem?.(absolute);
      if (problem !== undefined) {
        diagnostics.push(error('E0705', `reward program ${JSON.stringify(path.value)} ${problem}`, path.span, `the path is resolved against the folder of ${file}`));
        return undefined;
      }
      return { kind: 'command', path: absolute, timeoutMs: Math.round(timeout * 1000) };
    }
  }
}

function stringArg(e: Expression, fn: string, param: string, diagnostics: Diagnostic[]): { value: string; span: Span } | undefined {
  if (e.kind === 'String' && e.value.length > 0) return { value: e.value, span: e.span };
  diagnostics.push(error('E0704', `the \`${param}\` of ${fn}() must be a non-empty string literal`, e.span, fn === 'regex' ? 'for example `regex("[0-9]+")`' : 'for example `command("./score.py")`'));
  return undefined;
}

function secondsArg(e: Expression, diagnostics: Diagnostic[]): number | undefined {
  if (e.kind === 'Number' && e.value > 0 && e.value <= MAX_COMMAND_TIMEOUT_S) return e.value;
  diagnostics.push(error('E0704', `the \`timeout\` of command() must be a number of seconds in (0, ${MAX_COMMAND_TIMEOUT_S}]`, e.span, 'for example `command("./score.py", timeout = 30)`'));
  return undefined;
}

/**
 * Whether the loss reads `reward` or `advantage`, directly or through the lets, params and groups
 * it names (each definition followed once).
 */
export function lossReadsRewards(program: Program): boolean {
  if (program.loss === undefined) return false;
  const seen = new Set<string>();
  const reads = (e: Expression): boolean => {
    switch (e.kind) {
      case 'Identifier': {
        if (e.name === 'reward' || e.name === 'advantage') return true;
        const def = program.winners.get(e.name);
        if (def === undefined || seen.has(e.name)) return false;
        seen.add(e.name);
        return reads(def.value);
      }
      case 'Unary': return reads(e.operand);
      case 'Binary': return reads(e.left) || reads(e.right);
      case 'Call': return e.args.some((a) => reads(a.value)) || (e.rank !== undefined && reads(e.rank.amount));
      case 'Index': return reads(e.target) || reads(e.index);
      case 'Arrow': return reads(e.from) || reads(e.to);
      case 'Paren': return reads(e.inner);
      case 'List': return e.items.some(reads);
      default: return false;
    }
  };
  return reads(program.loss.value) || program.groups.some((g) => reads(g.value));
}
