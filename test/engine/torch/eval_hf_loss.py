"""compute_loss_func of sftgoc_hf.py on Hugging Face-style outputs and labels (test/engine/torch/program.test.ts).

argv: PROGRAM_DIR. Builds random logits [2, 6, 5] and labels with -100 on some positions, computes the
loss through make_compute_loss_func, and prints the per-token ce it derived independently (a plain
loop over log-softmax) with the loss, so the test can run the reference evaluator on those ce.
"""
import json
import math
import sys
from types import SimpleNamespace

import torch

sys.path.insert(0, sys.argv[1])
import objective  # noqa: E402
from sftgoc_hf import make_compute_loss_func  # noqa: E402

g = torch.Generator().manual_seed(3)
logits = torch.randn(2, 6, 5, generator=g, dtype=torch.float64).float().requires_grad_(True)
labels = torch.tensor([[-100, -100, 1, 4, 0, 2], [-100, 3, 3, -100, 1, -100]])
scores = torch.rand(2, 6, generator=g, dtype=torch.float64)
key = next(iter(objective.NEEDS['scores']))
loss = make_compute_loss_func(objective)(SimpleNamespace(logits=logits), {'labels': labels, 'scores': {key: scores}})
loss.backward()
ce, sample_of, tokens_scores = [], [], []
for b in range(2):
    for t in range(1, 6):
        if labels[b, t] != -100:
            row = logits[b, t - 1].double()
            z = math.log(sum(math.exp(v) for v in row.tolist()))
            ce.append(z - row[labels[b, t]].item())
            sample_of.append(b)
            tokens_scores.append(scores[b, t].item())
print(json.dumps({'loss': loss.item(), 'ce': ce, 'sampleOf': sample_of, 'key': key, 'scores': tokens_scores, 'gradFinite': bool(torch.isfinite(logits.grad).all())}))
