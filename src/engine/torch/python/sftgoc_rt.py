"""The objective runtime of sftgoc's PyTorch engine: the functions of LANGUAGE.md §7 over per-token
tensors, with the semantics of sftgoc's reference evaluator (src/ir/reference-eval.ts).

Every value of an objective lives in one of two contexts, as in the TensorFlow.js engine:
  value context  float32 tensors on the training device; `ce` (and the head's entropy) carry the
                 gradient; the loss is computed here.
  host context   float64 copies, detached: every mask (selectors, comparisons, the partition, where
                 conditions) is computed here, so ranks, ties and thresholds are decided on the same
                 numbers the reference evaluator sees and never carry a gradient.
Per-token tensors are [N] over the micro-batch's loss tokens in row-major batch order.
Scalars are 0-d tensors of the context's dtype.

Semantics (the reference evaluator's):
  - top P% per sample keeps ceil(P·n − 1e-9) of the sample's n loss tokens, highest first, ties to the
    earlier token; bottom the lowest; per batch ranks all N; per corpus compares with a threshold.
  - a token belongs to the first group whose selector holds, else to rest.
  - mean/sum over an empty restriction are 0; seqmean averages the samples present.
  - max(groups)/mean/smoothmax/dro use the non-empty groups only; max ties go to the first group.
  - elementwise max/min give ties (value and gradient) to the first operand.
"""
import math

import torch


def keep(fraction, n):
    """ceil(P·n), robust to 0.3·10 = 3.0000000000000004."""
    return min(n, max(0, math.ceil(fraction * n - 1e-9)))


class Context:
    """Per-token inputs of one objective evaluation in one context (value or host)."""

    def __init__(self, n, sample_of, dtype, device, tensors, scores, regex, thresholds):
        self.n = n
        self.sample_of = sample_of  # long [N]
        self.dtype = dtype
        self.device = device
        self._t = tensors  # name -> tensor [N]
        self.scores_by_key = scores  # scorer key -> tensor [N]
        self.regex_by_pattern = regex  # pattern -> bool [N]
        self.thresholds = thresholds  # rank key -> float
        self._positions = None

    def scalar(self, x):
        return torch.tensor(float(x), dtype=self.dtype, device=self.device)

    def tokens(self, x):
        """A scalar broadcast to [N] (where's branches, cvar's argument)."""
        return x if x.dim() == 1 else x.expand(self.n)

    def q(self, name):
        """A token quantity of LANGUAGE.md §5."""
        t = self._t
        if name == 'ce':
            return t['ce']
        if name == 'logp':
            return -t['ce']
        if name == 'p':
            return torch.exp(-t['ce'])
        if name == 'excess':
            return t['ce'] - self._need('ref_ce')
        if name == 'position':
            return self.positions()
        return self._need(name)

    def _need(self, name):
        v = self._t.get(name)
        if v is None:
            raise ValueError('the objective reads %s, and this batch does not supply it' % name)
        return v

    def positions(self):
        """Index of each token among its sample's loss tokens, from 0."""
        if self._positions is None:
            seen = {}
            out = []
            for s in self.sample_of.tolist():
                p = seen.get(s, 0)
                out.append(p)
                seen[s] = p + 1
            self._positions = torch.tensor(out, dtype=self.dtype, device=self.device)
        return self._positions

    def scores(self, key, name):
        """A scorer's raw scores: static ones are given; dynamic ones follow from the step's own values, detached."""
        given = self.scores_by_key.get(key)
        if given is not None:
            return given
        if name == 'loss':
            return self._t['ce'].detach()
        if name == 'entropy':
            return self._need('entropy').detach()
        if name == 'excess_loss':
            return self._t['ce'].detach() - self._need('ref_ce')
        raise ValueError('scores of %s are missing' % key)

    def regex(self, pattern):
        m = self.regex_by_pattern.get(pattern)
        if m is None:
            raise ValueError('the mask of regex(%r) is missing' % pattern)
        return m


def contexts(ce, sample_of, entropy=None, ref_ce=None, reward=None, advantage=None, scores=None, regex=None, thresholds=None):
    """The value context (ce and entropy as given, float32) and the host context (float64, detached)."""
    n = ce.shape[0]
    device = ce.device
    scores = scores or {}
    regex = {k: v.to(device=device, dtype=torch.bool) for k, v in (regex or {}).items()}
    thresholds = thresholds or {}
    given = {'ce': ce, 'entropy': entropy, 'ref_ce': ref_ce, 'reward': reward, 'advantage': advantage}
    value = {k: (v if k in ('ce', 'entropy') else v.to(device=device, dtype=torch.float32)) for k, v in given.items() if v is not None}
    host = {k: v.detach().to(device=device, dtype=torch.float64) for k, v in given.items() if v is not None}
    v_scores = {k: s.to(device=device, dtype=torch.float32) for k, s in scores.items()}
    h_scores = {k: s.to(device=device, dtype=torch.float64) for k, s in scores.items()}
    sample_of = sample_of.to(device)
    return (Context(n, sample_of, torch.float32, device, value, v_scores, regex, thresholds),
            Context(n, sample_of, torch.float64, device, host, h_scores, regex, thresholds))


# ---------------------------------------------------------------- elementwise

def maximum(a, b):
    """max(a, b) with ties to the first operand, value and gradient."""
    return torch.where(b > a, b, a)


def minimum(a, b):
    return torch.where(b < a, b, a)


def clip(x, lo, hi):
    return minimum(maximum(x, lo), hi)


def where(cond, a, b, cx):
    return torch.where(cond, cx.tokens(a), cx.tokens(b))


# ---------------------------------------------------------------- selectors (host context)

def rank(scores, cx, direction, amount, scope, key=None):
    """The tokens of a `top/bottom P% per sample|batch|corpus` selector."""
    top = direction == 'top'
    if scope == 'corpus':
        t = cx.thresholds.get(key)
        if t is None:
            raise ValueError('the corpus threshold of %s is missing' % key)
        return scores >= t if top else scores <= t
    out = torch.zeros(cx.n, dtype=torch.bool, device=cx.device)
    if cx.n == 0:
        return out
    if scope == 'batch':
        pools = [torch.arange(cx.n, device=cx.device)]
    else:
        pools = [torch.nonzero(cx.sample_of == s).flatten() for s in torch.unique(cx.sample_of).tolist()]
    for pool in pools:
        k = keep(amount, pool.numel())
        if k == 0:
            continue
        # A stable sort keeps equal scores in token order: ties go to the earlier token.
        order = torch.sort(scores[pool], descending=top, stable=True).indices
        out[pool[order[:k]]] = True
    return out


def partition(selectors, cx):
    """Each token's group: the first selector that holds, else len(selectors) (rest)."""
    group = torch.full((cx.n,), len(selectors), dtype=torch.long, device=cx.device)
    for g in reversed(range(len(selectors))):
        group = torch.where(selectors[g], torch.full_like(group, g), group)
    return group


# ---------------------------------------------------------------- reductions

def _masked(x, m, cx):
    """x restricted to m, with the rest replaced by 0 (an infinite value outside m cannot make NaN)."""
    x = cx.tokens(x)
    return x if m is None else torch.where(m, x, torch.zeros_like(x))


def mean(x, m, cx):
    if m is None:
        return x.mean() if x.dim() == 1 and cx.n > 0 else (x * 1.0 if x.dim() == 0 and cx.n > 0 else cx.scalar(0))
    count = int(m.sum().item())
    if count == 0:
        return cx.scalar(0)
    return _masked(x, m, cx).sum() / count


def sum_(x, m, cx):
    if x.dim() == 0:
        return x * (cx.n if m is None else int(m.sum().item()))
    return _masked(x, m, cx).sum()


def seqmean(x, m, cx):
    """The mean over samples of each sample's mean over its tokens in m (samples without any left out)."""
    m = torch.ones(cx.n, dtype=torch.bool, device=cx.device) if m is None else m
    if not bool(m.any()):
        return cx.scalar(0)
    samples = cx.sample_of[m]
    ids, inverse, counts = torch.unique(samples, return_inverse=True, return_counts=True)
    w = torch.zeros(cx.n, dtype=cx.dtype, device=cx.device)
    w[m] = 1.0 / (counts[inverse].to(cx.dtype) * ids.numel())
    return (_masked(x, m, cx) * w).sum()


def count(m, cx):
    return cx.scalar(int(m.sum().item()))


def cvar(x, m, fraction, cx):
    """Mean of the top ceil(P·n) values of x over m; which ones is decided on detached values, ties to the earlier token."""
    x = cx.tokens(x)
    idx = torch.arange(cx.n, device=cx.device) if m is None else torch.nonzero(m).flatten()
    k = keep(fraction, idx.numel())
    if k == 0:
        return cx.scalar(0)
    order = torch.sort(x.detach()[idx], descending=True, stable=True).indices
    return x[idx[order[:k]]].sum() / k


# ---------------------------------------------------------------- group reductions

def live_terms(masks):
    return [bool(m.any()) for m in masks]


def group_max(terms, live, cx):
    """The largest mean of the non-empty groups; the gradient flows into it alone; ties to the first."""
    chosen = [t for t, ok in zip(terms, live) if ok]
    if not chosen:
        return cx.scalar(0)
    values = [float(t.detach()) for t in chosen]
    best = 0
    for i, v in enumerate(values):
        if v > values[best]:
            best = i
    return chosen[best]


def group_mean(terms, live, cx):
    chosen = [t for t, ok in zip(terms, live) if ok]
    if not chosen:
        return cx.scalar(0)
    return torch.stack(chosen).sum() / len(chosen)


def group_smoothmax(terms, live, temperature, cx):
    chosen = [t for t, ok in zip(terms, live) if ok]
    if not chosen:
        return cx.scalar(0)
    return torch.logsumexp(torch.stack(chosen) / temperature, 0) * temperature


class DroState:
    """Online Group DRO weights q, one vector per dro(...) of the loss (Sagawa et al., Alg. 1)."""

    def __init__(self, sizes):
        self.weights = [[1.0 / g] * g for g in sizes]

    def update(self, node, rate, means, live):
        """q_g ← q_g·exp(rate·mean_g) for the live groups, renormalised; in log space so it cannot overflow."""
        logs = [(math.log(q) if q > 0 else -math.inf) + (rate * means[g] if live[g] else 0.0) for g, q in enumerate(self.weights[node])]
        top = max(v for v in logs if v != -math.inf)
        q = [0.0 if v == -math.inf else math.exp(v - top) for v in logs]
        z = sum(q)
        self.weights[node] = [v / z for v in q]
        return list(self.weights[node])

    def snapshot(self):
        return {'version': 1, 'weights': [list(q) for q in self.weights]}

    def restore(self, state):
        if not isinstance(state, dict) or state.get('version') != 1 or len(state.get('weights', [])) != len(self.weights):
            raise ValueError('the checkpoint\'s Group DRO weights do not fit this objective')
        self.weights = [list(map(float, q)) for q in state['weights']]


def group_dro(terms, live, rate, node, dro, update, cx):
    if not any(live):
        return cx.scalar(0)
    q = dro.weights[node]
    if update:
        means = [float(t.detach()) if ok else 0.0 for t, ok in zip(terms, live)]
        q = dro.update(node, rate, means, live)
    chosen = [t for t, ok in zip(terms, live) if ok]
    weights = torch.tensor([q[g] for g, ok in enumerate(live) if ok], dtype=cx.dtype, device=cx.device)
    return (torch.stack(chosen) * weights).sum()


# ---------------------------------------------------------------- scalars and schedules (host floats)

def schedule(kind, a, b, over, step, total_steps):
    """const/linear/cosine(a -> b, over = P): reaches b at step floor(P·S) (at once when that is 0)."""
    if kind == 'const':
        return a
    end = math.floor(over * total_steps)
    t = 1.0 if end <= 0 else min(1.0, step / end)
    f = t if kind == 'linear' else (1 - math.cos(math.pi * t)) / 2
    return a + (b - a) * f


def fdiv(a, b):
    """JavaScript's division: x/0 is ±inf or NaN, never an exception."""
    if b == 0:
        return math.nan if a == 0 or a != a else math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def fpow(a, b):
    try:
        r = a ** b
        return math.nan if isinstance(r, complex) else float(r)
    except ZeroDivisionError:
        return math.inf
    except OverflowError:
        return math.inf


def fmax(a, b):
    return b if b > a else a


def fmin(a, b):
    return b if b < a else a


def flog(a):
    return -math.inf if a == 0 else (math.nan if a < 0 else math.log(a))


def fsqrt(a):
    return math.nan if a < 0 else math.sqrt(a)


def fexp(a):
    try:
        return math.exp(a)
    except OverflowError:
        return math.inf
