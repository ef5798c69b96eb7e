"""Plain-PyTorch GPT-2 and Llama with Hugging Face's weight names and the safetensors layout, as
sftgoc's TensorFlow.js models compute them (src/model/): no `transformers` needed. GPT-2: learned
positions, pre-LayerNorm blocks, tanh-GELU (or erf GELU for "gelu"), Conv1D weights [in, out],
lm_head tied to wte. Llama: RMSNorm, rotary positions (rotate_half, tables in float64), SwiGLU,
grouped-query attention, nn.Linear weights [out, in], lm_head tied or not. No dropout.

safetensors is read and written by hand (8-byte little-endian header length, JSON header, raw
little-endian bytes), so the `safetensors` package is not needed either.
"""
import json
import math
import os
import struct

import torch

DTYPES = {'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16, 'F64': torch.float64}
NAMES = {v: k for k, v in DTYPES.items()}
MAX_HEADER = 100 * 1024 * 1024


def read_safetensors(path):
    """name -> float32 tensor, and the metadata. Errors name the file."""
    with open(path, 'rb') as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError('%s: too short to be a safetensors file' % path)
    (n,) = struct.unpack('<Q', raw[:8])
    if n > MAX_HEADER or 8 + n > len(raw):
        raise ValueError('%s: header length %d is not plausible' % (path, n))
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    body = memoryview(raw)[8 + n:]
    out = {}
    for name, entry in header.items():
        if name == '__metadata__':
            continue
        dtype = DTYPES.get(entry['dtype'])
        if dtype is None:
            raise ValueError('%s: tensor %s has dtype %s; expected F32, F16, BF16 or F64' % (path, name, entry['dtype']))
        start, end = entry['data_offsets']
        chunk = bytearray(body[start:end])
        if dtype == torch.bfloat16:
            t = torch.frombuffer(chunk, dtype=torch.int16).view(torch.bfloat16) if chunk else torch.zeros(0, dtype=torch.bfloat16)
        else:
            t = torch.frombuffer(chunk, dtype=dtype) if chunk else torch.zeros(0, dtype=dtype)
        out[name] = t.reshape(entry['shape']).to(torch.float32)
    return out, header.get('__metadata__', {})


def write_safetensors(path, tensors, metadata):
    """tensors: list of (name, tensor), written as F32; compact JSON header padded to 8 bytes."""
    header = {'__metadata__': metadata}
    blobs = []
    offset = 0
    for name, t in tensors:
        data = t.detach().to('cpu', torch.float32).contiguous().numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(',', ':'))
    text += ' ' * ((-len(text.encode('utf-8'))) % 8)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(text.encode('utf-8'))))
        f.write(text.encode('utf-8'))
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


class CausalLM(torch.nn.Module):
    """Weights by Hugging Face name (self.w); subclasses compute hidden states and name the output embedding."""

    def __init__(self, config, shapes):
        super().__init__()
        self.config = config
        self.names = list(shapes)
        self.weights = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(s)) for s in shapes.values()])
        self.w = dict(zip(self.names, self.weights))

    def load(self, tensors, where):
        problems = []
        for name, p in self.w.items():
            t = tensors.get(name)
            if t is None:
                problems.append('%s: missing tensor %r' % (where, name))
            elif list(t.shape) != list(p.shape):
                problems.append('%s: %r has shape %s, expected %s' % (where, name, list(t.shape), list(p.shape)))
            else:
                with torch.no_grad():
                    p.copy_(t)
        if problems:
            raise ValueError('\n'.join(problems))

    def named_weights(self):
        return list(self.w.items())


def _attention(q, k, v):
    """softmax(q·kᵀ/√d + causal)·v; q [b, h, s, d], k and v [b, kv, s, d] (grouped-query when kv < h)."""
    b, h, s, d = q.shape
    rep = h // k.shape[1]
    if rep > 1:
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
    scores = q @ k.transpose(-1, -2) / math.sqrt(d)
    future = torch.triu(torch.ones(s, s, dtype=torch.bool, device=q.device), diagonal=1)
    scores = scores.masked_fill(future, -1e9)
    return torch.softmax(scores, dim=-1) @ v


def _split(x, heads):
    b, s, w = x.shape
    return x.view(b, s, heads, w // heads).transpose(1, 2)


def _merge(x):
    b, h, s, d = x.shape
    return x.transpose(1, 2).reshape(b, s, h * d)


# LayerNorm, GELU and Conv1D's x·W + b as PyTorch's own fused kernels (the functions they compute
# are the formulas of src/model/: (x − mean)/√(var + eps)·γ + β with the biased variance, and
# 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) or 0.5·x·(1 + erf(x/√2))). Written out as elementwise
# ops, each was several passes and saved tensors: the toy CPU step took 30 ms against 26 fused.
# Under torch.autocast (train.precision = "bf16") layer_norm runs in float32, as in transformers.
def _layer_norm(x, weight, bias, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), weight, bias, eps)


def _gelu_tanh(x):
    return torch.nn.functional.gelu(x, approximate='tanh')


def _gelu_erf(x):
    return torch.nn.functional.gelu(x)


def _conv1d(x, weight, bias):
    """x·W + b for HF's Conv1D layout (W [in, out]) as one addmm, as transformers' Conv1D does."""
    out = torch.addmm(bias, x.reshape(-1, x.shape[-1]), weight)
    return out.view(*x.shape[:-1], weight.shape[-1])


# ---------------------------------------------------------------- cached decode (generation)
#
# Generation runs the same weights and formulas as hidden() above, but over a key/value cache so a
# step costs one token's work. hidden() itself is untouched: training keeps its exact arithmetic.
# Rows are LEFT-padded to one prompt length: every row's newest token then sits in the same cache
# column, so one write per step serves the whole batch; each row's positions count from its own
# first real token (GPT-2's wpe row, Llama's rotary angle), and pad columns are masked out of every
# softmax, so a row decodes as it would alone.


class KVCache:
    """Per layer keys and values [rows, kv_heads, capacity, head_dim], the valid columns per row
    (False on left padding), and how many columns are filled."""

    def __init__(self, layers, rows, kv_heads, capacity, head_dim, device, dtype=torch.float32):
        self.k = [torch.zeros(rows, kv_heads, capacity, head_dim, device=device, dtype=dtype) for _ in range(layers)]
        self.v = [torch.zeros(rows, kv_heads, capacity, head_dim, device=device, dtype=dtype) for _ in range(layers)]
        self.valid = torch.zeros(rows, capacity, dtype=torch.bool, device=device)
        self.capacity = capacity
        self.filled = 0

    def mask(self, s):
        """[rows, 1, 1, s, filled + s]: key j is seen by the query in column filled + i when j is a real
        token and j ≤ filled + i (causal)."""
        total = self.filled + s
        cols = torch.arange(total, device=self.valid.device)
        rows_q = torch.arange(self.filled, total, device=self.valid.device)
        causal = cols[None, :] <= rows_q[:, None]
        return (causal[None, :, :] & self.valid[:, None, :total])[:, None, None, :, :]


def _cached_attention(q, k_new, v_new, cache, layer, mask):
    """q [b, h, s, d] and the new k, v [b, kv, s, d]: writes k, v into the cache's next s columns and
    attends over every filled column. Grouped-query heads are attended by viewing q as
    [b, kv, rep·s, d] (query head j·rep + r reads kv head j, as repeat_interleave), not by copying k, v."""
    b, h, s, d = q.shape
    kv = k_new.shape[1]
    rep = h // kv
    start = cache.filled
    cache.k[layer][:, :, start:start + s] = k_new
    cache.v[layer][:, :, start:start + s] = v_new
    k = cache.k[layer][:, :, :start + s]
    v = cache.v[layer][:, :, :start + s]
    scores = (q.reshape(b, kv, rep * s, d) @ k.transpose(-1, -2) / math.sqrt(d)).view(b, kv, rep, s, start + s)
    # -1e9 as in _attention: a fully masked row (a pad query) stays finite; its output is never read.
    scores = scores.masked_fill(~mask, -1e9)
    out = torch.softmax(scores, dim=-1).view(b, kv, rep * s, start + s) @ v
    return out.view(b, h, s, d)


class GPT2(CausalLM):
    @staticmethod
    def shapes(c):
        h, inner = c['n_embd'], c.get('n_inner') or 4 * c['n_embd']
        s = {'transformer.wte.weight': [c['vocab_size'], h], 'transformer.wpe.weight': [c['n_positions'], h]}
        for i in range(c['n_layer']):
            p = 'transformer.h.%d.' % i
            s.update({p + 'ln_1.weight': [h], p + 'ln_1.bias': [h], p + 'attn.c_attn.weight': [h, 3 * h], p + 'attn.c_attn.bias': [3 * h],
                      p + 'attn.c_proj.weight': [h, h], p + 'attn.c_proj.bias': [h], p + 'ln_2.weight': [h], p + 'ln_2.bias': [h],
                      p + 'mlp.c_fc.weight': [h, inner], p + 'mlp.c_fc.bias': [inner], p + 'mlp.c_proj.weight': [inner, h], p + 'mlp.c_proj.bias': [h]})
        s.update({'transformer.ln_f.weight': [h], 'transformer.ln_f.bias': [h]})
        return s

    def __init__(self, config):
        super().__init__(config, GPT2.shapes(config))
        self.act = _gelu_erf if config.get('activation_function') == 'gelu' else _gelu_tanh

    def hidden(self, ids):
        c, w = self.config, self.w
        seq = ids.shape[1]
        if seq > c['n_positions']:
            raise ValueError('gpt2: sequence length %d exceeds n_positions %d' % (seq, c['n_positions']))
        x = w['transformer.wte.weight'][ids] + w['transformer.wpe.weight'][torch.arange(seq, device=ids.device)]
        return self._blocks(x, lambda q, k, v, i: _attention(q, k, v))

    def _blocks(self, x, attend):
        """The blocks and the final norm over embeddings x; attend(q, k, v, layer) is the attention
        (plain causal for training, over the key/value cache for generation)."""
        c, w = self.config, self.w
        eps, heads = c.get('layer_norm_epsilon', 1e-5), c['n_head']
        for i in range(c['n_layer']):
            p = 'transformer.h.%d.' % i
            a = _layer_norm(x, w[p + 'ln_1.weight'], w[p + 'ln_1.bias'], eps)
            q, k, v = _conv1d(a, w[p + 'attn.c_attn.weight'], w[p + 'attn.c_attn.bias']).split(c['n_embd'], dim=-1)
            x = x + _conv1d(_merge(attend(_split(q, heads), _split(k, heads), _split(v, heads), i)), w[p + 'attn.c_proj.weight'], w[p + 'attn.c_proj.bias'])
            m = _layer_norm(x, w[p + 'ln_2.weight'], w[p + 'ln_2.bias'], eps)
            x = x + _conv1d(self.act(_conv1d(m, w[p + 'mlp.c_fc.weight'], w[p + 'mlp.c_fc.bias'])), w[p + 'mlp.c_proj.weight'], w[p + 'mlp.c_proj.bias'])
        return _layer_norm(x, w['transformer.ln_f.weight'], w['transformer.ln_f.bias'], eps)

    def output_embedding(self):
        return self.w['transformer.wte.weight']

    def hidden_cached(self, ids, positions, cache):
        """Hidden states [b, s, width] of ids [b, s] at per-row positions [b, s], whose keys and values go
        into the cache's next s columns (the caller advances cache.filled)."""
        w = self.w
        mask = cache.mask(ids.shape[1])
        x = w['transformer.wte.weight'][ids] + w['transformer.wpe.weight'][positions]
        return self._blocks(x, lambda q, k, v, i: _cached_attention(q, k, v, cache, i, mask))

    def cache_layout(self):
        c = self.config
        return c['n_layer'], c['n_head'], c['n_embd'] // c['n_head']

    def max_positions(self):
        return self.config['n_positions']


def _rms_norm(x, weight, eps):
    return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps) * weight


def _rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Llama(CausalLM):
    @staticmethod
    def shapes(c):
        h, inner = c['hidden_size'], c['intermediate_size']
        heads = c['num_attention_heads']
        kv = (h // heads) * c.get('num_key_value_heads', heads)
        s = {'model.embed_tokens.weight': [c['vocab_size'], h]}
        for i in range(c['num_hidden_layers']):
            p = 'model.layers.%d.' % i
            s.update({p + 'input_layernorm.weight': [h], p + 'self_attn.q_proj.weight': [h, h], p + 'self_attn.k_proj.weight': [kv, h],
                      p + 'self_attn.v_proj.weight': [kv, h], p + 'self_attn.o_proj.weight': [h, h], p + 'post_attention_layernorm.weight': [h],
                      p + 'mlp.gate_proj.weight': [inner, h], p + 'mlp.up_proj.weight': [inner, h], p + 'mlp.down_proj.weight': [h, inner]})
        s['model.norm.weight'] = [h]
        if not c.get('tie_word_embeddings', False):
            s['lm_head.weight'] = [c['vocab_size'], h]
        return s

    def __init__(self, config):
        super().__init__(config, Llama.shapes(config))
        self._rope = {}

    def rope(self, seq, device):
        key = (seq, str(device))
        if key not in self._rope:
            c = self.config
            dim = c['hidden_size'] // c['num_attention_heads']
            inv = torch.tensor([c.get('rope_theta', 10000.0) ** (-2 * i / dim) for i in range(dim // 2)], dtype=torch.float64)
            angles = torch.arange(seq, dtype=torch.float64)[:, None] * inv[None, :]
            emb = torch.cat((angles, angles), dim=-1)
            self._rope[key] = (emb.cos().float().to(device), emb.sin().float().to(device))
        return self._rope[key]

    def hidden(self, ids):
        w = self.w
        cos, sin = self.rope(ids.shape[1], ids.device)
        return self._blocks(w['model.embed_tokens.weight'][ids], cos, sin, lambda q, k, v, i: _attention(q, k, v))

    def _blocks(self, x, cos, sin, attend):
        """The blocks and the final norm over embeddings x, rotary tables cos/sin broadcast over the
        heads; attend(q, k, v, layer) as in GPT2._blocks."""
        c, w = self.config, self.w
        eps = c.get('rms_norm_eps', 1e-6)
        heads = c['num_attention_heads']
        kv_heads = c.get('num_key_value_heads', heads)
        for i in range(c['num_hidden_layers']):
            p = 'model.layers.%d.' % i
            a = _rms_norm(x, w[p + 'input_layernorm.weight'], eps)
            q = _split(a @ w[p + 'self_attn.q_proj.weight'].T, heads)
            k = _split(a @ w[p + 'self_attn.k_proj.weight'].T, kv_heads)
            v = _split(a @ w[p + 'self_attn.v_proj.weight'].T, kv_heads)
            q = q * cos + _rotate_half(q) * sin
            k = k * cos + _rotate_half(k) * sin
            x = x + _merge(attend(q, k, v, i)) @ w[p + 'self_attn.o_proj.weight'].T
            m = _rms_norm(x, w[p + 'post_attention_layernorm.weight'], eps)
            gate = m @ w[p + 'mlp.gate_proj.weight'].T
            x = x + (gate * torch.sigmoid(gate) * (m @ w[p + 'mlp.up_proj.weight'].T)) @ w[p + 'mlp.down_proj.weight'].T
        return _rms_norm(x, w['model.norm.weight'], eps)

    def output_embedding(self):
        return self.w['model.embed_tokens.weight' if self.config.get('tie_word_embeddings', False) else 'lm_head.weight']

    def hidden_cached(self, ids, positions, cache):
        """Hidden states [b, s, width] of ids [b, s] at per-row positions [b, s], whose keys and values go
        into the cache's next s columns (the caller advances cache.filled)."""
        w = self.w
        mask = cache.mask(ids.shape[1])
        # The same float64-built tables as training, one row per position; each row reads its own. No
        # position reaches the cache's capacity, so a table of that length (not the model's maximum,
        # 128k rows for some llamas) serves.
        cos_t, sin_t = self.rope(cache.capacity, ids.device)
        cos, sin = cos_t[positions][:, None], sin_t[positions][:, None]
        return self._blocks(w['model.embed_tokens.weight'][ids], cos, sin, lambda q, k, v, i: _cached_attention(q, k, v, cache, i, mask))

    def cache_layout(self):
        c = self.config
        heads = c['num_attention_heads']
        return c['num_hidden_layers'], c.get('num_key_value_heads', heads), c['hidden_size'] // heads

    def max_positions(self):
        return self.config.get('max_position_embeddings', 2048)


class Decoder:
    """Prefill then one token per step for a batch of prompts of different lengths (left-padded).

        dec = Decoder(model, prompts, max_new, device)
        logits = dec.prefill()          # [rows, vocab] float32: the next-token logits of every prompt
        logits = dec.step(next_ids)     # next_ids [rows] long: appends one token per row
    """

    def __init__(self, model, prompts, max_new, device):
        self.model = model
        self.device = device
        self.lengths = [len(p) for p in prompts]
        width = max(self.lengths)
        layers, kv_heads, head_dim = model.cache_layout()
        self.cache = KVCache(layers, len(prompts), kv_heads, width + max_new, head_dim, device)
        ids = torch.zeros(len(prompts), width, dtype=torch.long)
        for r, p in enumerate(prompts):
            ids[r, width - len(p):] = torch.tensor(p, dtype=torch.long)
            self.cache.valid[r, width - len(p):width] = True
        self.ids = ids.to(device)
        pad = torch.tensor([width - n for n in self.lengths], dtype=torch.long)
        # Pad columns get position 0 (any valid row of the table); they are masked out anyway.
        self.positions = (torch.arange(width)[None, :] - pad[:, None]).clamp(min=0).to(device)
        self.next_position = torch.tensor(self.lengths, dtype=torch.long, device=device)

    def _logits(self, ids, positions):
        h = self.model.hidden_cached(ids, positions, self.cache)
        self.cache.filled += ids.shape[1]
        return h[:, -1] @ self.model.output_embedding().T

    @torch.no_grad()
    def prefill(self):
        return self._logits(self.ids, self.positions)

    @torch.no_grad()
    def step(self, next_ids):
        col = self.cache.filled
        self.cache.valid[:, col] = True
        logits = self._logits(next_ids.to(self.device)[:, None], self.next_position[:, None])
        self.next_position += 1
        return logits


def load_model(directory):
    """A gpt2 or llama model from a Hugging Face directory (config.json + model.safetensors), float32."""
    with open(os.path.join(directory, 'config.json')) as f:
        config = json.load(f)
    kind = config.get('model_type')
    if kind == 'gpt2':
        model = GPT2(config)
    elif kind == 'llama':
        model = Llama(config)
    else:
        raise ValueError('%s/config.json: model_type %r is not supported (gpt2, llama)' % (directory, kind))
    tensors, _ = read_safetensors(os.path.join(directory, 'model.safetensors'))
    model.load(tensors, os.path.join(directory, 'model.safetensors'))
    return model


def save_model(model, directory, config):
    """model.safetensors (F32) and config.json, the way transformers and sftgoc's tfjs engine read them."""
    write_safetensors(os.path.join(directory, 'model.safetensors'), model.named_weights(), {'format': 'pt'})
    with open(os.path.join(directory, 'config.json'), 'w') as f:
        json.dump(config, f, indent=2)
        f.write('\n')


# A head of at most this many logits (N × V, one chunk) keeps its log-probabilities from the forward
# for the backward instead of recomputing them (128 MB in float32); larger ones recompute, chunk by
# chunk, so that no more than one chunk's logits ever exist.
KEEP_LOGP_FLOATS = 1 << 25


class ChunkedHead(torch.autograd.Function):
    """Per-token ce (and, when asked, entropy) of softmax(h·Wᵀ) for N rows, computed `chunk` rows at
    a time, so at most chunk × V logits exist at once (the full [N, V] logits of a long batch and a
    128k vocabulary would not fit). The backward recomputes them, except for a head of one chunk
    and at most KEEP_LOGP_FLOATS logits, which keeps them (one product and one log-softmax fewer a
    step). The plain reference is plain_head() below; the test suite compares the two, values and
    gradients, both ways.
      ce_t = lse_t − l_t[y_t]        ∂ce/∂l = p − onehot(y)
      H_t  = lse_t − Σ p·l           ∂H/∂l  = −p ⊙ (l − Σ p·l)
    """

    @staticmethod
    def forward(ctx, hidden, weight, targets, chunk, entropy=True):
        ces, ents = [], []
        n = hidden.shape[0]
        keep = n <= chunk and n * weight.shape[0] <= KEEP_LOGP_FLOATS
        kept = ()
        for a in range(0, n, chunk):
            logits = hidden[a:a + chunk] @ weight.T
            logp = torch.log_softmax(logits, dim=-1)
            ces.append(-logp.gather(1, targets[a:a + chunk, None])[:, 0])
            if entropy:
                ents.append(-(logp.exp() * logp).sum(-1))
            if keep:
                kept = (logits, logp)
        ctx.save_for_backward(hidden, weight, targets, *kept)
        ctx.chunk = chunk
        # An unused output (the entropy, for most objectives) gets None, not zeros: no work for it.
        ctx.set_materialize_grads(False)
        empty = hidden.new_zeros(0)
        return (torch.cat(ces) if ces else empty), (torch.cat(ents) if ents else empty)

    @staticmethod
    def backward(ctx, g_ce, g_ent):
        hidden, weight, targets, *kept = ctx.saved_tensors
        chunk = ctx.chunk
        g_hidden = torch.zeros_like(hidden)
        g_weight = torch.zeros_like(weight)
        for a in range(0, hidden.shape[0], chunk):
            h = hidden[a:a + chunk]
            logits, logp = kept if kept else (None, None)
            if logp is None:
                logits = h @ weight.T
                logp = torch.log_softmax(logits, dim=-1)
            p = logp.exp()
            if g_ce is not None:
                d = p * g_ce[a:a + chunk, None]
                d.scatter_add_(1, targets[a:a + chunk, None], -g_ce[a:a + chunk, None])
            else:
                d = torch.zeros_like(p)
            if g_ent is not None:
                mean_l = (p * logits).sum(-1, keepdim=True)
                d = d - g_ent[a:a + chunk, None] * p * (logits - mean_l)
            g_hidden[a:a + chunk] = d @ weight
            g_weight += d.T @ h
        return g_hidden, g_weight, None, None, None


def plain_head(hidden, weight, targets):
    """The reference: full logits, log-softmax, autograd."""
    logp = torch.log_softmax(hidden @ weight.T, dim=-1)
    return -logp.gather(1, targets[:, None])[:, 0], -(logp.exp() * logp).sum(-1)


HEAD_CHUNK = 4096


def token_stats(model, ids, rows, targets, entropy, chunk=HEAD_CHUNK, bf16=False):
    """ce (and entropy) [N] of the loss tokens only: their hidden rows are gathered before the head.
    bf16 (train.precision = "bf16"): the trunk runs under torch.autocast, its products in bfloat16
    (oneDNN on the CPU); the hidden states come back to float32 for the head, whose products and
    softmax stay float32, as do the objective and the optimizer."""
    with torch.autocast(device_type=ids.device.type, dtype=torch.bfloat16, enabled=bf16):
        hidden = model.hidden(ids)
    flat = hidden.float().reshape(-1, hidden.shape[-1])[rows]
    ce, ent = ChunkedHead.apply(flat, model.output_embedding(), targets, chunk, bool(entropy))
    return ce, (ent if entropy else None)
