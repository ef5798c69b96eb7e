// Chat templates come with model directories, which users download: rendering one must not be able
// to hang or exhaust a run. @huggingface/jinja has no limits of its own, so every render here runs
// under a budget: evaluation steps, wall time, items produced by range(), and output length. Going
// over any of them is an error that names the limit; the record it was rendering is reported at
// FILE:LINE like any other bad record.
import { Environment, Interpreter, Template } from '@huggingface/jinja';

export const TEMPLATE_LIMITS = {
  /** Interpreter steps (expressions and statements evaluated) per render. */
  steps: 2_000_000,
  /** Wall time per render. */
  ms: 2000,
  /** Numbers produced by range() over one render, all calls together. */
  rangeItems: 100_000,
  /** Characters of rendered output. */
  outputChars: 16 * 1024 * 1024,
};

export class TemplateLimitError extends Error {}

interface Budget {
  steps: number;
  deadline: number;
  rangeItems: number;
}

let active: Budget | undefined;

// The two hooks into the library, both no-ops outside renderBounded: Template.render builds its
// Interpreter and global Environment internally, so the budget is charged in
// Interpreter.prototype.evaluate (every statement and expression goes through it), and the global
// `range` it installs is swapped for a bounded one as it is set.
const evaluate = Interpreter.prototype.evaluate;
Interpreter.prototype.evaluate = function (this: Interpreter, ...args: Parameters<Interpreter['evaluate']>) {
  const b = active;
  if (b !== undefined) {
    b.steps++;
    if (b.steps > TEMPLATE_LIMITS.steps) throw new TemplateLimitError(`the chat template ran more than ${TEMPLATE_LIMITS.steps} steps`);
    if ((b.steps & 1023) === 0 && Date.now() > b.deadline) throw new TemplateLimitError(`the chat template ran longer than ${TEMPLATE_LIMITS.ms} ms`);
  }
  return evaluate.apply(this, args);
};

const set = Environment.prototype.set;
Environment.prototype.set = function (this: Environment, name: string, value: unknown) {
  return set.call(this, name, active !== undefined && name === 'range' ? boundedRange : value);
};

/** range() as Python's, charged against the render's budget before anything is allocated. */
function boundedRange(start: number, stop?: number, step = 1): number[] {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new Error('range() step must not be zero');
  const count = Math.max(0, Math.ceil((stop - start) / step));
  const b = active;
  if (b !== undefined) {
    b.rangeItems += count;
    if (!Number.isFinite(count) || b.rangeItems > TEMPLATE_LIMITS.rangeItems) {
      throw new TemplateLimitError(`the chat template's range() calls produce more than ${TEMPLATE_LIMITS.rangeItems} numbers`);
    }
  }
  return Array.from({ length: count }, (_, i) => start + i * step);
}

/** Renders `template` with `items` under TEMPLATE_LIMITS; throws TemplateLimitError past them. */
export function renderBounded(template: Template, items: Record<string, unknown>): string {
  const outer = active;
  active = { steps: 0, deadline: Date.now() + TEMPLATE_LIMITS.ms, rangeItems: 0 };
  try {
    const text = template.render(items);
    if (text.length > TEMPLATE_LIMITS.outputChars) throw new TemplateLimitError(`the chat template wrote more than ${TEMPLATE_LIMITS.outputChars} characters`);
    return text;
  } catch (e) {
    // A template that builds a string past V8's limit gets "Invalid string length": say what happened.
    if (e instanceof RangeError && /string length/i.test(e.message)) throw new TemplateLimitError('the chat template built a string longer than the engine allows');
    if (e instanceof RangeError && /call stack/i.test(e.message)) throw new TemplateLimitError('the chat template recursed too deeply');
    throw e;
  } finally {
    active = outer;
  }
}
