"""Text generation for sftgoc's torch engine (`sftgoc generate --engine torch`): token-id prompts in,
sampled continuations out, with the key/value-cached decode of sftgoc_model.Decoder.

    python sftgoc_generate.py INPUT.json OUTPUT.jsonl [--record-logits]
    python sftgoc_generate.py --sample-fixed INPUT.json OUTPUT.json      # tests: the sampler alone

INPUT.json: {model_dir, device, prompts: [[ids]], max_new, temperature, top_k, top_p, n, seed,
eos_id, batch, threads (optional: torch's intra-op threads on cpu, 1 by default)}. OUTPUT.jsonl: one
line per row (prompt-major, then sample) {prompt, sample, ids, logprobs, finish: "eos" | "length"}:
ids without the eos, logprobs per id and the eos's last when it ended the row. --record-logits adds
each row's next-token logits at every step ("logits"), for the tests that compare the cache with a
full recompute. Progress on stdout: `@sftgoc {"done": k, "total": N}` (rows finished). A problem the
user can fix: one message on stderr, exit 1.

The sampling rule is sftgoc's (src/generate/types.ts, src/generate/sampling.ts), ported line for
line so the same logits give the same tokens on both engines: the row's stream is
mulberry32(mixSeed(seed, row)) with JavaScript's 32-bit arithmetic, the arithmetic is float64 on the
host, and every sum is sequential (np.cumsum, never np.sum's pairwise order) as the TypeScript loops.
"""
import json
import sys

import numpy as np
import torch

from sftgoc_model import Decoder, load_model

M32 = 0xFFFFFFFF


class InputError(Exception):
    """A request the user can fix: reported as one message, exit 1."""


# ---------------------------------------------------------------- src/util/prng.ts

def _u32(x):
    """JavaScript's `x >>> 0`: truncate toward zero, modulo 2^32 (NaN and infinities are 0)."""
    if isinstance(x, float) and (x != x or x in (float('inf'), float('-inf'))):
        return 0
    return int(x) & M32


def _imul(a, b):
    """Math.imul as unsigned bits: the low 32 bits of the product."""
    return (a * b) & M32


def mix_seed(seed, epoch):
    h = (_imul(_u32(seed), 0x9E3779B1) ^ _imul(_u32(epoch + 1), 0x85EBCA6B)) & M32
    h = _imul(h ^ (h >> 16), 0x7FEB352D)
    return (h ^ (h >> 15)) & M32


class Mulberry32:
    """Uniform floats in [0, 1); the same sequence as mulberry32() in src/util/prng.ts. JavaScript's
    signed intermediates have the same 32 bits as these unsigned ones, and ToInt32 of a sum is the
    sum modulo 2^32, so unsigned arithmetic modulo 2^32 reproduces it."""

    def __init__(self, seed):
        self.state = _u32(seed)

    def __call__(self):
        self.state = (self.state + 0x6D2B79F5) & M32
        t = self.state
        t = _imul(t ^ (t >> 15), t | 1)
        t ^= (t + _imul(t ^ (t >> 7), t | 61)) & M32
        return ((t ^ (t >> 14)) & M32) / 4294967296.0


def row_stream(seed, row):
    return Mulberry32(mix_seed(seed, row))


# ---------------------------------------------------------------- src/generate/sampling.ts

def log_probability(logits, i):
    """log softmax(logits)[i] in float64 (logits: float64 array of float32 values)."""
    top = logits.max()
    total = np.cumsum(np.exp(logits - top))[-1]
    return float(logits[i] - top - np.log(total))


def argmax(logits):
    """The lowest id of the largest logit (np.argmax returns the first)."""
    return int(np.argmax(logits))


def candidates(logits, temperature, top_k, top_p):
    v = logits.shape[0]
    # Value descending, id ascending (lexsort: the last key is the primary one).
    order = np.lexsort((np.arange(v), -logits))
    k = top_k if 0 < top_k < v else v
    kept = order[:k]
    z = logits[kept] / temperature
    weights = np.exp(z - z[0])
    probs = weights / np.cumsum(weights)[-1]
    if top_p >= 1:
        return kept, probs
    reached = np.nonzero(np.cumsum(probs) >= top_p)[0]
    end = int(reached[0]) + 1 if reached.size > 0 else len(kept)
    return kept[:end], probs[:end]


def sample_token(logits, temperature, top_k, top_p, rng):
    if temperature == 0:
        return argmax(logits)
    ids, probs = candidates(logits, temperature, top_k, top_p)
    running = np.cumsum(probs)
    u = rng() * running[-1]
    above = np.nonzero(running > u)[0]
    return int(ids[above[0]] if above.size > 0 else ids[-1])


# ---------------------------------------------------------------- the request

def _number(req, key, lo, hi=None, whole=False):
    x = req.get(key)
    if isinstance(x, bool) or not isinstance(x, (int, float)) or x != x or x < lo or (hi is not None and x > hi) or (whole and int(x) != x):
        bound = 'a whole number ≥ %s' % lo if whole else 'a number from %s%s' % (lo, ' to %s' % hi if hi is not None else '')
        raise InputError('%s = %r: expected %s' % (key, x, bound))
    return int(x) if whole else float(x)


def parse_request(req):
    """The request's settings, checked; InputError names the setting at fault."""
    prompts = req.get('prompts')
    if not isinstance(prompts, list) or not prompts:
        raise InputError('prompts: expected a non-empty list of token-id lists')
    for i, p in enumerate(prompts):
        if not isinstance(p, list) or not p or not all(isinstance(t, int) and not isinstance(t, bool) for t in p):
            raise InputError('prompt %d: expected a non-empty list of token ids' % i)
    eos = req.get('eos_id')
    return {
        'model_dir': str(req.get('model_dir')),
        'device': req.get('device', 'cpu'),
        'prompts': prompts,
        'max_new': _number(req, 'max_new', 1, whole=True),
        'temperature': _number(req, 'temperature', 0),
        'top_k': _number(req, 'top_k', 0, whole=True),
        'top_p': _number(req, 'top_p', 0, 1) if 'top_p' in req else 1.0,
        'n': _number(req, 'n', 1, whole=True),
        'seed': req.get('seed', 0),
        # No eos (null or negative): every row runs max_new tokens.
        'eos_id': eos if isinstance(eos, int) and not isinstance(eos, bool) and eos >= 0 else None,
        'batch': _number(req, 'batch', 1, whole=True) if req.get('batch') is not None else None,
        # cpu only; 1 unless told (see generate()).
        'threads': _number(req, 'threads', 1, whole=True) if req.get('threads') is not None else None,
    }


def open_model(r):
    where = r['model_dir']
    try:
        model = load_model(where)
    except FileNotFoundError as e:
        raise InputError('%s: cannot load the model: %s not found' % (where, e.filename))
    except (ValueError, KeyError, json.JSONDecodeError) as e:
        raise InputError('%s: cannot load the model: %s' % (where, e))
    vocab, positions = model.output_embedding().shape[0], model.max_positions()
    for i, p in enumerate(r['prompts']):
        bad = [t for t in p if not 0 <= t < vocab]
        if bad:
            raise InputError('prompt %d: token id %d is outside the model\'s vocabulary (%d ids; %s)' % (i, bad[0], vocab, where))
        if len(p) + r['max_new'] > positions:
            raise InputError('prompt %d: %d tokens + max_new %d exceed the model\'s %d positions (%s)' % (i, len(p), r['max_new'], positions, where))
    if r['device'] == 'cuda' and not torch.cuda.is_available():
        raise InputError('device cuda: torch %s sees no CUDA device' % torch.__version__)
    model.to(r['device'])
    model.eval()
    return model


def decode_rows(model, r, rows, record_logits, finished, keys=None):
    """rows: [(prompt index, sample index)] decoded together; returns their output records.
    finished(k) is told, after every step, how many of them have ended on eos. keys: each row's
    stream number (default p·n + j); on-policy training numbers rows by the prompt's index in its
    file instead of its place in the request (sftgoc_onpolicy.py)."""
    prompts = [r['prompts'][p] for p, _ in rows]
    keys = keys if keys is not None else [p * r['n'] + j for p, j in rows]
    streams = [row_stream(r['seed'], k) for k in keys]
    out = [{'prompt': p, 'sample': j, 'ids': [], 'logprobs': [], 'finish': 'length'} for p, j in rows]
    if record_logits:
        for o in out:
            o['logits'] = []
    live = list(range(len(rows)))
    decoder = Decoder(model, prompts, r['max_new'], r['device'])
    logits = decoder.prefill()
    eos = r['eos_id']
    # A finished row keeps a place in the batch (the cache is one tensor) and is fed a token nobody reads.
    filler = eos if eos is not None else 0
    for step in range(r['max_new']):
        # float32 → float64 is exact; the rule's arithmetic is float64 from here.
        host = logits.float().cpu().numpy().astype(np.float64)
        chosen = [filler] * len(rows)
        for i in live:
            row = host[i]
            if record_logits:
                out[i]['logits'].append(row.tolist())
            t = sample_token(row, r['temperature'], r['top_k'], r['top_p'], streams[i])
            out[i]['logprobs'].append(log_probability(row, t))
            if t == eos:
                out[i]['finish'] = 'eos'
            else:
                out[i]['ids'].append(t)
                chosen[i] = t
        live = [i for i in live if out[i]['finish'] != 'eos']
        finished(len(rows) - len(live))
        if not live or step == r['max_new'] - 1:
            break
        logits = decoder.step(torch.tensor(chosen, dtype=torch.long))
    return out


def generate(r, output, record_logits):
    if r['device'] == 'cpu':
        # One intra-op thread: a decode step's elementwise ops and softmaxes are a few thousand numbers,
        # which OpenMP threads only slow down (several times over on a busy machine); the products
        # still use the BLAS's own threads (OPENBLAS_NUM_THREADS), as bench/peer.py's decode does.
        torch.set_num_threads(r['threads'] or 1)
    model = open_model(r)
    rows = [(p, j) for p in range(len(r['prompts'])) for j in range(r['n'])]
    size = r['batch'] or len(rows)
    done_before = 0
    progress(0, len(rows))
    with open(output, 'w') as f:
        for a in range(0, len(rows), size):
            chunk = rows[a:a + size]
            last = [0]

            def finished(k, chunk=chunk, last=last):
                # Only when the count moves and the chunk is not over: the chunk's end reports below.
                if k != last[0] and k < len(chunk):
                    progress(done_before + k, len(rows))
                last[0] = k

            for o in decode_rows(model, r, chunk, record_logits, finished):
                f.write(json.dumps(o) + '\n')
            done_before += len(chunk)
            progress(done_before, len(rows))


def progress(done, total):
    print('@sftgoc ' + json.dumps({'done': done, 'total': total}), flush=True)


def sample_fixed(req, output):
    """Tests: for each case {logits, temperature, top_k, top_p, seed, row, draws}, draws `draws` tokens
    from the fixed logits (cycling through the given rows) with one row's stream, so the TypeScript
    sampleToken can be compared with this port on the same numbers."""
    results = []
    for case in req['cases']:
        rows = [np.asarray(np.float32(x), dtype=np.float64) for x in case['logits']]
        rng = row_stream(case['seed'], case['row'])
        tokens, logprobs = [], []
        for d in range(case['draws']):
            row = rows[d % len(rows)]
            t = sample_token(row, case['temperature'], case['top_k'], case['top_p'], rng)
            tokens.append(t)
            logprobs.append(log_probability(row, t))
        results.append({'tokens': tokens, 'logprobs': logprobs})
    with open(output, 'w') as f:
        json.dump(results, f)


def main(argv):
    args = [a for a in argv if not a.startswith('--')]
    flags = {a for a in argv if a.startswith('--')}
    if len(args) != 2 or not flags <= {'--record-logits', '--sample-fixed'}:
        sys.stderr.write('usage: python sftgoc_generate.py [--record-logits | --sample-fixed] INPUT.json OUTPUT\n')
        return 2
    try:
        with open(args[0]) as f:
            req = json.load(f)
        if '--sample-fixed' in flags:
            sample_fixed(req, args[1])
        else:
            generate(parse_request(req), args[1], '--record-logits' in flags)
    except InputError as e:
        sys.stderr.write('%s\n' % e)
        return 1
    except (OSError, json.JSONDecodeError) as e:
        sys.stderr.write('%s\n' % e)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
