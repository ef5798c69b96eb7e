// Diagnostic codes of the lexer and parser (E01xx). Stable: tests and docs refer to them.
import type { CodeInfo } from '../diagnostics/codes.js';

export const PARSE_CODES: Record<string, CodeInfo> = {};
