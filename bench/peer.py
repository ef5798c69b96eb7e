"""PyTorch peer of `npm run bench` (bench/run.ts): the same model, objective, data and AdamW
settings, timed the same way. Prints one JSON object on stdout. Not a unit test.

  python3 bench/peer.py --request REQUEST.json
  python3 bench/peer.py --blas [--threads 2]     # which BLAS torch uses and its 1024³ matMul GFLOP/s

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

    def step(i):
        b = batches[i % len(batches)]
        logits = model(b["ids"])
        ce = F.cross_entropy(logits.view(-1, c["vocab"]), b["targets"], reduction="none")
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


def matmul_flops(m, k, n, min_seconds=0.5):
    a = torch.randn(m, k)
    b = torch.randn(k, n)
    a @ b
    repeats = 0
    start = time.perf_counter()
    while time.perf_counter() - start < min_seconds or repeats < 3:
        a @ b
        repeats += 1
    return 2 * m * k * n * repeats / (time.perf_counter() - start)


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


def blas_report(threads):
    """Which BLAS torch multiplies with, and how fast: the bench's machine peak."""
    torch.set_num_threads(threads)
    config = torch.__config__.show()
    build = re.search(r"BLAS_INFO=([^,\s]+)", config)
    gflops = matmul_flops(1024, 1024, 1024, min_seconds=1.0) / 1e9  # after the first product: libblas is mapped lazily
    paths = loaded_blas()
    return {
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
    args = parser.parse_args()
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
        "backend": "torch %s, %d threads" % (torch.__version__, torch.get_num_threads()),
        "stepMs": step_ms,
        "cpuMsPerStep": cpu_ms,
        "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "matMulFlops": matmul_flops(m, k, n),
        "firstLoss": losses[0] if losses else None,
        "lastLoss": losses[-1] if losses else None,
    }))


if __name__ == "__main__":
    main()
