"""Evaluates emitted objective modules on many input cases in one process (test/engine/torch/objective.test.ts).

argv: RUNTIME_DIR CASES_JSON. CASES_JSON holds {"modules": {name: source}, "cases": [...]}; each case
names its module and gives the reference evaluator's inputs. Prints one JSON list: per case the loss,
∂loss/∂ce (autograd), each token's group and the Group DRO weights after the step.
"""
import importlib
import json
import os
import sys
import tempfile

import torch

sys.path.insert(0, sys.argv[1])
import sftgoc_rt as rt  # noqa: E402

with open(sys.argv[2]) as f:
    spec = json.load(f)
work = tempfile.mkdtemp(prefix='sftgoc-objectives-')
for name, source in spec['modules'].items():
    with open(os.path.join(work, name + '.py'), 'w') as f:
        f.write(source)
sys.path.insert(0, work)


def vec(xs, dtype=torch.float32):
    return None if xs is None else torch.tensor(xs, dtype=dtype)


out = []
for case in spec['cases']:
    mod = importlib.import_module(case['module'])
    ce = torch.tensor(case['ce'], dtype=torch.float32, requires_grad=True)
    scores = {k: torch.tensor(v, dtype=torch.float64) for k, v in (case.get('scores') or {}).items()}
    regex = {k: torch.tensor(v, dtype=torch.bool) for k, v in (case.get('regex') or {}).items()}
    V, H = rt.contexts(ce, torch.tensor(case['sampleOf'], dtype=torch.long), entropy=vec(case.get('entropy')),
                       ref_ce=vec(case.get('refCe')), reward=vec(case.get('reward')), advantage=vec(case.get('advantage')),
                       scores=scores, regex=regex, thresholds=case.get('corpusThresholds') or {})
    dro = rt.DroState(mod.DRO_SIZES)
    if case.get('droWeights') is not None and mod.DRO_SIZES:
        dro.weights[0] = list(case['droWeights'])
    r = mod.objective(V, H, case.get('step', 0), case.get('totalSteps', 10), dro, True)
    if r.loss.requires_grad:
        (g,) = torch.autograd.grad(r.loss, ce, allow_unused=True)
        grad = [0.0] * len(case['ce']) if g is None else g.tolist()
    else:
        grad = [0.0] * len(case['ce'])
    out.append({
        'loss': float(r.loss),
        'grad': grad,
        'groupOf': None if r.partition is None else r.partition.tolist(),
        'dro': dro.weights[0] if mod.DRO_SIZES else None,
        'groups': [[float(v), n] for v, n in r.groups],
    })


def finite(x):
    """JSON has no NaN or infinity: they travel as strings."""
    if isinstance(x, float) and (x != x or x in (float('inf'), float('-inf'))):
        return repr(x)
    if isinstance(x, list):
        return [finite(v) for v in x]
    if isinstance(x, dict):
        return {k: finite(v) for k, v in x.items()}
    return x


print(json.dumps(finite(out)))
