// The language's vocabulary of values, shared by the checker and the IR (both import it from here,
// so the checker does not reach up into the IR for them): the types of values, the built-in token
// quantities, and the run settings' blocks as the checker validates them and the IR carries them.
import type { Span } from '../diagnostics/span.js';

/** Types of values in the objective (LANGUAGE.md §4); settings types never reach the IR. */
export type IrType = 'number' | 'scalar' | 'tokens' | 'mask';

export type TokenQuantity = 'ce' | 'logp' | 'p' | 'entropy' | 'ref_ce' | 'excess' | 'position' | 'reward' | 'advantage';
export const TOKEN_QUANTITIES: readonly TokenQuantity[] = ['ce', 'logp', 'p', 'entropy', 'ref_ce', 'excess', 'position', 'reward', 'advantage'];

export type SettingsBlock = 'model' | 'reference' | 'sample' | 'data' | 'train';
export type JsonValue = number | string | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type Settings = Partial<Record<SettingsBlock, Record<string, JsonValue>>>;
/** Where each settings value was written; `fromFlag` when a `--set` flag wrote it, not a file. */
export type SettingsSpans = Partial<Record<SettingsBlock, Record<string, { key: Span; value: Span; fromFlag?: boolean }>>>;
