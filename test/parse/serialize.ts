// AST to golden JSON. Spans are written compactly, `line:col-line:col [start,end)`, so a golden file
// stays readable while still pinning both the code-point columns and the UTF-16 offsets.
import type { Span } from '../../src/diagnostics/span.js';

function isSpan(value: unknown): value is Span {
  return typeof value === 'object' && value !== null && 'start' in value && 'end' in value && 'file' in value;
}

export function astToJson(ast: unknown): string {
  return `${JSON.stringify(
    ast,
    (_key, value: unknown) => (isSpan(value) ? `${value.start.line}:${value.start.col}-${value.end.line}:${value.end.col} [${value.start.offset},${value.end.offset})` : value),
    2,
  )}\n`;
}
