// Where a command's text goes. Commands write through this interface instead of process.stdout so
// that tests can run them in-process and read back exactly what a user would see.
export interface Output {
  /** The command's result: human text, or the JSON document under --json. */
  stdout(text: string): void;
  /** Human text that is not the result: diagnostics under --json, summaries, notices. */
  stderr(text: string): void;
}

/** Writes lines to the real streams. */
export const processOutput: Output = {
  stdout: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  stderr: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** Collects lines in memory, for tests. */
export class BufferOutput implements Output {
  readonly out: string[] = [];
  readonly err: string[] = [];
  stdout(text: string): void {
    this.out.push(text);
  }
  stderr(text: string): void {
    this.err.push(text);
  }
  get stdoutText(): string {
    return this.out.map((t) => (t.endsWith('\n') ? t : `${t}\n`)).join('');
  }
  get stderrText(): string {
    return this.err.map((t) => (t.endsWith('\n') ? t : `${t}\n`)).join('');
  }
}
