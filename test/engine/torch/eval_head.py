"""The chunked head of sftgoc_model.py against its plain reference (full logits, autograd), in float64:
ce and entropy values, and the gradients of a random combination of both (of ce alone when the
entropy is not asked for) with respect to the hidden rows and the weight, for chunks smaller than,
equal to and larger than N. Prints the largest differences as JSON (test/engine/torch/program.test.ts)."""
import json
import sys

import torch

sys.path.insert(0, sys.argv[1])
from sftgoc_model import ChunkedHead, plain_head  # noqa: E402

g = torch.Generator().manual_seed(7)
worst = {'value': 0.0, 'grad': 0.0}
# Chunks smaller than N (recomputed in the backward), equal to and larger than N (one chunk: the
# forward's log-probabilities kept); with the entropy asked for and not (ce alone).
for n, v, h, chunk in [(13, 11, 5, 4), (13, 11, 5, 13), (7, 30, 6, 100), (1, 3, 2, 1)]:
    for entropy in (True, False):
        hidden = torch.randn(n, h, generator=g, dtype=torch.float64) * 2
        weight = torch.randn(v, h, generator=g, dtype=torch.float64)
        targets = torch.randint(0, v, (n,), generator=g)
        a, b = torch.randn(n, generator=g, dtype=torch.float64), torch.randn(n, generator=g, dtype=torch.float64)
        results = []
        for f in (lambda x, w: ChunkedHead.apply(x, w, targets, chunk, entropy), lambda x, w: plain_head(x, w, targets)):
            x = hidden.clone().requires_grad_(True)
            w = weight.clone().requires_grad_(True)
            ce, ent = f(x, w)
            loss = (ce * a).sum() + ((ent * b).sum() if entropy else 0)
            loss.backward()
            results.append((ce.detach(), ent.detach() if entropy else None, x.grad, w.grad))
        (c1, e1, x1, w1), (c2, e2, x2, w2) = results
        worst['value'] = max(worst['value'], float((c1 - c2).abs().max()), float((e1 - e2).abs().max()) if entropy else 0.0)
        worst['grad'] = max(worst['grad'], float((x1 - x2).abs().max()), float((w1 - w2).abs().max()))
print(json.dumps(worst))
