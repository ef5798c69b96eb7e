// The first line of an error's message: load errors carry stacks and dlopen paths; notes and
// reasons want one line.
export function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0] ?? text;
}
