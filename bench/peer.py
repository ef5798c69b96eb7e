"""PyTorch peer of `npm run bench` (bench/run.ts): the same model, objective, data and AdamW
settings, timed the same way. Prints one JSON object on stdout. Not a unit test.

  python3 bench/peer.py --request REQUEST.json
  python3 bench/peer.py --blas [--threads 2]     # which BLAS torch uses and its 1024³ matMul GFLOP/s
  python3 bench/peer.py --decode REQUEST.json    # cached greedy decode: generated tokens/s (generation's row)

The decode request (written by peer.ts's runPeerDecode) holds the model configuration, the batch,
the prompt length, the new tokens per row, warm-up and timed repetitions and the intra-op threads.
The decode is the way Hugging Face's `generate` runs: one prefill of the prompts, then one token per
step against a key/value cache that grows by concatenation, greedy, the logits of the last position only.

The request (written by bench/run.ts) holds the configuration, the variant (sft | sftgo for a
model, fused | unfused for the head: torch has no fused head, so both run the plain
logits + cross_entropy path), warm-up and timed steps, the thread count, the optimizer settings
and, for model configurations, the batches with their loss masks and `important` masks.
"""
import argparse
import json
import math
import os
import re
import resource
import time

import torch
import torch.nn.functional as F


class Block(torch.nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = torch.nn.LayerNorm(d, eps=1e-5)
        self.c_attn = torch.nn.Linear(d, 3 * d)
        self.c_proj = torch.nn.Linear(d, d)
        self.ln_2 = torch.nn.LayerNorm(d, eps=1e-5)
        self.c_fc = torch.nn.Linear(d, 4 * d)
        self.mlp_proj = torch.nn.Linear(4 * d, d)

    def forward_cached(self, x, past):
        """x [b, t, d] after `past` (keys, values [b, h, p, d/h], or None for a prefill): the new x and the grown cache."""
        b, t, d = x.shape
        h = self.heads
        q, k, v = self.c_attn(self.ln_1(x)).split(d, dim=-1)
        q, k, v = (z.view(b, t, h, d // h).transpose(1, 2) for z in (q, k, v))
        if past is not None:
            k = torch.cat((past[0], k), dim=2)
            v = torch.cat((past[1], v), dim=2)
        scores = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(d // h))
        if t > 1:
            # A prefill (nothing cached yet): causal among the prompt's tokens. One new token sees everything.
            scores = scores + torch.full((t, t), -1e9).triu(1)
        attended = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.c_proj(attended)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh")), (k, v)

    def forward(self, x, causal):
        b, t, d = x.shape
        h = self.heads
        q, k, v = self.c_attn(self.ln_1(x)).split(d, dim=-1)
        q, k, v = (z.view(b, t, h, d // h).transpose(1, 2) for z in (q, k, v))
        scores = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(d // h)) + causal
        attended = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.c_proj(attended)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Gpt2(torch.nn.Module):
    """GPT-2 as src/model/gpt2.ts: learned positions, pre-LayerNorm, tanh GELU, tied lm head."""

    def __init__(self, vocab, d, layers, heads, positions):
        super().__init__()
        self.wte = torch.nn.Parameter(torch.randn(vocab, d) * 0.02)
        self.wpe = torch.nn.Parameter(torch.randn(positions, d) * 0.01)
        self.blocks = torch.nn.ModuleList([Block(d, heads) for _ in range(layers)])
        self.ln_f = torch.nn.LayerNorm(d, eps=1e-5)

    def forward(self, ids):
        b, t = ids.shape
        causal = torch.full((t, t), -1e9).triu(1)
        x = self.wte[ids] + self.wpe[:t]
        for block in self.blocks:
            x = block(x, causal)
        return self.ln_f(x) @ self.wte.t()


    def forward_cached(self, ids, past):
        """The last position's logits [b, vocab] of ids [b, t] after the cache `past` (a list per block, or None)."""
        start = 0 if past is None else past[0][0].shape[2]
        x = self.wte[ids] + self.wpe[start:start + ids.shape[1]]
        grown = []
        for i, block in enumerate(self.blocks):
            x, kv = block.forward_cached(x, None if past is None else past[i])
            grown.append(kv)
        return self.ln_f(x[:, -1]) @ self.wte.t(), grown


def greedy_cached(model, prompts, new_tokens):
    """[b, new_tokens] greedy ids: prefill, then one token per step against the cache."""
    logits, past = model.forward_cached(prompts, None)
    out = [logits.argmax(-1)]
    for _ in range(new_tokens - 1):
        logits, past = model.forward_cached(out[-1][:, None], past)
        out.append(logits.argmax(-1))
    return torch.stack(out, dim=1)


def greedy_recompute(model, prompts, new_tokens):
    """The same greedy ids by running the whole sequence at every step (the check of the cached loop)."""
    ids = prompts
    for _ in range(new_tokens):
        ids = torch.cat((ids, model(ids)[:, -1].argmax(-1)[:, None]), dim=1)
    return ids[:, prompts.shape[1]:]


def decode_report(req):
    c = req["config"]
    positions = max(512, c["seq"])
    if req["promptTokens"] + req["newTokens"] > positions:
        raise SystemExit("decode: %d prompt + %d new tokens exceed %d positions" % (req["promptTokens"], req["newTokens"], positions))
    torch.set_num_threads(req["threads"])
    torch.manual_seed(1)
    model = Gpt2(c["vocab"], c["width"], c["layers"], c["heads"], positions).eval()
    g = torch.Generator().manual_seed(2)
    prompts = torch.randint(0, c["vocab"], (req["batch"], req["promptTokens"]), generator=g)
    with torch.no_grad():
        # The timed loop must be a real cached decode: it gives the tokens of a full recompute.
        check = min(8, req["newTokens"])
        matches = bool(torch.equal(greedy_cached(model, prompts, check), greedy_recompute(model, prompts, check)))
        for _ in range(req["warmup"]):
            greedy_cached(model, prompts, req["newTokens"])
        total_ms, prefill_ms = [], []
        cpu_start = time.process_time()
        for _ in range(req["reps"]):
            start = time.perf_counter()
            model.forward_cached(prompts, None)
            prefill_ms.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            greedy_cached(model, prompts, req["newTokens"])
            total_ms.append((time.perf_counter() - start) * 1000)
        cpu_ms = (time.process_time() - cpu_start) * 1000 / max(req["reps"], 1)
    return {
        "backend": "torch %s, %d intra-op thread%s, OPENBLAS_NUM_THREADS=%s" % (
            torch.__version__, torch.get_num_threads(), "" if torch.get_num_threads() == 1 else "s", os.environ.get("OPENBLAS_NUM_THREADS", "unset")),
        "batch": req["batch"],
        "promptTokens": req["promptTokens"],
        "newTokens": req["newTokens"],
        "totalMs": total_ms,
        "prefillMs": prefill_ms,
        "cpuMsPerRep": cpu_ms,
        "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "matchesFullRecompute": matches,
    }


def masked_mean(values, mask):
    return (values * mask).sum() / mask.sum().clamp(min=1)


def model_step_fn(req):
    c = req["config"]
    opt = req["optimizer"]
    model = Gpt2(c["vocab"], c["width"], c["layers"], c["heads"], max(512, c["seq"]))
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": opt["weightDecay"]}, {"params": no_decay, "weight_decay": 0.0}],
        lr=opt["lr"], betas=tuple(opt["betas"]), eps=opt["eps"])
    shape = (c["batch"], c["seq"])
    batches = [
        {
            "ids": torch.tensor(b["inputIds"], dtype=torch.long).view(shape),
            "targets": torch.tensor(b["targets"], dtype=torch.long).view(-1),
            "mask": torch.tensor(b["lossMask"], dtype=torch.float32).view(-1),
            "important": torch.tensor(b["important"], dtype=torch.float32).view(-1),
        }
        for b in req["batches"]
    ]
    sftgo = req["variant"] == "sftgo"
    # --precision bf16: PyTorch's own mixed precision on the CPU (autocast runs the linear layers and
    # matmuls in bfloat16 through oneDNN; float32 master weights and optimizer), the peer of our bf16
    # products. The loss is taken in float32, as autocast's users do.
    bf16 = req.get("precision") == "bf16"

    def step(i):
        b = batches[i % len(batches)]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(b["ids"])
        ce = F.cross_entropy(logits.float().view(-1, c["vocab"]), b["targets"], reduction="none")
        mean = masked_mean(ce, b["mask"])
        if sftgo:
            important = masked_mean(ce, b["important"])
            rest = masked_mean(ce, b["mask"] - b["important"])
            loss = 0.9 * torch.maximum(important, rest) + 0.1 * mean
        else:
            loss = mean
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), opt["clipGrad"])
        optimizer.step()
        return loss.item()

    return step


def head_step_fn(req):
    c = req["config"]
    g = torch.Generator().manual_seed(1)
    hidden = torch.randn(c["tokens"], c["width"], generator=g).requires_grad_()
    weight = (torch.randn(c["vocab"], c["width"], generator=g) * 0.02).requires_grad_()
    targets = torch.tensor([(i * 7919) % c["vocab"] for i in range(c["tokens"])], dtype=torch.long)

    def step(_i):
        hidden.grad = None
        weight.grad = None
        loss = F.cross_entropy(hidden @ weight.t(), targets)
        loss.backward()
        return loss.item()

    return step


def matmul_flops(m, k, n, min_seconds=0.5, windows=5):
    """FLOP/s of a plain m×k·k×n product: the best of `windows` windows of min_seconds / windows each,
    after a warm-up window. Why the best and a warm-up: on this VM the first half-second runs ~20%
    slow (the BLAS threads start, pages fault in) and single windows swing with other tenants' load;
    a peak is what the machine can do, so the fastest steady window is the figure (bench/measure.ts
    does the same for its column)."""
    a = torch.randn(m, k)
    b = torch.randn(k, n)
    window = max(min_seconds / windows, 0.05)

    def one_window():
        repeats = 0
        start = time.perf_counter()
        while time.perf_counter() - start < window or repeats < 3:
            a @ b
            repeats += 1
        return 2 * m * k * n * repeats / (time.perf_counter() - start)

    one_window()
    return max(one_window() for _ in range(windows))


def loaded_blas():
    """The BLAS libraries mapped into this process (torch links libblas.so.3, which Debian's
    alternatives point at the reference BLAS or OpenBLAS; the resolved file says which)."""
    paths = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            name = os.path.basename(path)
            if re.search(r"blas|mkl|blis|accelerate", name, re.IGNORECASE):
                paths.add(os.path.realpath(path))
    return sorted(paths)


def blas_kind(paths):
    """'openblas', 'mkl', 'blis', 'reference' (Debian's libblas.so.3 from netlib) or 'unknown'."""
    joined = " ".join(paths).lower()
    for kind in ("openblas", "mkl", "blis"):
        if kind in joined:
            return kind
    if re.search(r"/blas/libblas\.so", joined):
        return "reference"
    return "unknown"


def openblas_kernels(paths):
    """The kernel set the mapped OpenBLAS runs (openblas_get_corename), or None for another BLAS."""
    import ctypes
    for path in paths:
        try:
            get = ctypes.CDLL(path).openblas_get_corename
        except (OSError, AttributeError):
            continue
        get.restype = ctypes.c_char_p
        return get().decode()
    return None


def blas_report(threads):
    """Which BLAS torch multiplies with, and how fast: the bench's machine peak."""
    torch.set_num_threads(threads)
    config = torch.__config__.show()
    build = re.search(r"BLAS_INFO=([^,\s]+)", config)
    gflops = matmul_flops(1024, 1024, 1024, min_seconds=1.0) / 1e9  # after the first product: libblas is mapped lazily
    paths = loaded_blas()
    return {
        "kernels": openblas_kernels(paths),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "buildBlas": build.group(1) if build else None,
        "libraries": paths,
        "kind": blas_kind(paths),
        "matMul1024Gflops": gflops,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--request")
    parser.add_argument("--blas", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--decode")
    args = parser.parse_args()
    if args.decode is not None:
        print(json.dumps(decode_report(json.load(open(args.decode)))))
        return
    if args.blas:
        print(json.dumps(blas_report(args.threads)))
        return
    if args.request is None:
        parser.error("--request or --blas is required")
    req = json.load(open(args.request))
    torch.set_num_threads(req["threads"])
    torch.manual_seed(1)
    step = head_step_fn(req) if req["config"]["kind"] == "head" else model_step_fn(req)
    losses = [step(i) for i in range(req["warmup"])]
    step_ms = []
    cpu_start = time.process_time()
    for i in range(req["steps"]):
        start = time.perf_counter()
        losses.append(step(req["warmup"] + i))
        step_ms.append((time.perf_counter() - start) * 1000)
    cpu_ms = (time.process_time() - cpu_start) * 1000 / max(req["steps"], 1)
    m, k, n = req["matMulShape"]
    print(json.dumps({
        "backend": "torch %s, %d intra-op thread%s, OPENBLAS_NUM_THREADS=%s, %s kernels" % (
            torch.__version__, torch.get_num_threads(), "" if torch.get_num_threads() == 1 else "s",
            os.environ.get("OPENBLAS_NUM_THREADS", "unset"), openblas_kernels(loaded_blas()) or "non-OpenBLAS"),
        "stepMs": step_ms,
        "cpuMsPerStep": cpu_ms,
        "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "matMulFlops": matmul_flops(m, k, n),
        "firstLoss": losses[0] if losses else None,
        "lastLoss": losses[-1] if losses else None,
    }))


if __name__ == "__main__":
    main()
