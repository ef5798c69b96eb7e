// Every diagnostic code, gathered from the stages that emit them, so that docs and tests can
// enumerate them. It sits above the stages (which each own a range and a table) so that no stage
// imports another's table.
import type { CodeInfo } from './diagnostics/codes.js';
import { PARSE_CODES } from './parse/codes.js';
import { CHECK_CODES } from './check/codes.js';

export type { CodeInfo } from './diagnostics/codes.js';

export function allCodes(): Record<string, CodeInfo> {
  return { ...PARSE_CODES, ...CHECK_CODES };
}
