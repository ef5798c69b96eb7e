// `sample { }` as SampleSettings: the validated JSON block (schemas/sample.schema.json; ajv fills
// its defaults) with the same defaults applied here as well, so an objective built without ajv's
// pass (tests, the IR's JSON) means the same. test/onpolicy/settings.test.ts keeps the two in step.
import type { JsonValue } from './values.js';
import type { RewardSpec, SampleSettings } from './on-policy.js';

export const SAMPLE_DEFAULTS: Readonly<SampleSettings> = { n: 4, temperature: 1.0, topP: 1.0, maxNew: 64 };

export function sampleSettings(block: Record<string, JsonValue>): SampleSettings {
  const num = (key: string, fallback: number) => (typeof block[key] === 'number' ? (block[key] as number) : fallback);
  return {
    n: num('n', SAMPLE_DEFAULTS.n),
    temperature: num('temperature', SAMPLE_DEFAULTS.temperature),
    topP: num('top_p', SAMPLE_DEFAULTS.topP),
    maxNew: num('max_new', SAMPLE_DEFAULTS.maxNew),
  };
}

/** A verifier as the source writes it (command with its resolved path and timeout in seconds). */
export function rewardText(r: RewardSpec): string {
  switch (r.kind) {
    case 'regex': return `regex(${JSON.stringify(r.pattern)})`;
    case 'command': return `command(${JSON.stringify(r.path)}, timeout = ${r.timeoutMs / 1000})`;
    default: return `${r.kind}()`;
  }
}
