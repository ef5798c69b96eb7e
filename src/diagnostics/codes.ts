// The registry of every diagnostic code, gathered from the stages that emit them, so that docs and
// tests can enumerate them. Each stage owns its own range and file.
import { PARSE_CODES } from '../parse/codes.js';
import { CHECK_CODES } from '../check/codes.js';

export interface CodeInfo {
  /** A short title, e.g. "unknown name". */
  title: string;
  /** What triggers it and how to fix it; rendered into docs/diagnostics.md. */
  explanation: string;
}

export function allCodes(): Record<string, CodeInfo> {
  return { ...PARSE_CODES, ...CHECK_CODES };
}
