#!/usr/bin/env python3
"""Reference fixtures for the LLMLingua-2 encoder in src/groupers/llmlingua2/encoder.ts.

A plain-PyTorch BERT / XLM-RoBERTa token classifier (no `transformers`, which is not installed
here; the formulas follow transformers' modeling_bert.py and modeling_roberta.py: post-LN layers,
exact erf GELU, RoBERTa's position ids counted from padding_idx + 1 over non-padding tokens) with
seeded random weights and a 2-way head, written as Hugging Face directories (config.json,
model.safetensors written by hand with struct + json, a tiny WordPiece tokenizer.json), plus
reference.json: id rows (one padded batch of unequal lengths) and the keep probabilities
softmax(logits)[..., 1] computed in float64 from exactly the float32 weights on disk.

Run with the Debian python that has torch:  /usr/bin/python3 scripts/reference/make_llmlingua2_fixture.py
Outputs go to test/fixtures/llmlingua2/{bert,xlm-roberta}/, so tests need no PyTorch.
"""
import json
import math
import os
import struct

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'llmlingua2')
HIDDEN, HEADS, LAYERS, INTER, MAX_POS, TYPES = 16, 2, 2, 32, 24, 2

SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]']
WORDS = ['the', 'town', 'of', 'velmora', 'lies', 'on', 'river', 'north', 'cat', 'sat', 'mat', 'a', 'is', 'in', 'year', 'came', 'out']
LETTERS = [chr(c) for c in range(ord('a'), ord('z') + 1)] + [str(d) for d in range(10)]
PUNCT = ['.', ',', '!', '?', ':']
VOCAB = SPECIAL + WORDS + [c for c in LETTERS if c not in WORDS] + PUNCT + ['##' + c for c in LETTERS] + ['##ing', '##s']


def tokenizer_json():
    return {
        'version': '1.0', 'truncation': None, 'padding': None,
        'added_tokens': [{'id': i, 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False, 'special': True} for i, t in enumerate(SPECIAL)],
        'normalizer': {'type': 'BertNormalizer', 'clean_text': True, 'handle_chinese_chars': True, 'strip_accents': True, 'lowercase': True},
        'pre_tokenizer': {'type': 'BertPreTokenizer'},
        'post_processor': None,
        'decoder': {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
        'model': {'type': 'WordPiece', 'unk_token': '[UNK]', 'continuing_subword_prefix': '##', 'max_input_chars_per_word': 100,
                  'vocab': {t: i for i, t in enumerate(VOCAB)}},
    }


def weights(prefix, gen):
    def rnd(*shape, scale=0.3):
        return (torch.randn(*shape, generator=gen, dtype=torch.float64) * scale).float()

    def ln():
        return (1 + rnd(HIDDEN, scale=0.1)), rnd(HIDDEN, scale=0.1)

    w = {}
    e = prefix + 'embeddings.'
    w[e + 'word_embeddings.weight'] = rnd(len(VOCAB), HIDDEN, scale=1.0)
    w[e + 'position_embeddings.weight'] = rnd(MAX_POS, HIDDEN, scale=0.5)
    w[e + 'token_type_embeddings.weight'] = rnd(TYPES, HIDDEN, scale=0.5)
    w[e + 'LayerNorm.weight'], w[e + 'LayerNorm.bias'] = ln()
    for i in range(LAYERS):
        l = f'{prefix}encoder.layer.{i}.'
        for name in ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']:
            w[l + name + '.weight'] = rnd(HIDDEN, HIDDEN)
            w[l + name + '.bias'] = rnd(HIDDEN, scale=0.1)
        w[l + 'attention.output.LayerNorm.weight'], w[l + 'attention.output.LayerNorm.bias'] = ln()
        w[l + 'intermediate.dense.weight'] = rnd(INTER, HIDDEN)
        w[l + 'intermediate.dense.bias'] = rnd(INTER, scale=0.1)
        w[l + 'output.dense.weight'] = rnd(HIDDEN, INTER)
        w[l + 'output.dense.bias'] = rnd(HIDDEN, scale=0.1)
        w[l + 'output.LayerNorm.weight'], w[l + 'output.LayerNorm.bias'] = ln()
    w['classifier.weight'] = rnd(2, HIDDEN, scale=0.25)
    w['classifier.bias'] = rnd(2, scale=0.2)
    return w


def layer_norm(x, g, b, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * g + b


def linear(x, w, name):
    return x @ w[name + '.weight'].double().T + w[name + '.bias'].double()


def keep_probs(w, prefix, family, ids, mask, pad_id, eps):
    """transformers' forward of XForTokenClassification in float64, dropout off."""
    W = {k: v.double() for k, v in w.items()}
    e = prefix + 'embeddings.'
    if family == 'roberta':
        m = (ids != pad_id).long()
        positions = torch.cumsum(m, dim=1) * m + pad_id
    else:
        positions = torch.arange(ids.shape[1]).unsqueeze(0).expand_as(ids)
    x = W[e + 'word_embeddings.weight'][ids] + W[e + 'position_embeddings.weight'][positions] + W[e + 'token_type_embeddings.weight'][torch.zeros_like(ids)]
    x = layer_norm(x, W[e + 'LayerNorm.weight'], W[e + 'LayerNorm.bias'], eps)
    B, T = ids.shape
    dh = HIDDEN // HEADS
    additive = (1.0 - mask.double())[:, None, None, :] * torch.finfo(torch.float64).min
    for i in range(LAYERS):
        l = f'{prefix}encoder.layer.{i}.'

        def heads(y):
            return y.view(B, T, HEADS, dh).permute(0, 2, 1, 3)
        q, k, v = (heads(linear(x, W, l + 'attention.self.' + n)) for n in ['query', 'key', 'value'])
        scores = q @ k.transpose(-1, -2) / math.sqrt(dh) + additive
        ctx = (torch.softmax(scores, dim=-1) @ v).permute(0, 2, 1, 3).reshape(B, T, HIDDEN)
        a = layer_norm(linear(ctx, W, l + 'attention.output.dense') + x, W[l + 'attention.output.LayerNorm.weight'], W[l + 'attention.output.LayerNorm.bias'], eps)
        inner = torch.nn.functional.gelu(linear(a, W, l + 'intermediate.dense'))
        x = layer_norm(linear(inner, W, l + 'output.dense') + a, W[l + 'output.LayerNorm.weight'], W[l + 'output.LayerNorm.bias'], eps)
    logits = linear(x, W, 'classifier')
    return torch.softmax(logits, dim=-1)[..., 1]


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.contiguous().numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(',', ':')).encode()
    raw += b' ' * ((8 - len(raw) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def build(family, seed):
    out = os.path.join(ROOT, 'bert' if family == 'bert' else 'xlm-roberta')
    os.makedirs(out, exist_ok=True)
    gen = torch.Generator().manual_seed(seed)
    prefix = 'bert.' if family == 'bert' else 'roberta.'
    pad_id = 0
    eps = 1e-12 if family == 'bert' else 1e-5
    # RoBERTa's positions start at padding_idx + 1, so it needs pad + 1 more position rows.
    max_pos = MAX_POS
    w = weights(prefix, gen)
    config = {
        'model_type': 'bert' if family == 'bert' else 'xlm-roberta',
        'architectures': ['BertForTokenClassification' if family == 'bert' else 'XLMRobertaForTokenClassification'],
        'vocab_size': len(VOCAB), 'hidden_size': HIDDEN, 'num_hidden_layers': LAYERS, 'num_attention_heads': HEADS,
        'intermediate_size': INTER, 'hidden_act': 'gelu', 'max_position_embeddings': max_pos, 'type_vocab_size': TYPES,
        'layer_norm_eps': eps, 'pad_token_id': pad_id, 'position_embedding_type': 'absolute',
        'id2label': {'0': 'LABEL_0', '1': 'LABEL_1'}, 'label2id': {'LABEL_0': 0, 'LABEL_1': 1},
    }
    with open(os.path.join(out, 'config.json'), 'w') as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(out, 'tokenizer.json'), 'w') as f:
        json.dump(tokenizer_json(), f, indent=2, ensure_ascii=False)
    with open(os.path.join(out, 'tokenizer_config.json'), 'w') as f:
        # Like bert-base-multilingual-cased, the BERT one names no eos_token (the scorer must cope).
        special = {'cls_token': '[CLS]', 'sep_token': '[SEP]', 'pad_token': '[PAD]', 'unk_token': '[UNK]'}
        if family != 'bert':
            special['eos_token'] = '[SEP]'
        json.dump(special, f, indent=2)
    write_safetensors(os.path.join(out, 'model.safetensors'), w)

    rng = torch.Generator().manual_seed(seed + 1)
    lengths = [12, 7, 3, MAX_POS - 2 if family == 'bert' else MAX_POS - 2]
    rows = []
    for n in lengths:
        body = torch.randint(4, len(VOCAB), (n - 2,), generator=rng).tolist()
        rows.append([2] + body + [3])
    T = max(lengths)
    ids = torch.tensor([r + [pad_id] * (T - len(r)) for r in rows])
    mask = torch.tensor([[1] * len(r) + [0] * (T - len(r)) for r in rows])
    probs = keep_probs(w, prefix, family, ids, mask, pad_id, eps)
    reference = {'rows': rows, 'keep': [probs[i, :len(r)].tolist() for i, r in enumerate(rows)]}
    with open(os.path.join(out, 'reference.json'), 'w') as f:
        json.dump(reference, f)
    print(out, [round(p, 4) for p in reference['keep'][0]])


if __name__ == '__main__':
    torch.manual_seed(0)
    build('bert', 1)
    build('roberta', 2)
