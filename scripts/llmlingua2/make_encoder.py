#!/usr/bin/env python3
"""The bundled LLMLingua-2 encoder (assets/llmlingua2/): a small BERT token classifier, label 1 = keep.

LLMLingua-2 (Pan et al., arXiv 2403.12968) trains a token classifier on words that a strong model
kept when compressing text. Nobody here can download the published checkpoints, so this script
makes a small one of the same format from the bundled data alone, with a labelling rule in the same
spirit: a word of an answer is kept when it is part of a fact (the `scores.fact` spans of
assets/default/data/train.jsonl) or a content word (not a stop word) of a sentence that states a
fact; the conversational filler around the facts ("Happy to help! ... I hope this helps!") and the
function words are dropped.

Outputs a Hugging Face directory that src/groupers/llmlingua2/ reads like microsoft/llmlingua-2-*:
  config.json          BertForTokenClassification, 2 labels
  model.safetensors    F32, written by hand (no `safetensors` package here)
  tokenizer.json       a lowercasing WordPiece tokenizer (BertNormalizer + BertPreTokenizer): every
                       word of the bundled data and corpus is one piece; other words fall back to
                       single characters (a, ##b, ...)
  tokenizer_config.json, special_tokens_map.json
  make.json            the settings and the held-out scores of this run

Only training uses PyTorch (plain torch, no transformers; the forward is modeling_bert.py's, dropout
off). Deterministic for a given torch build: seeded initialisation and shuffling, one thread.

Run from the repository root with the Debian python that has torch:
  /usr/bin/python3 scripts/llmlingua2/make_encoder.py [--out assets/llmlingua2] [--epochs 4] [--seed 1]
"""
import argparse
import json
import math
import os
import re
import sys
import time
import unicodedata

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
DATA = os.path.join(ROOT, 'assets', 'default', 'data')
# The torch engine's runtime writes safetensors by hand (no `safetensors` package here): one writer.
sys.path.insert(0, os.path.join(ROOT, 'src', 'engine', 'torch', 'python'))
from sftgoc_model import write_safetensors  # noqa: E402
CORPUS = os.path.join(ROOT, 'assets', 'default', 'corpus.txt')
SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
PAD, UNK, CLS, SEP = 0, 1, 2, 3
HIDDEN, HEADS, LAYERS, INTER, MAX_POS = 64, 4, 2, 128, 128
EPS = 1e-12

STOP = set('''a about above after again all am an and any are as at be been being both but by can could did do does
doing down during each few for from further had has have having he her here hers him his how i if in into is it its
itself just let me more most my no nor not now of off on once only or other our out over own same she should so some
such than that the their them then there these they this those through to too under until up very was we were what
when where which while who whom why will with would you your yours also may might must shall us'''.split())


# ---- tokenizer: what tokenizer.json below makes src/tokenizer (and Hugging Face tokenizers) do ----

def normalize(text):
    """BertNormalizer(lowercase, strip_accents, clean_text)."""
    text = ''.join(' ' if c in '\t\n\r' else c for c in text if not (ord(c) == 0 or ord(c) == 0xFFFD or unicodedata.category(c) in ('Cc', 'Cf') and c not in '\t\n\r'))
    text = unicodedata.normalize('NFD', text.lower())
    return ''.join(c for c in text if unicodedata.category(c) != 'Mn')


def is_punct(c):
    o = ord(c)
    return 33 <= o <= 47 or 58 <= o <= 64 or 91 <= o <= 96 or 123 <= o <= 126 or unicodedata.category(c).startswith('P')


def pre_tokenize(text):
    """BertPreTokenizer: split on whitespace, every punctuation character a word of its own."""
    out = []
    for chunk in normalize(text).split():
        cur = ''
        for c in chunk:
            if is_punct(c):
                if cur:
                    out.append(cur)
                out.append(c)
                cur = ''
            else:
                cur += c
        if cur:
            out.append(cur)
    return out


def wordpiece(word, vocab):
    if len(word) > 100:
        return [UNK]
    pieces, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            piece = word[start:end] if start == 0 else '##' + word[start:end]
            if piece in vocab:
                found = vocab[piece]
                break
            end -= 1
        if found is None:
            return [UNK]
        pieces.append(found)
        start = end
    return pieces


def encode(text, vocab):
    return [i for w in pre_tokenize(text) for i in wordpiece(w, vocab)]


def build_vocab(texts):
    words = set()
    for t in texts:
        words.update(pre_tokenize(t))
    chars = sorted({c for w in words for c in w} | set('abcdefghijklmnopqrstuvwxyz0123456789'))
    tokens = SPECIAL + sorted(w for w in words if len(w) > 1) + chars + ['##' + c for c in chars]
    seen, vocab = set(), []
    for t in tokens:
        if t not in seen:
            seen.add(t)
            vocab.append(t)
    return {t: i for i, t in enumerate(vocab)}


def tokenizer_json(vocab):
    return {
        'version': '1.0', 'truncation': None, 'padding': None,
        'added_tokens': [{'id': i, 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False, 'special': True} for i, t in enumerate(SPECIAL)],
        'normalizer': {'type': 'BertNormalizer', 'clean_text': True, 'handle_chinese_chars': True, 'strip_accents': True, 'lowercase': True},
        'pre_tokenizer': {'type': 'BertPreTokenizer'},
        'post_processor': None,
        'decoder': {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
        'model': {'type': 'WordPiece', 'unk_token': '[UNK]', 'continuing_subword_prefix': '##', 'max_input_chars_per_word': 100, 'vocab': vocab},
    }


# ---- labels ----

def labelled_words(record):
    """(word, keep) for each whitespace word of the completion, as the scorer splits it (words.ts)."""
    text = record['completion']
    facts = [(s['start'], s['end']) for s in record.get('scores', {}).get('fact', [])]
    sentences = [(m.start(), m.end()) for m in re.finditer(r'[^.!?]+[.!?]*', text)]
    fact_sentences = [s for s in sentences if any(a < s[1] and b > s[0] for a, b in facts)]
    out = []
    for m in re.finditer(r'\S+', text):
        a, b = m.start(), m.end()
        in_fact = any(fa < b and fb > a for fa, fb in facts)
        core = re.sub(r'[^A-Za-z0-9]', '', m.group()).lower()
        content = core != '' and core not in STOP and any(sa <= a < sb for sa, sb in fact_sentences)
        out.append((m.group(), 1 if in_fact or content else 0))
    return out


def examples(records, vocab):
    """[CLS] sub-words [SEP] rows with a label per sub-word (-100 on the special tokens)."""
    rows = []
    limit = MAX_POS - 2
    for r in records:
        ids, labels = [], []
        for word, keep in labelled_words(r):
            pieces = encode(word, vocab)
            if len(ids) + len(pieces) > limit:
                rows.append((ids, labels))
                ids, labels = [], []
            ids += pieces
            labels += [keep] * len(pieces)
        if ids:
            rows.append((ids, labels))
    return [([CLS] + i + [SEP], [-100] + l + [-100]) for i, l in rows]


# ---- model ----

class Bert(torch.nn.Module):
    """BertForTokenClassification's forward (modeling_bert.py, post-LN, erf GELU), dropout off."""

    def __init__(self, vocab_size):
        super().__init__()
        H = HIDDEN
        self.word = torch.nn.Embedding(vocab_size, H)
        self.pos = torch.nn.Embedding(MAX_POS, H)
        self.types = torch.nn.Embedding(2, H)
        self.emb_norm = torch.nn.LayerNorm(H, eps=EPS)
        self.layers = torch.nn.ModuleList()
        for _ in range(LAYERS):
            self.layers.append(torch.nn.ModuleDict({
                'query': torch.nn.Linear(H, H), 'key': torch.nn.Linear(H, H), 'value': torch.nn.Linear(H, H),
                'attn_out': torch.nn.Linear(H, H), 'attn_norm': torch.nn.LayerNorm(H, eps=EPS),
                'up': torch.nn.Linear(H, INTER), 'down': torch.nn.Linear(INTER, H), 'out_norm': torch.nn.LayerNorm(H, eps=EPS),
            }))
        self.classifier = torch.nn.Linear(H, 2)
        for m in self.modules():  # BERT's initialisation: N(0, 0.02), zero biases
            if isinstance(m, (torch.nn.Linear, torch.nn.Embedding)):
                torch.nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, torch.nn.Linear):
                torch.nn.init.zeros_(m.bias)

    def forward(self, ids, mask):
        B, T = ids.shape
        dh = HIDDEN // HEADS
        x = self.word(ids) + self.pos(torch.arange(T)[None, :]) + self.types(torch.zeros_like(ids))
        x = self.emb_norm(x)
        additive = (1.0 - mask.float())[:, None, None, :] * -1e9
        for l in self.layers:
            def heads(y):
                return y.view(B, T, HEADS, dh).permute(0, 2, 1, 3)
            q, k, v = heads(l['query'](x)), heads(l['key'](x)), heads(l['value'](x))
            ctx = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + additive, dim=-1) @ v
            a = l['attn_norm'](x + l['attn_out'](ctx.permute(0, 2, 1, 3).reshape(B, T, HIDDEN)))
            x = l['out_norm'](a + l['down'](torch.nn.functional.gelu(l['up'](a))))
        return self.classifier(x)

    def hf_state(self):
        """The tensors under transformers' names for BertForTokenClassification."""
        w, e = {}, 'bert.embeddings.'
        w[e + 'word_embeddings.weight'] = self.word.weight
        w[e + 'position_embeddings.weight'] = self.pos.weight
        w[e + 'token_type_embeddings.weight'] = self.types.weight
        w[e + 'LayerNorm.weight'], w[e + 'LayerNorm.bias'] = self.emb_norm.weight, self.emb_norm.bias
        names = {'query': 'attention.self.query', 'key': 'attention.self.key', 'value': 'attention.self.value',
                 'attn_out': 'attention.output.dense', 'attn_norm': 'attention.output.LayerNorm',
                 'up': 'intermediate.dense', 'down': 'output.dense', 'out_norm': 'output.LayerNorm'}
        for i, l in enumerate(self.layers):
            for ours, theirs in names.items():
                w[f'bert.encoder.layer.{i}.{theirs}.weight'] = l[ours].weight
                w[f'bert.encoder.layer.{i}.{theirs}.bias'] = l[ours].bias
        w['classifier.weight'], w['classifier.bias'] = self.classifier.weight, self.classifier.bias
        return {k: v.detach().float().contiguous() for k, v in w.items()}


def batch(rows):
    T = max(len(i) for i, _ in rows)
    ids = torch.tensor([i + [PAD] * (T - len(i)) for i, _ in rows])
    labels = torch.tensor([l + [-100] * (T - len(l)) for _, l in rows])
    mask = torch.tensor([[1] * len(i) + [0] * (T - len(i)) for i, _ in rows])
    return ids, labels, mask


def scores(model, rows):
    """Sub-word accuracy, precision, recall and F1 of keep (p > 0.5) against the labels."""
    tp = fp = fn = right = n = 0
    with torch.no_grad():
        for i in range(0, len(rows), 64):
            ids, labels, mask = batch(rows[i:i + 64])
            pred = model(ids, mask).argmax(-1)
            on = labels != -100
            tp += int(((pred == 1) & (labels == 1) & on).sum())
            fp += int(((pred == 1) & (labels == 0) & on).sum())
            fn += int(((pred == 0) & (labels == 1) & on).sum())
            right += int(((pred == labels) & on).sum())
            n += int(on.sum())
    p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
    return {'accuracy': round(right / n, 4), 'precision': round(p, 4), 'recall': round(r, 4), 'f1': round(2 * p * r / max(1e-9, p + r), 4), 'tokens': n}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(ROOT, 'assets', 'llmlingua2'))
    ap.add_argument('--epochs', type=int, default=4)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--seed', type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    started = time.time()

    def read(name):
        with open(os.path.join(DATA, name)) as f:
            return [json.loads(line) for line in f if line.strip()]
    train, held = read('train.jsonl'), read('eval.jsonl')
    with open(CORPUS) as f:
        corpus = f.read()
    vocab = build_vocab([corpus] + [r['prompt'] + ' ' + r['completion'] for r in train + held])
    train_rows, held_rows = examples(train, vocab), examples(held, vocab)

    model = Bert(len(vocab))
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = args.epochs * math.ceil(len(train_rows) / args.batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(1, steps // 20)) * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    gen = torch.Generator().manual_seed(args.seed)
    losses = []
    for epoch in range(args.epochs):
        order = torch.randperm(len(train_rows), generator=gen).tolist()
        for i in range(0, len(order), args.batch):
            ids, labels, mask = batch([train_rows[j] for j in order[i:i + args.batch]])
            loss = torch.nn.functional.cross_entropy(model(ids, mask).reshape(-1, 2), labels.reshape(-1), ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            losses.append(loss.item())
        print(f'epoch {epoch + 1}: train loss {sum(losses[-20:]) / len(losses[-20:]):.4f}', flush=True)
    model.eval()

    os.makedirs(args.out, exist_ok=True)
    config = {
        'model_type': 'bert', 'architectures': ['BertForTokenClassification'],
        'vocab_size': len(vocab), 'hidden_size': HIDDEN, 'num_hidden_layers': LAYERS, 'num_attention_heads': HEADS,
        'intermediate_size': INTER, 'hidden_act': 'gelu', 'max_position_embeddings': MAX_POS, 'type_vocab_size': 2,
        'layer_norm_eps': EPS, 'pad_token_id': PAD, 'position_embedding_type': 'absolute',
        'id2label': {'0': 'LABEL_0', '1': 'LABEL_1'}, 'label2id': {'LABEL_0': 0, 'LABEL_1': 1},
    }
    special = {'cls_token': '[CLS]', 'sep_token': '[SEP]', 'pad_token': '[PAD]', 'unk_token': '[UNK]', 'mask_token': '[MASK]'}
    files = {
        'config.json': config,
        'tokenizer.json': tokenizer_json(vocab),
        'tokenizer_config.json': {**special, 'do_lower_case': True, 'model_max_length': MAX_POS, 'tokenizer_class': 'BertTokenizerFast'},
        'special_tokens_map.json': special,
    }
    for name, value in files.items():
        with open(os.path.join(args.out, name), 'w') as f:
            json.dump(value, f, indent=1 if name != 'tokenizer.json' else None, ensure_ascii=False)
            f.write('\n')
    write_safetensors(os.path.join(args.out, 'model.safetensors'), sorted(model.hf_state().items()), {'format': 'pt'})
    log = {
        'command': 'make_encoder.py ' + ' '.join(f'--{k} {v}' for k, v in vars(args).items() if k != 'out'),
        'torch': torch.__version__, 'vocab': len(vocab), 'parameters': sum(p.numel() for p in model.parameters()),
        'train_rows': len(train_rows), 'updates': steps, 'final_train_loss': round(sum(losses[-20:]) / len(losses[-20:]), 4),
        'train': scores(model, train_rows), 'heldout_eval_jsonl': scores(model, held_rows),
        'seconds': round(time.time() - started, 1),
    }
    with open(os.path.join(args.out, 'make.json'), 'w') as f:
        json.dump(log, f, indent=1)
        f.write('\n')
    print(json.dumps(log, indent=1))


if __name__ == '__main__':
    main()
