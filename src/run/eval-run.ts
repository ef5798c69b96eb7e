// `sftgoc eval RUN_DIR | --model DIR --data F`: held-out loss per group and perplexity of a trained
// model. From a run directory: its final/ model (or latest checkpoint), its objective and its eval
// data, as recorded in config.json. Writes nothing.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../cli/exit-codes.js';
import type { Output } from '../cli/output.js';
import { compileFile } from '../compile.js';
import { makeBatches } from '../data/batch.js';
import { formatDataError, loadDataset } from '../data/index.js';
import { ModelFileError, loadModel } from '../model/index.js';
import { formatTokenizerErrors, loadTokenizer } from '../tokenizer/index.js';
import { latestCheckpoint } from '../train/checkpoint.js';
import { evaluate, type EvalResult } from '../train/evaluate.js';
import { meanCe, type StepObjective } from '../train/objective.js';
import { stepObjectiveFor } from './objective-bridge.js';

export interface EvalOptions {
  runDir?: string;
  model?: string;
  data?: string;
  batch: number;
  maxLen?: number;
  backend: string;
  skipBadRecords: boolean;
  json: boolean;
  quiet: boolean;
}

interface Target {
  modelDir: string;
  dataFile: string;
  format: string;
  lossOn: string;
  maxLen: number;
  objective: StepObjective;
  notes: string[];
}

async function targetOf(o: EvalOptions): Promise<Target | string[]> {
  if (o.runDir === undefined) {
    if (o.model === undefined || o.data === undefined) return ['give a RUN_DIR, or both --model DIR and --data FILE'];
    return { modelDir: o.model, dataFile: o.data, format: 'auto', lossOn: 'response', maxLen: o.maxLen ?? 512, objective: meanCe, notes: [] };
  }
  let config: { data?: { train?: string; eval?: string | null; format?: string; loss_on?: string; max_len?: number } };
  try {
    config = JSON.parse(readFileSync(join(o.runDir, 'config.json'), 'utf8'));
  } catch (e) {
    return [`${o.runDir}/config.json: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found: not a run directory' : (e as Error).message}`];
  }
  const notes: string[] = [];
  let modelDir = o.model;
  if (modelDir === undefined) {
    if (existsSync(join(o.runDir, 'final', 'config.json'))) modelDir = join(o.runDir, 'final');
    else {
      const latest = await latestCheckpoint(o.runDir);
      if (latest === undefined) return [`${o.runDir}: no final/ model and no checkpoint`];
      modelDir = latest.dir;
      notes.push(`no final/ model yet: evaluating ${latest.dir}`);
    }
  }
  const dataFile = o.data ?? config.data?.eval ?? undefined;
  if (dataFile === undefined || dataFile === null) return [`${o.runDir}/config.json names no eval data; pass --data FILE`];
  let objective: StepObjective = meanCe;
  const compiled = compileFile(join(o.runDir, 'objective.sftgo'));
  if (compiled.objective !== undefined) {
    const bridged = stepObjectiveFor(compiled.objective);
    if (bridged.ok) objective = bridged.objective;
    else notes.push('the run\'s objective is not executable by this build: reporting ce only');
  }
  return {
    modelDir, dataFile, objective, notes,
    format: config.data?.format ?? 'auto', lossOn: config.data?.loss_on ?? 'response', maxLen: o.maxLen ?? config.data?.max_len ?? 512,
  };
}

export async function runEval(o: EvalOptions, out: Output): Promise<number> {
  const human = (text: string) => (o.json ? out.stderr(text) : out.stdout(text));
  const fail = (code: number, lines: string[]) => {
    for (const l of lines) out.stderr(`error: ${l}`);
    if (o.json) out.stdout(JSON.stringify({ ok: false, exit_code: code, errors: lines }, null, 2));
    return code;
  };
  const target = await targetOf(o);
  if (Array.isArray(target)) return fail(o.runDir === undefined ? ExitCode.Usage : ExitCode.InputError, target);
  if (!o.quiet) for (const n of target.notes) out.stderr(`note: ${n}`);

  const tok = loadTokenizer(target.modelDir);
  if (!tok.ok) return fail(ExitCode.InputError, [formatTokenizerErrors(tok.errors)]);
  const data = loadDataset(target.dataFile, {
    tokenizer: tok.tokenizer, format: target.format as 'auto', lossOn: target.lossOn as 'response', maxLen: target.maxLen, skipBadRecords: o.skipBadRecords,
  });
  if (data.errors.length > 0) return fail(ExitCode.InputError, data.errors.map(formatDataError));
  if (data.samples.length === 0) return fail(ExitCode.InputError, [`${target.dataFile}: no samples`]);

  const { initBackend, isBackendRequest } = await import('../backend/index.js');
  if (!isBackendRequest(o.backend)) return fail(ExitCode.Usage, [`--backend ${o.backend}: expected auto, tensorflow-gpu, tensorflow, wasm or cpu`]);
  const backend = await initBackend(o.backend).catch((e: Error) => e);
  if (backend instanceof Error) return fail(ExitCode.InputError, [backend.message]);
  let model;
  try {
    model = await loadModel(target.modelDir);
  } catch (e) {
    if (e instanceof ModelFileError) return fail(ExitCode.InputError, [e.message]);
    throw e;
  }
  let result: EvalResult;
  try {
    const batches = makeBatches(data.samples, { batchSize: o.batch, seed: 0, epoch: 0, padId: tok.tokenizer.padId, shuffle: false });
    result = evaluate(model, target.objective, batches, { step: 0, totalSteps: 1 });
  } finally {
    model.dispose();
  }
  human(`${target.modelDir} on ${target.dataFile} (${data.samples.length} samples, ${result.tokens} loss tokens, backend ${backend.name})`);
  human(`  ce ${result.ce.toFixed(4)}  perplexity ${result.perplexity.toFixed(2)}  loss ${result.loss.toFixed(4)}`);
  for (const [name, g] of Object.entries(result.groups)) {
    human(`  group ${name}: loss ${g.loss.toFixed(4)} over ${g.tokens} tokens${name === result.worstGroup ? '  (worst)' : ''}`);
  }
  if (o.json) {
    out.stdout(JSON.stringify({
      ok: true, model: target.modelDir, data: target.dataFile, samples: data.samples.length, tokens: result.tokens, backend: backend.name,
      loss: result.loss, ce: result.ce, perplexity: result.perplexity, groups: result.groups, worst_group: result.worstGroup,
    }, null, 2));
  }
  return ExitCode.Success;
}
