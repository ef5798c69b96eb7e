#!/usr/bin/env python3
"""Reference fixtures for the TensorFlow.js models in src/model/.

An independent plain-PyTorch implementation of GPT-2 and Llama (no `transformers`, which is not
installed here; the formulas follow transformers' modeling_gpt2.py and modeling_llama.py) builds a
tiny model of each with seeded random weights, writes it as a Hugging Face directory
(config.json + model.safetensors, the safetensors written by hand with struct + json), and writes
input ids with the reference logits, loss and a few gradients to reference.json. Logits are
computed in float64 from exactly the weights stored on disk (after BF16 rounding for llama), so the
only difference the TypeScript side should see is its own float32 arithmetic.

Also writes dtype-cases.json: float32 values and the F16 / BF16 bits torch rounds them to, to check
the TypeScript conversions against torch's rounding.

Run with the Debian python that has torch:  /usr/bin/python3 scripts/reference/make_fixtures.py
The outputs are committed under test/fixtures/models/, so tests need no PyTorch.
"""
import json
import math
import os
import struct
import sys

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'models')
BATCH, SEQ = 2, 8

DTYPE_NAME = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16'}


def write_safetensors(path, tensors, metadata):
    """tensors: list of (name, torch tensor); the format of the Rust reference writer:
    compact JSON, __metadata__ first, tensors in the given order, header padded with spaces to 8."""
    header = {'__metadata__': metadata}
    blobs = []
    offset = 0
    for name, t in tensors:
        t = t.contiguous().cpu()
        if t.dtype in (torch.float16, torch.bfloat16):
            raw = t.view(torch.int16).numpy().tobytes()  # numpy has no bfloat16: reinterpret the bits
        else:
            raw = t.numpy().astype('<f4').tobytes()
        header[name] = {'dtype': DTYPE_NAME[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(',', ':'))
    text += ' ' * ((-len(text.encode('utf-8'))) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text.encode('utf-8'))))
        f.write(text.encode('utf-8'))
        for b in blobs:
            f.write(b)


# ---------------------------------------------------------------- GPT-2

def gpt2_weights(cfg, gen):
    h, inner, layers = cfg['n_embd'], cfg['n_inner'], cfg['n_layer']

    def rnd(*shape, std=0.3):
        return torch.randn(*shape, generator=gen) * std

    w = {'transformer.wte.weight': rnd(cfg['vocab_size'], h), 'transformer.wpe.weight': rnd(cfg['n_positions'], h, std=0.1)}
    for i in range(layers):
        p = f'transformer.h.{i}.'
        w[p + 'ln_1.weight'] = 1 + rnd(h, std=0.1)
        w[p + 'ln_1.bias'] = rnd(h, std=0.1)
        w[p + 'attn.c_attn.weight'] = rnd(h, 3 * h)  # Conv1D: [in, out]
        w[p + 'attn.c_attn.bias'] = rnd(3 * h, std=0.1)
        w[p + 'attn.c_proj.weight'] = rnd(h, h)
        w[p + 'attn.c_proj.bias'] = rnd(h, std=0.1)
        w[p + 'ln_2.weight'] = 1 + rnd(h, std=0.1)
        w[p + 'ln_2.bias'] = rnd(h, std=0.1)
        w[p + 'mlp.c_fc.weight'] = rnd(h, inner)
        w[p + 'mlp.c_fc.bias'] = rnd(inner, std=0.1)
        w[p + 'mlp.c_proj.weight'] = rnd(inner, h)
        w[p + 'mlp.c_proj.bias'] = rnd(h, std=0.1)
    w['transformer.ln_f.weight'] = 1 + rnd(h, std=0.1)
    w['transformer.ln_f.bias'] = rnd(h, std=0.1)
    return w


def layer_norm(x, weight, bias, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)  # biased, as torch.nn.LayerNorm
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def attention(q, k, v):
    """q, k, v: [batch, heads, seq, dim]; causal softmax attention with explicit loops-free masking."""
    seq, dim = q.shape[2], q.shape[3]
    scores = q @ k.transpose(-1, -2) / math.sqrt(dim)
    future = torch.triu(torch.ones(seq, seq, dtype=torch.bool), diagonal=1)
    scores = scores.masked_fill(future, float('-inf'))
    return torch.softmax(scores, dim=-1) @ v


def split_heads(x, heads):
    b, s, w = x.shape
    return x.view(b, s, heads, w // heads).transpose(1, 2)


def merge_heads(x):
    b, h, s, d = x.shape
    return x.transpose(1, 2).reshape(b, s, h * d)


def gpt2_logits(cfg, w, ids):
    eps, heads = cfg['layer_norm_epsilon'], cfg['n_head']
    seq = ids.shape[1]
    x = w['transformer.wte.weight'][ids] + w['transformer.wpe.weight'][torch.arange(seq)]
    for i in range(cfg['n_layer']):
        p = f'transformer.h.{i}.'
        a = layer_norm(x, w[p + 'ln_1.weight'], w[p + 'ln_1.bias'], eps)
        qkv = a @ w[p + 'attn.c_attn.weight'] + w[p + 'attn.c_attn.bias']
        q, k, v = qkv.split(cfg['n_embd'], dim=-1)
        o = merge_heads(attention(split_heads(q, heads), split_heads(k, heads), split_heads(v, heads)))
        x = x + o @ w[p + 'attn.c_proj.weight'] + w[p + 'attn.c_proj.bias']
        m = layer_norm(x, w[p + 'ln_2.weight'], w[p + 'ln_2.bias'], eps)
        x = x + gelu_new(m @ w[p + 'mlp.c_fc.weight'] + w[p + 'mlp.c_fc.bias']) @ w[p + 'mlp.c_proj.weight'] + w[p + 'mlp.c_proj.bias']
    x = layer_norm(x, w['transformer.ln_f.weight'], w['transformer.ln_f.bias'], eps)
    return x @ w['transformer.wte.weight'].T  # tied lm_head


# ---------------------------------------------------------------- Llama

def llama_weights(cfg, gen):
    h, inner = cfg['hidden_size'], cfg['intermediate_size']
    head_dim = h // cfg['num_attention_heads']
    kv = head_dim * cfg['num_key_value_heads']

    def rnd(*shape, std=0.3):
        return torch.randn(*shape, generator=gen) * std

    w = {'model.embed_tokens.weight': rnd(cfg['vocab_size'], h, std=1.0)}
    for i in range(cfg['num_hidden_layers']):
        p = f'model.layers.{i}.'
        w[p + 'input_layernorm.weight'] = 1 + rnd(h, std=0.1)
        w[p + 'self_attn.q_proj.weight'] = rnd(h, h)  # nn.Linear: [out, in]
        w[p + 'self_attn.k_proj.weight'] = rnd(kv, h)
        w[p + 'self_attn.v_proj.weight'] = rnd(kv, h)
        w[p + 'self_attn.o_proj.weight'] = rnd(h, h)
        w[p + 'post_attention_layernorm.weight'] = 1 + rnd(h, std=0.1)
        w[p + 'mlp.gate_proj.weight'] = rnd(inner, h)
        w[p + 'mlp.up_proj.weight'] = rnd(inner, h)
        w[p + 'mlp.down_proj.weight'] = rnd(h, inner)
    w['model.norm.weight'] = 1 + rnd(h, std=0.1)
    w['lm_head.weight'] = rnd(cfg['vocab_size'], h)  # untied
    return w


def rms_norm(x, weight, eps):
    return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps) * weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rope(x, theta):
    """x: [batch, heads, seq, dim]; HF rotate_half convention, angles p * theta^(-2i/d)."""
    seq, dim = x.shape[2], x.shape[3]
    inv_freq = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    angles = torch.arange(seq, dtype=torch.float64)[:, None] * inv_freq[None, :]
    emb = torch.cat((angles, angles), dim=-1)
    return x * emb.cos().to(x.dtype) + rotate_half(x) * emb.sin().to(x.dtype)


def llama_logits(cfg, w, ids):
    eps, heads, kv_heads = cfg['rms_norm_eps'], cfg['num_attention_heads'], cfg['num_key_value_heads']
    rep = heads // kv_heads
    theta = cfg['rope_theta']
    x = w['model.embed_tokens.weight'][ids]
    for i in range(cfg['num_hidden_layers']):
        p = f'model.layers.{i}.'
        a = rms_norm(x, w[p + 'input_layernorm.weight'], eps)
        q = rope(split_heads(a @ w[p + 'self_attn.q_proj.weight'].T, heads), theta)
        k = rope(split_heads(a @ w[p + 'self_attn.k_proj.weight'].T, kv_heads), theta)
        v = split_heads(a @ w[p + 'self_attn.v_proj.weight'].T, kv_heads)
        # repeat_kv: kv head j serves query heads j*rep .. j*rep+rep-1
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        x = x + merge_heads(attention(q, k, v)) @ w[p + 'self_attn.o_proj.weight'].T
        m = rms_norm(x, w[p + 'post_attention_layernorm.weight'], eps)
        gate = torch.nn.functional.silu(m @ w[p + 'mlp.gate_proj.weight'].T)
        x = x + (gate * (m @ w[p + 'mlp.up_proj.weight'].T)) @ w[p + 'mlp.down_proj.weight'].T
    x = rms_norm(x, w['model.norm.weight'], eps)
    return x @ w['lm_head.weight'].T


# ---------------------------------------------------------------- fixtures

def next_token_ce(logits, ids):
    """Mean cross-entropy of predicting ids[:, t+1] from position t."""
    logp = torch.log_softmax(logits[:, :-1], dim=-1)
    return -logp.gather(-1, ids[:, 1:, None]).mean()


def make_fixture(name, cfg, weights, logits_fn, store_dtype, grad_names, gen):
    out_dir = os.path.join(ROOT, name)
    os.makedirs(out_dir, exist_ok=True)
    stored = {n: t.to(store_dtype) for n, t in weights.items()}
    write_safetensors(os.path.join(out_dir, 'model.safetensors'), list(stored.items()), {'format': 'pt'})
    with open(os.path.join(out_dir, 'config.json'), 'w') as f:
        json.dump(cfg, f, indent=2)
        f.write('\n')

    # float64 from the stored (rounded) weights.
    w64 = {n: t.to(torch.float64).requires_grad_(True) for n, t in stored.items()}
    ids = torch.randint(0, cfg['vocab_size'], (BATCH, SEQ), generator=gen)
    logits = logits_fn(cfg, w64, ids)
    loss = next_token_ce(logits, ids)
    loss.backward()
    ref = {
        'generator': 'scripts/reference/make_fixtures.py',
        'torch_version': torch.__version__,
        'stored_dtype': DTYPE_NAME[store_dtype],
        'input_ids': ids.tolist(),
        'logits': logits.detach().tolist(),
        'loss': loss.item(),
        'loss_definition': 'mean next-token cross-entropy: -log softmax(logits[:, t])[ids[:, t+1]] over t < seq-1',
        'grads': {n: w64[n].grad.flatten().tolist() for n in grad_names},
    }
    with open(os.path.join(out_dir, 'reference.json'), 'w') as f:
        json.dump(ref, f)
        f.write('\n')
    print(f'{name}: {sum(t.numel() for t in stored.values())} weights as {DTYPE_NAME[store_dtype]}, loss {loss.item():.6f}')


def dtype_cases(gen):
    specials = [0.0, -0.0, 1.0, -1.0, 0.1, 1 / 3, 65504.0, 65520.0, 70000.0, 1e-8, 6e-8, 3e-8, 5.96e-8, 6.1e-5,
                1e-40, 3.4e38, -2.5e-6, 1.00048828125, 1.000732421875, 1.0009765625, 1.00390625, 1.005859375,
                1.0078125, float('inf'), float('-inf')]
    values = torch.tensor(specials + (torch.randn(200, generator=gen) * torch.exp(torch.randn(200, generator=gen) * 6)).tolist(), dtype=torch.float32)
    return {
        'f32_bits': values.view(torch.int32).tolist(),
        'f16_bits': values.to(torch.float16).view(torch.int16).tolist(),
        'bf16_bits': values.to(torch.bfloat16).view(torch.int16).tolist(),
    }


def main():
    gen = torch.Generator().manual_seed(20250618)
    gpt2_cfg = {
        'model_type': 'gpt2', 'architectures': ['GPT2LMHeadModel'], 'vocab_size': 50, 'n_embd': 32, 'n_layer': 2,
        'n_head': 4, 'n_inner': 64, 'n_positions': 16, 'n_ctx': 16, 'layer_norm_epsilon': 1e-5,
        'activation_function': 'gelu_new', 'tie_word_embeddings': True, 'torch_dtype': 'float32',
    }
    make_fixture('gpt2-tiny', gpt2_cfg, gpt2_weights(gpt2_cfg, gen), gpt2_logits, torch.float32,
                 ['transformer.wte.weight', 'transformer.h.0.attn.c_attn.weight', 'transformer.h.1.mlp.c_fc.bias', 'transformer.ln_f.weight'], gen)
    llama_cfg = {
        'model_type': 'llama', 'architectures': ['LlamaForCausalLM'], 'vocab_size': 50, 'hidden_size': 32,
        'num_hidden_layers': 2, 'num_attention_heads': 4, 'num_key_value_heads': 2, 'intermediate_size': 64,
        'max_position_embeddings': 64, 'rms_norm_eps': 1e-6, 'rope_theta': 10000.0, 'hidden_act': 'silu',
        'tie_word_embeddings': False, 'torch_dtype': 'bfloat16',
    }
    make_fixture('llama-tiny', llama_cfg, llama_weights(llama_cfg, gen), llama_logits, torch.bfloat16,
                 ['model.embed_tokens.weight', 'model.layers.0.self_attn.k_proj.weight', 'model.layers.1.mlp.gate_proj.weight', 'lm_head.weight'], gen)
    with open(os.path.join(ROOT, 'dtype-cases.json'), 'w') as f:
        json.dump(dtype_cases(gen), f)
        f.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
