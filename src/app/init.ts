// `sftgoc init [DIR]`: writes the starter files into DIR (default: the current directory), creating
// it if needed. It never overwrites: if any starter file already exists, it names them all and
// writes nothing (exit 1), so a user's own objective or data cannot be lost to a stray init.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { ExitCode } from '../cli/exit-codes.js';
import type { Output } from '../cli/output.js';
import { STARTER_OBJECTIVE, starterFiles } from '../init/starter-files.js';

export { STARTER_OBJECTIVE, starterFiles, type StarterFile } from '../init/starter-files.js';

export interface InitOptions {
  quiet: boolean;
  json: boolean;
}

export async function runInit(dir: string, options: InitOptions, out: Output): Promise<number> {
  const files = starterFiles().map((f) => ({ ...f, full: join(dir, f.path) }));
  const existing = files.filter((f) => existsSync(f.full)).map((f) => f.full);
  if (existing.length > 0) {
    const message = `will not overwrite ${existing.join(', ')}: remove ${existing.length > 1 ? 'them' : 'it'} or choose another directory (sftgoc init DIR)`;
    out.stderr(`error: ${message}`);
    if (options.json) out.stdout(JSON.stringify({ ok: false, exit_code: ExitCode.InputError, existing }, null, 2));
    return ExitCode.InputError;
  }
  try {
    for (const f of files) {
      await mkdir(dirname(f.full), { recursive: true });
      await writeFileAtomic(f.full, f.text);
    }
  } catch (e) {
    out.stderr(`error: cannot write in ${dir}: ${(e as Error).message}`);
    return ExitCode.InputError;
  }
  const human = (t: string) => (options.json ? out.stderr(t) : out.stdout(t));
  if (!options.quiet) {
    for (const f of files) human(`wrote ${f.full}`);
    human(`next: sftgoc check ${join(dir, STARTER_OBJECTIVE)}, then sftgoc run ${join(dir, STARTER_OBJECTIVE)} (see ${join(dir, 'README.md')})`);
  }
  if (options.json) out.stdout(JSON.stringify({ ok: true, files: files.map((f) => f.full) }, null, 2));
  return ExitCode.Success;
}
