#!/usr/bin/env python3
"""Greedy-decoding reference fixtures for generation (issue 16), from make_fixtures.py's independent
plain-PyTorch GPT-2 and Llama (not sftgoc's runtime, whose cached decode they check).

For every fixture model it writes greedy.json: three prompts of different lengths (3, 5 and 8
random ids), the greedy continuation of each (STEPS tokens) computed by FULL RECOMPUTE (the whole
sequence through the model at every step, no cache) in float64 from exactly the weights stored on
disk, the next-token logits of every step, and an eos id that greedy never picks, so the rows run
their full length. Prompts are redrawn until every step's best logit leads the runner-up by at least
MIN_MARGIN, so float32 arithmetic cannot flip an argmax.

The models: gpt2-tiny (F32) and llama-tiny (BF16) as make_fixtures.py wrote them (their files are
read, never rewritten: reference.json and model.safetensors stay byte-identical), plus the other
storage of each, as new folders: gpt2-tiny-bf16 (gpt2-tiny's weights rounded to BF16) and
llama-tiny-f32 (new seeded random llama weights stored as F32, so they are not BF16 values).

Run with the Debian python that has torch:  /usr/bin/python3 scripts/reference/make_greedy_fixtures.py
"""
import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402

STEPS = 6
PROMPT_LENGTHS = (3, 5, 8)
MIN_MARGIN = 1e-3
DTYPES = {'F32': torch.float32, 'BF16': torch.bfloat16}


def read_stored(path):
    """name -> the tensor as stored (F32 or BF16), read by hand as make_fixtures writes it."""
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    body = raw[8 + n:]
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        a, b = e['data_offsets']
        chunk = bytearray(body[a:b])
        if e['dtype'] == 'BF16':
            t = torch.frombuffer(chunk, dtype=torch.int16).view(torch.bfloat16)
        else:
            t = torch.frombuffer(chunk, dtype=torch.float32)
        out[name] = t.reshape(e['shape']).clone()
    return out


def write_model(name, cfg, stored):
    out_dir = os.path.join(mf.ROOT, name)
    os.makedirs(out_dir, exist_ok=True)
    mf.write_safetensors(os.path.join(out_dir, 'model.safetensors'), list(stored.items()), {'format': 'pt'})
    with open(os.path.join(out_dir, 'config.json'), 'w') as f:
        json.dump(cfg, f, indent=2)
        f.write('\n')


def greedy(cfg, w64, logits_fn, prompt):
    """STEPS greedy tokens by full recompute; the logits of each step and the smallest lead of the best."""
    ids = list(prompt)
    tokens, step_logits, margin = [], [], float('inf')
    for _ in range(STEPS):
        logits = logits_fn(cfg, w64, torch.tensor([ids]))[0, -1]
        top2 = torch.topk(logits, 2).values
        margin = min(margin, (top2[0] - top2[1]).item())
        t = int(torch.argmax(logits))
        tokens.append(t)
        step_logits.append(logits.tolist())
        ids.append(t)
    return tokens, step_logits, margin


def make_greedy(name, logits_fn, gen):
    out_dir = os.path.join(mf.ROOT, name)
    with open(os.path.join(out_dir, 'config.json')) as f:
        cfg = json.load(f)
    stored = read_stored(os.path.join(out_dir, 'model.safetensors'))
    dtypes = {t.dtype for t in stored.values()}
    w64 = {n: t.to(torch.float64) for n, t in stored.items()}
    for attempt in range(100):
        prompts = [torch.randint(0, cfg['vocab_size'], (n,), generator=gen).tolist() for n in PROMPT_LENGTHS]
        runs = [greedy(cfg, w64, logits_fn, p) for p in prompts]
        if min(m for _, _, m in runs) >= MIN_MARGIN:
            break
    else:
        raise SystemExit('%s: no prompts with a clear greedy choice at every step' % name)
    used = {t for tokens, _, _ in runs for t in tokens}
    eos = min(set(range(cfg['vocab_size'])) - used)
    ref = {
        'generator': 'scripts/reference/make_greedy_fixtures.py',
        'torch_version': torch.__version__,
        'stored_dtype': '/'.join(sorted(mf.DTYPE_NAME[d] for d in dtypes)),
        'definition': 'greedy (argmax) continuation by full recompute in float64 from the stored weights; '
                      'logits[p][s] are the next-token logits after prompt p and its first s generated tokens',
        'eos_id': eos,
        'max_new': STEPS,
        'prompts': prompts,
        'tokens': [tokens for tokens, _, _ in runs],
        'logits': [logits for _, logits, _ in runs],
        'min_margin': min(m for _, _, m in runs),
    }
    with open(os.path.join(out_dir, 'greedy.json'), 'w') as f:
        json.dump(ref, f)
        f.write('\n')
    print('%s: prompts %s, tokens %s, eos %d, smallest lead %.4f (attempt %d)' % (name, prompts, ref['tokens'], eos, ref['min_margin'], attempt + 1))


def main():
    gen = torch.Generator().manual_seed(20250716)
    # The missing storage of each architecture, as new folders.
    with open(os.path.join(mf.ROOT, 'gpt2-tiny', 'config.json')) as f:
        gpt2_cfg = json.load(f)
    gpt2 = read_stored(os.path.join(mf.ROOT, 'gpt2-tiny', 'model.safetensors'))
    write_model('gpt2-tiny-bf16', {**gpt2_cfg, 'torch_dtype': 'bfloat16'}, {n: t.to(torch.bfloat16) for n, t in gpt2.items()})
    with open(os.path.join(mf.ROOT, 'llama-tiny', 'config.json')) as f:
        llama_cfg = json.load(f)
    llama = mf.llama_weights(llama_cfg, gen)
    write_model('llama-tiny-f32', {**llama_cfg, 'torch_dtype': 'float32'}, {n: t.to(torch.float32) for n, t in llama.items()})

    for name, fn in (('gpt2-tiny', mf.gpt2_logits), ('gpt2-tiny-bf16', mf.gpt2_logits),
                     ('llama-tiny', mf.llama_logits), ('llama-tiny-f32', mf.llama_logits)):
        make_greedy(name, fn, gen)
    return 0


if __name__ == '__main__':
    sys.exit(main())
