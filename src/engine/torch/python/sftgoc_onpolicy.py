"""On-policy training in sftgoc's torch engine (LANGUAGE.md §8: `sample { }` and `reward = …`), the
rule of src/language/on-policy.ts, so the same prompts, seed and weights give the tfjs engine's rollouts:

  - response j of the prompt whose file index is i, at update s (0-based), is decoded by
    sftgoc_generate's sampler with the stream mulberry32(mixSeed(stepSeed(seed, s), i·n + j)),
    stepSeed(seed, s) = mixSeed(seed ^ 0x5a17, s), so it does not depend on the rank or batch row;
  - its text is the tokenizer's decode with special tokens skipped, rebuilt from a byte string per
    token id that sftgoc writes into the inputs (src/engine/torch/decode-table.ts checks the rule
    against the tokenizer before the run starts);
  - rewards are ports of src/data/score.ts (exact, contains, facts), a JavaScript regular
    expression (RE2 syntax, as the checker accepts it) translated to Python's `re` where both mean
    the same (refused otherwise), or the
    user's program (`command`), run without a shell;
  - advantages are src/data/render.ts's groupAdvantages.

Several processes: each rank decodes the prompts of the batch at positions rank, rank + N, …; the
rollouts are gathered on every rank in the batch's order, rank 0 scores them and sends the rewards
to the others, so every rank builds the same samples and the update is the one of one process.
"""
import json
import math
import os
import re
import signal
import subprocess
import threading
import time
import unicodedata

import torch
import torch.distributed as dist

from sftgoc_generate import M32, decode_rows, mix_seed


class RewardError(Exception):
    """The reward could not be computed (a command that hangs, fails or prints no number): the step is not applied."""


def step_seed(seed, s):
    # JavaScript: mixSeed(seed ^ 0x5a17, s); `^` works on the seed's 32 bits.
    return mix_seed((int(seed) & M32) ^ 0x5A17, s)


# ---------------------------------------------------------------- text of a response

# transformers' clean_up_tokenization, in Tokenizers.js's order (decode-table.ts).
CLEAN_UP = [(' .', '.'), (' ?', '?'), (' !', '!'), (' ,', ','), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")]


class ResponseText:
    """tokenizer.decode(ids, {skipSpecialTokens: true}) from the byte table: the ids' bytes joined,
    read as UTF-8 with U+FFFD for broken sequences (as TextDecoder does), one leading space removed
    when the tokenizer's decoder strips it (Metaspace, SentencePiece's Strip), then transformers'
    clean-up of spaces before punctuation when the tokenizer does it."""

    def __init__(self, spec):
        self.table = [bytes.fromhex(h) for h in spec['table']]
        self.strip = bool(spec['strip_leading_space'])
        self.clean_up = bool(spec.get('clean_up_spaces'))

    def __call__(self, ids):
        text = b''.join(self.table[i] if 0 <= i < len(self.table) else b'' for i in ids).decode('utf-8', errors='replace')
        if self.strip and text.startswith(' '):
            text = text[1:]
        if self.clean_up:
            for a, b in CLEAN_UP:
                text = text.replace(a, b)
        return text


# ---------------------------------------------------------------- src/data/score.ts

ARTICLES = {'a', 'an', 'the'}
# JavaScript's \s (WhiteSpace and LineTerminator): Python's str.split() also splits at \x1c-\x1f.
JS_SPACE = '\t\n\x0b\x0c\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff'
_SPACES = re.compile('[%s]+' % JS_SPACE)


def _bmp(c):
    # score.ts walks UTF-16 code units: an astral character's two halves are neither letter, digit nor
    # punctuation, so it is kept as it is and counts as "other" next to a comma or minus sign.
    return c != '' and ord(c) <= 0xFFFF


def _punct_or_symbol(c):
    return _bmp(c) and unicodedata.category(c)[0] in 'PS'


def _digit(c):
    return _bmp(c) and unicodedata.category(c) == 'Nd'


def _letter_or_number(c):
    return _bmp(c) and unicodedata.category(c)[0] in 'LN'


def normalize_answer(s):
    text = ''.join(c for c in unicodedata.normalize('NFKC', s) if unicodedata.category(c) != 'Cf').lower()
    out = []
    for i, c in enumerate(text):
        if not _punct_or_symbol(c):
            out.append(c)
            continue
        before = text[i - 1] if i > 0 else ''
        after = text[i + 1] if i + 1 < len(text) else ''
        if c == ',' and _digit(before) and _digit(after):
            continue
        if c == '.' and _digit(before) and _digit(after):
            out.append('.')
        elif c in ('-', '\u2212') and _digit(after) and not _letter_or_number(before):
            out.append('-')
        else:
            out.append(' ')
    return ' '.join(w for w in _SPACES.split(''.join(out)) if w != '' and w not in ARTICLES)


def _contains_normalized(completion, answer):
    if completion == answer:
        return True
    if answer == '':
        return False
    return (' %s ' % answer) in (' %s ' % completion)


def fact_share(completion, facts):
    if not facts:
        return None
    c = normalize_answer(completion)
    return len([f for f in facts if _contains_normalized(c, normalize_answer(f))]) / len(facts)


# ---------------------------------------------------------------- regex("PATTERN"): RE2 (as sftgoc's checker and tfjs engine run it) → Python

class RegexRefused(Exception):
    pass


_WORD = 'A-Za-z0-9_'
# RE2's Perl classes are ASCII: \s is [\t\n\f\r ] (no \v), where Python's are Unicode.
_CLASS_ESCAPES = {'d': '0-9', 'w': _WORD, 's': '\\t\\n\\f\\r '}
_SIMPLE_ESCAPES = {'a': '\\x07', 't': '\\t', 'n': '\\n', 'r': '\\r', 'f': '\\f', 'v': '\\x0b'}
_REPEAT = re.compile(r'\{[0-9]+(,[0-9]*)?\}')


def translate_regex(pattern):
    """The Python pattern that matches where RE2 (src/util/safe-regex.ts) does, or RegexRefused
    naming the construct that has no same-meaning translation (\p{…}, inline flags, POSIX classes)."""
    out = []
    i, n = 0, len(pattern)
    in_class = False

    def literal(ch):
        return re.escape(ch)

    def escape(i):
        if i + 1 >= n:
            raise RegexRefused('the pattern ends with a backslash')
        d = pattern[i + 1]
        if d in _CLASS_ESCAPES:
            return ('[%s]' % _CLASS_ESCAPES[d] if not in_class else _CLASS_ESCAPES[d]), i + 2
        if d in 'DWS':
            if in_class:
                raise RegexRefused('\\%s inside a character class' % d)
            return '[^%s]' % _CLASS_ESCAPES[d.lower()], i + 2
        if d in 'bB' and not in_class:
            # RE2's word boundary looks at ASCII word characters; Python's at Unicode ones.
            w = '[%s]' % _WORD
            if d == 'b':
                return '(?:(?<=%s)(?!%s)|(?<!%s)(?=%s))' % (w, w, w, w), i + 2
            return '(?:(?<=%s)(?=%s)|(?<!%s)(?!%s))' % (w, w, w, w), i + 2
        if d in 'Az' and not in_class:
            return ('\\A' if d == 'A' else '\\Z'), i + 2
        if d in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[d], i + 2
        if d in '01234567':
            m = re.match(r'[0-7]{1,3}', pattern[i + 1:])
            if d != '0' and len(m.group(0)) == 1:
                raise RegexRefused('backreferences (\\%s)' % d)
            return literal(chr(int(m.group(0), 8))), i + 1 + m.end()
        if d == 'x':
            m = re.match(r'\{([0-9A-Fa-f]{1,6})\}|([0-9A-Fa-f]{2})', pattern[i + 2:])
            if not m:
                raise RegexRefused('a malformed \\x escape')
            return literal(chr(int(m.group(1) or m.group(2), 16))), i + 2 + m.end()
        if d == 'Q':
            end = pattern.find('\\E', i + 2)
            text = pattern[i + 2:] if end < 0 else pattern[i + 2:end]
            return ''.join(literal(c) for c in text), (n if end < 0 else end + 2)
        if d in 'pP':
            raise RegexRefused('Unicode classes (\\%s)' % d)
        if not d.isalnum() and d != '_':
            return literal(d), i + 2
        raise RegexRefused('the escape \\%s' % d)

    while i < n:
        c = pattern[i]
        if c == '\\':
            piece, i = escape(i)
            out.append(piece)
            continue
        if in_class:
            if pattern.startswith('[:', i):
                raise RegexRefused('POSIX classes (%s)' % pattern[i:pattern.find(']', i) + 1])
            if c == ']':
                in_class = False
                out.append(']')
            elif c in '[&~|':
                out.append('\\' + c)  # literal in RE2; Python warns of (future) set operations
            else:
                out.append(c)
            i += 1
            continue
        if c == '[':
            start = '[^' if pattern.startswith('[^', i) else '['
            i += len(start)
            out.append(start)
            in_class = True
            if i < n and pattern[i] == ']':  # a leading ] is a member in both
                out.append('\\]')
                i += 1
            continue
        if c == '$':
            out.append('\\Z')  # RE2 without (?m): the end of the text only; Python's $ also before a last \n
        elif c == '{' and not _REPEAT.match(pattern, i):
            out.append('\\{')  # RE2 reads a brace that starts no repeat as itself; Python 3.11 reads {,n}
        elif c == '(' and pattern.startswith('(?', i):
            m = re.match(r'\(\?(:|P?<([A-Za-z_][A-Za-z0-9_]*)>)', pattern[i:])
            if not m:
                raise RegexRefused('the group %s (inline flags)' % pattern[i:i + 4])
            out.append('(?P<%s>' % m.group(2) if m.group(2) else '(?:')
            i += m.end()
            continue
        else:
            out.append(c)
        i += 1
    if in_class:
        raise RegexRefused('an unterminated character class')
    try:
        return re.compile(''.join(out))
    except re.error as e:
        raise RegexRefused('Python cannot compile it (%s)' % e)


# ---------------------------------------------------------------- rewards

def record_label(rec, j):
    src = rec.get('source') or {}
    return 'prompt %s:%s (index %d), response %d' % (src.get('file', '?'), src.get('line', '?'), rec['index'], j)


_NUMBER = re.compile(r'^[ \t]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t\r]*$')
# src/onpolicy/command.ts's bounds: stdout per response plus an allowance, the end of stderr for the message.
BYTES_PER_LINE = 256
BASE_OUTPUT_BYTES = 64 * 1024
STDERR_TAIL_BYTES = 2048


def command_rewards(spec, rows, cwd):
    """rows: [(record, response text, j)]. One run of the program over all of them: JSONL in, one
    number a line out; the messages are those of the tfjs engine's runner (src/onpolicy/command.ts)."""
    path, timeout = spec['path'], spec['timeoutMs'] / 1000.0
    payload = ''.join(json.dumps({'prompt': rec['text'], 'response': text, 'record': public_record(rec)}, ensure_ascii=False) + '\n'
                      for rec, text, _ in rows).encode('utf-8')
    name = 'reward command %s' % path
    first = record_label(rows[0][0], rows[0][2]) if rows else 'none'
    max_output = BASE_OUTPUT_BYTES + BYTES_PER_LINE * len(rows)
    try:
        # No shell; its own session (process group), so a timeout ends the program and whatever it started.
        proc = subprocess.Popen([spec.get('exec', path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, start_new_session=True)
    except OSError as e:
        raise RewardError('%s: cannot start it: %s' % (name, e.strerror or e))
    failure = []
    out, err = [], [b'']

    def kill():
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def feed():
        try:
            proc.stdin.write(payload)
            proc.stdin.close()
        except OSError:
            pass  # it stopped reading: that shows in its answer

    def read_out():
        total = 0
        while True:
            chunk = proc.stdout.read1(65536)
            if not chunk:
                return
            total += len(chunk)
            if total > max_output:
                if not failure:
                    failure.append('%s: wrote more than %d bytes for %d responses (one number a line is expected); it was killed' % (name, max_output, len(rows)))
                kill()
                return
            out.append(chunk)

    def read_err():
        while True:
            chunk = proc.stderr.read1(65536)
            if not chunk:
                return
            err[0] = (err[0] + chunk)[-STDERR_TAIL_BYTES:]

    threads = [threading.Thread(target=f, daemon=True) for f in (feed, read_out, read_err)]
    for t in threads:
        t.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        if not failure:
            failure.append("%s: no answer within its timeout of %g s for the step's %d responses (first: %s); it was killed. Raise command(…, timeout = SECONDS) or make it faster"
                           % (name, spec['timeoutMs'] / 1000, len(rows), first))
        kill()
        proc.wait()
    for t in threads:
        t.join(timeout=5)
    if failure:
        raise RewardError(failure[0])
    stderr = err[0].decode('utf-8', errors='replace').strip()
    tail = '; its stderr ends: %s' % ' | '.join(stderr.split('\n')[-5:]) if stderr else ''
    if proc.returncode != 0:
        how = 'killed by %s' % signal.Signals(-proc.returncode).name if proc.returncode < 0 else 'exited with status %d' % proc.returncode
        raise RewardError("%s: %s on the step's %d responses (first: %s)%s" % (name, how, len(rows), first, tail))
    lines = b''.join(out).decode('utf-8', errors='replace').split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    if len(lines) != len(rows):
        at = rows[min(len(lines), len(rows) - 1)]
        which = '; the first without one is %s' % record_label(at[0], at[2]) if len(lines) < len(rows) else ''
        raise RewardError('%s: printed %d line%s for %d responses (one number a line, in input order)%s'
                          % (name, len(lines), '' if len(lines) == 1 else 's', len(rows), which))
    rewards = []
    for k, (line, (rec, _, j)) in enumerate(zip(lines, rows)):
        value = float(line) if _NUMBER.match(line) else math.nan
        if not math.isfinite(value):
            raise RewardError('%s: line %d of its output is not a number (%s), for %s' % (name, k + 1, json.dumps(line[:80], ensure_ascii=False), record_label(rec, j)))
        rewards.append(value)
    return rewards


def public_record(rec):
    """What a reward program sees of a prompt record (the same on both engines)."""
    out = {'index': rec['index']}
    for key in ('answer', 'facts'):
        if rec.get(key) is not None:
            out[key] = rec[key]
    return out


class Rewarder:
    def __init__(self, spec, cwd):
        self.spec = spec
        self.cwd = cwd
        self.pattern = translate_regex(spec['pattern']) if spec['kind'] == 'regex' else None

    def __call__(self, rows):
        kind = self.spec['kind']
        if kind == 'command':
            return command_rewards(self.spec, rows, self.cwd)
        out = []
        for rec, text, _ in rows:
            if kind == 'exact':
                out.append(1.0 if rec.get('answer') is not None and normalize_answer(text) == normalize_answer(rec['answer']) else 0.0)
            elif kind == 'contains':
                out.append(1.0 if rec.get('answer') is not None and _contains_normalized(normalize_answer(text), normalize_answer(rec['answer'])) else 0.0)
            elif kind == 'facts':
                share = fact_share(text, rec.get('facts') or [])
                out.append(0.0 if share is None else share)
            else:
                out.append(1.0 if self.pattern.search(text) else 0.0)
        return out


def group_advantages(rewards):
    """src/data/render.ts's groupAdvantages, with its sequential sums."""
    n = len(rewards)
    if n == 1:
        return [rewards[0] / (1 + 1e-6)]
    total = 0.0
    for r in rewards:
        total += r
    mean = total / n
    sq = 0.0
    for r in rewards:
        sq += (r - mean) ** 2
    std = (sq / (n - 1)) ** 0.5
    return [(r - mean) / (std + 1e-6) for r in rewards]


# ---------------------------------------------------------------- one step's rollouts

class OnPolicy:
    def __init__(self, spec, run):
        self.spec = spec
        self.run = run
        self.prompts = spec['prompts']
        self.sample = spec['sample']
        self.text = ResponseText(spec['decode'])
        self.eos = spec['eos_id']
        self.rewarder = Rewarder(spec['reward'], spec.get('cwd'))

    def prompt_batch(self, order, index):
        b = self.run.t['batch']
        return [self.prompts[i] for i in order[index * b:(index + 1) * b]]

    def decode(self, batch, step):
        """This rank's share of the batch: [(position in batch, [rows of its n responses])]."""
        run = self.run
        mine = [k for k in range(len(batch)) if k % run.world == run.rank]
        if not mine:
            return []
        n = self.sample['n']
        r = {'prompts': [batch[k]['ids'] for k in mine], 'n': n, 'seed': step_seed(run.t['seed'], step),
             'max_new': self.sample['maxNew'], 'temperature': self.sample['temperature'], 'top_k': 0, 'top_p': self.sample['topP'],
             'eos_id': self.eos, 'device': run.device}
        rows = [(p, j) for p in range(len(mine)) for j in range(n)]
        keys = [batch[mine[p]]['index'] * n + j for p, j in rows]
        decoded = decode_rows(run.model, r, rows, False, lambda k: None, keys=keys)
        return [(k, [{'ids': o['ids'], 'finish': o['finish']} for o in decoded[p * n:(p + 1) * n]]) for p, k in enumerate(mine)]

    def gather(self, share, size):
        run = self.run
        if run.world == 1:
            parts = [share]
        else:
            parts = [None] * run.world
            dist.all_gather_object(parts, share)
        by_position = {}
        for part in parts:
            for k, responses in part:
                by_position[k] = responses
        return [by_position[k] for k in range(size)]

    def rewards(self, batch, responses):
        """Rank 0 scores (a command runs once per step); the others receive the numbers, or the error."""
        run = self.run
        result = None
        if run.rank == 0:
            rows = [(rec, self.text(r['ids']), j) for rec, group in zip(batch, responses) for j, r in enumerate(group)]
            try:
                result = {'rewards': [float(x) for x in self.rewarder(rows)]}
            except RewardError as e:
                result = {'error': str(e)}
        if run.world > 1:
            box = [result]
            dist.broadcast_object_list(box, src=0)
            result = box[0]
        if 'error' in result:
            raise RewardError(result['error'])
        return result['rewards']

    def step(self, order, index, step):
        """Samples, scores and normalises one batch of prompts. Returns (training samples in batch
        order then response, rollout records, rewards, (sampling seconds, scoring seconds));
        RewardError when the reward fails."""
        batch = self.prompt_batch(order, index)
        t0 = time.time()
        with torch.no_grad():
            responses = self.gather(self.decode(batch, step), len(batch))
        t1 = time.time()
        flat = self.rewards(batch, responses)
        t2 = time.time()
        n = self.sample['n']
        samples, records = [], []
        for k, (rec, group) in enumerate(zip(batch, responses)):
            rewards = flat[k * n:(k + 1) * n]
            adv = group_advantages(rewards)
            out = []
            for j, r in enumerate(group):
                ids = list(rec['ids']) + r['ids'] + ([self.eos] if r['finish'] == 'eos' else [])
                # Loss on the response and its eos: positions t predict t + 1.
                loss = list(range(len(rec['ids']) - 1, len(ids) - 1))
                samples.append({'ids': ids, 'loss': loss, 'reward': rewards[j], 'advantage': adv[j], 'scores': {}, 'regex': {}})
                out.append({'ids': r['ids'], 'completion': self.text(r['ids']), 'finish': r['finish'], 'reward': rewards[j], 'advantage': adv[j]})
            records.append({'step': step + 1, 'prompt_index': rec['index'], 'prompt': rec['text'], 'responses': out})
        return samples, records, flat, (t1 - t0, t2 - t1)


def micro_batches(samples, grad_accum):
    """The step's samples cut into grad_accum consecutive micro-batches of ceil(len / grad_accum) (none empty)."""
    size = -(-len(samples) // max(1, grad_accum))
    return [samples[a:a + size] for a in range(0, len(samples), size)]


def reward_stats(rewards):
    """Mean and population std of the step's rewards (sequential sums)."""
    total = 0.0
    for r in rewards:
        total += r
    mean = total / len(rewards)
    sq = 0.0
    for r in rewards:
        sq += (r - mean) ** 2
    return mean, (sq / len(rewards)) ** 0.5


def truncate_rollouts(path, step):
    """A resumed run drops the rollouts of the steps after its checkpoint (they are redone)."""
    if not os.path.exists(path):
        return
    with open(path, encoding='utf-8') as f:
        keep = [line for line in f if line.strip() and json.loads(line).get('step', 0) <= step]
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        f.writelines(keep)
    os.replace(tmp, path)
