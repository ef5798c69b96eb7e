#!/usr/bin/env python3
"""The reverse of make_fixtures.py: loads a model directory written by sftgoc's saveModel into the
independent PyTorch implementation and compares its logits with the ones sftgoc computed.

    /usr/bin/python3 scripts/reference/check_saved.py DIR LOGITS.json

LOGITS.json: {"input_ids": [[...]], "logits": [[[...]]]} from the TypeScript side. The safetensors
file is parsed with the checks the Rust `safetensors` library makes when transformers loads it
(header length, dtype, offsets contiguous from 0 with no holes or overlaps, sizes, format=pt
metadata), so a file that passes here is one transformers would accept.
Exit status 0 when the max abs difference is below 1e-4.
"""
import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import gpt2_logits, llama_logits  # noqa: E402

DTYPES = {'F32': (torch.float32, 4), 'F16': (torch.float16, 2), 'BF16': (torch.bfloat16, 2)}


def read_strict(path):
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    assert 8 + n <= len(data), 'header length past the end'
    header = json.loads(data[8:8 + n].decode('utf-8'))
    meta = header.pop('__metadata__', None)
    assert meta is not None and meta.get('format') == 'pt', f'transformers needs metadata format=pt, got {meta}'
    buffer = data[8 + n:]
    entries = sorted(header.items(), key=lambda kv: kv[1]['data_offsets'][0])
    expected_start = 0
    tensors = {}
    for name, info in entries:
        begin, end = info['data_offsets']
        assert begin == expected_start, f'{name}: hole or overlap at {begin} (expected {expected_start})'
        dtype, size = DTYPES[info['dtype']]
        count = 1
        for d in info['shape']:
            count *= d
        assert end - begin == count * size, f'{name}: size mismatch'
        raw = bytearray(buffer[begin:end])
        if info['dtype'] == 'F32':
            t = torch.frombuffer(raw, dtype=torch.float32) if count else torch.zeros(0)
        else:
            t = torch.frombuffer(raw, dtype=torch.int16).view(dtype) if count else torch.zeros(0, dtype=dtype)
        tensors[name] = t.reshape(info['shape']).to(torch.float64)
        expected_start = end
    assert expected_start == len(buffer), 'data buffer has trailing bytes not covered by any tensor'
    return tensors


def main(directory, logits_path):
    with open(os.path.join(directory, 'config.json')) as f:
        cfg = json.load(f)
    weights = read_strict(os.path.join(directory, 'model.safetensors'))
    with open(logits_path) as f:
        expected = json.load(f)
    ids = torch.tensor(expected['input_ids'])
    if cfg['model_type'] == 'gpt2':
        assert 'lm_head.weight' not in weights, 'tied gpt2 should not store lm_head.weight'
        cfg.setdefault('n_inner', None)
        cfg['n_inner'] = cfg['n_inner'] or 4 * cfg['n_embd']
        logits = gpt2_logits(cfg, weights, ids)
    else:
        if cfg.get('tie_word_embeddings'):
            weights['lm_head.weight'] = weights['model.embed_tokens.weight']
        logits = llama_logits(cfg, weights, ids)
    diff = (logits - torch.tensor(expected['logits'], dtype=torch.float64)).abs().max().item()
    print(f'{directory}: {len(weights)} tensors, max abs logit difference {diff:.3g}')
    return 0 if diff < 1e-4 else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2]))
