// `reward = command("PATH", timeout = S)`: the user's reward program, run once per step over the
// step's responses. It is spawned without a shell (argv is just PATH), in its own process group,
// with JSONL on stdin, one line a response in batch order:
//   {"prompt": TEXT, "response": TEXT, "record": {"index": I, "answer"?: A, "facts"?: [F]}}
// and must print one number a line on stdout, as many lines as it was given, then exit 0 within
// the timeout. Every way of failing is a message naming the program and, where there is one, the
// response at fault (prompt FILE:LINE (index I), response J): a hang (the whole group is killed at
// the timeout), a non-zero exit or a signal (with the end of its stderr), a line that is not a
// number, the wrong number of lines, or more output than MAX_OUTPUT_BYTES.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { itemName, type RewardItem, type RewardResult } from './reward-item.js';
import type { RewardSpec } from '../language/on-policy.js';

/** stdout a program may write per response (a number is short) plus a fixed allowance. */
const BYTES_PER_LINE = 256;
const BASE_OUTPUT_BYTES = 64 * 1024;
/** stderr kept for the message: its last bytes. */
const STDERR_TAIL_BYTES = 2048;

/** One number: what the torch engine accepts too (contract note 7). */
const NUMBER_LINE = /^[ \t]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[ \t\r]*$/;

export function rewardInputLine(item: RewardItem): string {
  const record: Record<string, unknown> = { index: item.prompt.index };
  if (item.prompt.answer !== undefined) record.answer = item.prompt.answer;
  if (item.prompt.facts !== undefined) record.facts = item.prompt.facts;
  return JSON.stringify({ prompt: item.prompt.text, response: item.completion, record });
}

export function runRewardCommand(spec: Extract<RewardSpec, { kind: 'command' }>, items: readonly RewardItem[], options: { cwd?: string } = {}): Promise<RewardResult> {
  const name = `reward command ${spec.path}`;
  const maxOutput = BASE_OUTPUT_BYTES + BYTES_PER_LINE * items.length;
  return new Promise((resolvePromise) => {
    let settled = false;
    const finish = (r: RewardResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolvePromise(r);
    };
    const child = spawn(resolve(spec.path), [], { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true, shell: false });
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    let failure: string | undefined;
    const timer = setTimeout(() => {
      failure = `${name}: no answer within its timeout of ${spec.timeoutMs / 1000} s for the step's ${items.length} responses (first: ${items.length > 0 ? itemName(items[0]!) : 'none'}); it was killed. Raise command(…, timeout = SECONDS) or make it faster`;
      killGroup();
    }, spec.timeoutMs);
    const out: Buffer[] = [];
    let outBytes = 0;
    let errTail = Buffer.alloc(0);
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxOutput) {
        failure ??= `${name}: wrote more than ${maxOutput} bytes for ${items.length} responses (one number a line is expected); it was killed`;
        killGroup();
        return;
      }
      out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      errTail = Buffer.concat([errTail, chunk]);
      if (errTail.length > STDERR_TAIL_BYTES) errTail = errTail.subarray(errTail.length - STDERR_TAIL_BYTES);
    });
    child.on('error', (e) => {
      finish({ ok: false, message: `${name}: cannot start it: ${e.message}` });
    });
    // The program may exit without reading all of stdin; that shows in its answer, not as EPIPE.
    child.stdin.on('error', () => undefined);
    child.on('close', (code, signal) => {
      if (failure !== undefined) return finish({ ok: false, message: failure });
      const stderr = errTail.toString('utf8').trim();
      const tail = stderr === '' ? '' : `; its stderr ends: ${stderr.split('\n').slice(-5).join(' | ')}`;
      if (code !== 0) {
        return finish({ ok: false, message: `${name}: ${signal !== null ? `killed by ${signal}` : `exited with status ${code}`} on the step's ${items.length} responses (first: ${items.length > 0 ? itemName(items[0]!) : 'none'})${tail}` });
      }
      const lines = Buffer.concat(out).toString('utf8').split('\n');
      if (lines.at(-1) === '') lines.pop();
      if (lines.length !== items.length) {
        const at = Math.min(lines.length, items.length - 1);
        const which = lines.length < items.length ? `; the first without one is ${itemName(items[at]!)}` : '';
        return finish({ ok: false, message: `${name}: printed ${lines.length} line${lines.length === 1 ? '' : 's'} for ${items.length} responses (one number a line, in input order)${which}` });
      }
      const rewards: number[] = [];
      for (let i = 0; i < lines.length; i++) {
        const value = NUMBER_LINE.test(lines[i]!) ? Number(lines[i]) : Number.NaN;
        if (!Number.isFinite(value)) {
          return finish({ ok: false, message: `${name}: line ${i + 1} of its output is not a number (${JSON.stringify(lines[i]!.slice(0, 80))}), for ${itemName(items[i]!)}` });
        }
        rewards.push(value);
      }
      finish({ ok: true, rewards });
    });
    child.stdin.end(items.map((it) => `${rewardInputLine(it)}\n`).join(''));
  });
}
