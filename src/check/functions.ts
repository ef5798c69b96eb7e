// Binding a call's arguments to the parameters of a built-in (src/language/builtins.ts holds the
// table of functions and scorers; typecheck.ts implements each type rule).
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { error } from '../diagnostics/diagnostic.js';
import { nearest } from '../diagnostics/suggest.js';
import type { Span } from '../diagnostics/span.js';
import type { Argument, CallExpression } from '../parse/ast.js';

/**
 * Matches a call's arguments to parameter names. Returns positional values in `positional` (for
 * variadic functions) and keyword or positional matches in `named`; reports arity and keyword
 * errors. `undefined` when the call cannot be checked further.
 */
export function bindArguments(
  call: CallExpression,
  params: string[],
  required: number,
  options: { keywordOnly?: string[]; variadic?: boolean },
  diagnostics: Diagnostic[],
): { named: Map<string, Argument>; positional: Argument[] } | undefined {
  const fn = call.callee.name;
  const named = new Map<string, Argument>();
  const positional: Argument[] = [];
  const keywordOnly = options.keywordOnly ?? [];
  const allNames = [...params, ...keywordOnly];
  let ok = true;
  let sawKeyword = false;
  for (const arg of call.args) {
    if (arg.name !== undefined) {
      sawKeyword = true;
      const key = arg.name.name;
      if (!allNames.includes(key)) {
        const suggestion = nearest(key, allNames);
        const known = allNames.length === 0 ? `${fn}() takes no keyword arguments` : `${fn}() takes ${allNames.map((n) => `\`${n}\``).join(', ')}`;
        diagnostics.push(error('E0304', `unknown keyword argument \`${key}\` of ${fn}()`, arg.name.span, suggestion ? `did you mean \`${suggestion}\`?` : known));
        ok = false;
      } else if (named.has(key)) {
        diagnostics.push(error('E0304', `argument \`${key}\` of ${fn}() is given twice`, arg.name.span));
        ok = false;
      } else {
        named.set(key, arg);
      }
      continue;
    }
    if (sawKeyword) {
      diagnostics.push(error('E0303', `positional argument after a keyword argument in ${fn}()`, arg.span, 'put positional arguments first'));
      ok = false;
      continue;
    }
    positional.push(arg);
  }
  if (options.variadic) {
    if (positional.length < required) {
      diagnostics.push(error('E0303', `${fn}() needs at least ${required} argument${required === 1 ? '' : 's'}, found ${positional.length}`, call.span));
      return undefined;
    }
    return ok ? { named, positional } : undefined;
  }
  if (positional.length > params.length) {
    diagnostics.push(
      error('E0303', `${fn}() takes at most ${params.length} positional argument${params.length === 1 ? '' : 's'}, found ${positional.length}`, positional[params.length]!.span),
    );
    return undefined;
  }
  positional.forEach((arg, i) => {
    const key = params[i]!;
    if (named.has(key)) {
      diagnostics.push(error('E0304', `argument \`${key}\` of ${fn}() is given twice`, named.get(key)!.name!.span));
      ok = false;
    }
    named.set(key, arg);
  });
  const missing = params.slice(0, required).filter((p) => !named.has(p));
  // A misspelt keyword usually is the missing argument: its own error says so.
  if (missing.length > 0 && !ok) return undefined;
  if (missing.length > 0) {
    diagnostics.push(error('E0303', `${fn}() is missing its argument ${missing.map((m) => `\`${m}\``).join(', ')}`, call.span, signatureHint(fn, params, keywordOnly)));
    return undefined;
  }
  return ok ? { named, positional } : undefined;
}

function signatureHint(fn: string, params: string[], keywordOnly: string[]): string {
  return `write ${fn}(${[...params, ...keywordOnly.map((k) => `${k} = …`)].join(', ')})`;
}

export function spanOfArg(named: Map<string, Argument>, key: string, fallback: Span): Span {
  return named.get(key)?.value.span ?? fallback;
}
