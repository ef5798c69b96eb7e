// Regexes of `regex("…")` selectors run in RE2 (re2js): matching time is linear in the text, so no
// pattern can hang a run the way `(a+)+$` does in a backtracking engine. RE2 has no lookaround and no
// backreferences; the checker reports those as invalid patterns. One place compiles patterns for the
// checker and the evaluator, so what `sftgoc check` accepts is exactly what a run executes.
import { RE2JS } from 're2js';

/** Longest pattern accepted (characters); RE2 also bounds repeat counts at 1000. */
export const MAX_REGEX_LENGTH = 4096;

export interface SafeRegex {
  /** Whether the pattern matches anywhere in `text` (like JavaScript's RegExp.test without flags). */
  test(text: string): boolean;
}

export type CompiledRegex = { regex: SafeRegex } | { error: string };

export function compileSafeRegex(pattern: string): CompiledRegex {
  if (pattern.length > MAX_REGEX_LENGTH) return { error: `the pattern has ${pattern.length} characters (the limit is ${MAX_REGEX_LENGTH})` };
  try {
    const re = RE2JS.compile(pattern);
    return { regex: { test: (text) => re.matcher(text).find() } };
  } catch (err) {
    // "error parsing regexp: missing closing ]: `[a-z`" → "missing closing ]: `[a-z`"
    const message = err instanceof Error ? err.message : String(err);
    return { error: message.replace(/^error parsing regexp:\s*/, '') };
  }
}
