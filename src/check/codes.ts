// Diagnostic codes of the checker: names and imports (E02xx), types (E03xx), settings (E04xx),
// selectors and scorers (E05xx). Stable: tests and docs refer to them.
import type { CodeInfo } from '../diagnostics/codes.js';

export const CHECK_CODES: Record<string, CodeInfo> = {};
