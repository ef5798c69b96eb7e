// The shape of a diagnostic code's documentation. Each stage owns its range and its table
// (src/parse/codes.ts, src/check/codes.ts); src/codes.ts gathers them, above the stages.
export interface CodeInfo {
  /** A short title, e.g. "unknown name". */
  title: string;
  /** What triggers it and how to fix it; rendered into docs/diagnostics.md. */
  explanation: string;
}
