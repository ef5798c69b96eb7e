// `sftgoc generate`: thin wrapper; the work is in src/app/generate.ts and src/generate/.
import { Args, Flags } from '@oclif/core';
import { commonFlags, SftgocCommand } from '../cli/base-command.js';
import { processOutput } from '../cli/output.js';
import { BACKEND_REQUESTS } from '../backend/names.js';

export default class Generate extends SftgocCommand {
  static override summary = 'Sample continuations of prompts from a trained model, with a key/value cache.';
  static override description =
    'From RUN_DIR (its final/ model, or latest checkpoint) or --model DIR. Prompts from --prompt (repeatable; encoded as training ' +
    'encodes text) or --data FILE (each record\'s prompt rendered as training renders it: chat template, alpaca; `prompts` records too). ' +
    'Temperature 0 (the default) is greedy; the same --seed gives the same samples. --json prints one JSON record a completion: ' +
    '{prompt, sample, completion, ids, finish: "eos"|"length"|"stop", logprob}; see docs/generation.md.';
  static override examples = [
    '<%= config.bin %> generate --model assets/default/model --prompt "Question: When was Digounous founded?\\nAnswer:"',
    '<%= config.bin %> generate runs/quickstart-2026-11-22T04-05-09 --data assets/default/data/questions.jsonl --limit 5 --json',
    '<%= config.bin %> generate runs/quickstart-2026-11-22T04-05-09 --prompt "Question: What is Tepezol?\\nAnswer:" --temperature 0.8 --top-p 0.9 --n 4 --seed 7',
  ];
  static override args = { runDir: Args.string({ required: false, description: 'a run directory written by sftgoc run' }) };
  static override flags = {
    json: commonFlags.json,
    quiet: commonFlags.quiet,
    model: Flags.string({ description: 'A Hugging Face model directory (config.json, model.safetensors, tokenizer files).', helpValue: 'DIR' }),
    prompt: Flags.string({ description: 'A prompt (repeatable).', helpValue: 'TEXT', multiple: true, multipleNonGreedy: true }),
    data: Flags.string({ description: 'A JSON Lines file whose records\' prompts are continued.', helpValue: 'FILE' }),
    limit: Flags.integer({ description: 'With --data: the first N records only.', min: 1 }),
    'max-new': Flags.integer({ description: 'New tokens per completion at most.', default: 64 }),
    temperature: Flags.string({ description: '0 is greedy.', default: '0' }),
    'top-p': Flags.string({ description: 'Nucleus sampling: keep the most likely tokens up to this probability (1 is off).', default: '1' }),
    'top-k': Flags.integer({ description: 'Keep the k most likely tokens (0 is off).', default: 0 }),
    n: Flags.integer({ description: 'Completions per prompt.', default: 1 }),
    seed: Flags.integer({ description: 'Seeds the samples (each completion has its own stream).', default: 1 }),
    stop: Flags.string({ description: 'End a completion at this string (repeatable); the string is cut.', multiple: true, multipleNonGreedy: true }),
    batch: Flags.integer({ description: 'Completions decoded together (key/value cache memory); default 16.', min: 1, max: 4096 }),
    out: Flags.string({ description: 'Also write the JSONL records to this file.', helpValue: 'FILE' }),
    engine: Flags.string({ description: 'tfjs (in process) or torch (the PyTorch runtime).', options: ['tfjs', 'torch'], default: 'tfjs' }),
    backend: Flags.string({ description: 'tfjs engine: TensorFlow.js backend.', options: [...BACKEND_REQUESTS], default: 'auto' }),
    device: Flags.string({ description: 'torch engine: cpu, cuda or auto.', options: ['auto', 'cpu', 'cuda'] }),
    python: Flags.string({ description: 'torch engine: the Python with torch.', helpValue: 'PATH' }),
    'skip-bad-records': Flags.boolean({ description: 'With --data: skip (and count) records that fail validation.' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Generate);
    const number = (name: string, text: string): number => {
      const v = Number(text);
      if (text.trim() === '' || !Number.isFinite(v)) this.error(`--${name} ${text}: expected a number`, { exit: 2 });
      return v;
    };
    const { runGenerate } = await import('../app/generate.js');
    process.exitCode = await runGenerate(
      {
        runDir: args.runDir, model: flags.model, prompts: flags.prompt ?? [], data: flags.data, limit: flags.limit, skipBadRecords: flags['skip-bad-records'],
        decode: { maxNew: flags['max-new'], temperature: number('temperature', flags.temperature), topP: number('top-p', flags['top-p']), topK: flags['top-k'], n: flags.n, seed: flags.seed },
        stops: flags.stop ?? [], engine: flags.engine as 'tfjs' | 'torch', engineOptions: { backend: flags.backend, python: flags.python, device: flags.device as 'auto' | 'cpu' | 'cuda' | undefined },
        batch: flags.batch, out: flags.out, json: flags.json, quiet: flags.quiet, tty: process.stderr.isTTY === true,
      },
      processOutput,
    );
  }
}
