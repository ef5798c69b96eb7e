"""The generated objective as a loss for a Hugging Face Trainer or TRL SFTTrainer.

    import objective                      # the module sftgoc generated (compile --emit torch)
    from sftgoc_hf import make_compute_loss_func, SftgocClock

    loss_func = make_compute_loss_func(objective)
    trainer = SFTTrainer(..., compute_loss_func=loss_func, callbacks=[SftgocClock(loss_func)])

The Trainer calls loss_func(outputs, labels, num_items_in_batch) with the model's outputs and what
the collator put under "labels". `labels` is either
  - the usual tensor [B, T] of token ids with -100 where there is no loss: enough for objectives that
    read only the model's own values (ce, p, logp, entropy, position, loss()/entropy() selectors), or
  - a dict {"labels": [B, T] ids, and the per-token values the objective reads, each [B, T] aligned
    with the labels: "scores": {scorer key: tensor}, "ref_ce": tensor, "regex": {pattern: bool
    tensor}, and per sample "reward": [B], "advantage": [B]}; objective.NEEDS lists the keys. The
    Trainer pops "labels" before calling the model, so these never reach the model's forward.

Position t of labels is the token predicted from position t - 1 (Hugging Face's convention: the
loss shifts), so a value for the token at t goes at [b, t]. Wrap a dict in `LabelDict` so that the
Trainer can count its tokens (it calls labels.ne(-100) and drops the count when that fails).

How the value is scaled (the Trainer leaves the scaling to a compute_loss_func: it neither divides
by gradient_accumulation_steps nor undoes its own multiplication by the number of processes):
  - with num_items_in_batch (the loss tokens of the whole update: this process's micro-batches, or
    every process's with average_tokens_across_devices, when the Trainer also multiplies the loss
    by the number of processes): the objective's value on the micro-batch × its loss tokens /
    num_items_in_batch. For a token mean such as SFT's this is exactly transformers' default
    causal-LM loss (sum of the tokens' ce / num_items_in_batch): the update's gradient is the
    token mean over the whole global batch. Any objective: the micro-batches' values weighted by
    their share of the update's tokens.
  - without it (labels the Trainer cannot count, an older Trainer): the value / grad_accum, so the
    update is the mean over micro-batches and processes, as sftgoc's own engines compute it.
"""
import torch

import sftgoc_rt as rt


class LabelDict(dict):
    """Dict labels the Trainer can count: ne() compares the token ids under "labels"."""

    def ne(self, other):
        return self['labels'].ne(other)


class LossFunc:
    def __init__(self, objective, total_steps=1, grad_accum=1):
        self.objective = objective
        self.total_steps = total_steps
        self.grad_accum = grad_accum
        self.step = 0
        self.dro = rt.DroState(objective.DRO_SIZES)
        self.last_micro_step = None

    def __call__(self, outputs, labels, num_items_in_batch=None):
        extra = {}
        if isinstance(labels, dict):
            extra = labels
            labels = labels['labels']
        logits = outputs['logits'] if isinstance(outputs, dict) else outputs.logits
        # Shift: logits at t predict labels at t + 1.
        logits = logits[:, :-1, :]
        target = labels[:, 1:]
        mask = target != -100
        rows = mask.nonzero(as_tuple=False)
        logp = torch.log_softmax(logits[mask].float(), dim=-1)
        ids = target[mask]
        ce = -logp.gather(1, ids[:, None])[:, 0]
        entropy = -(logp.exp() * logp).sum(-1) if self.objective.NEEDS['entropy'] else None
        pick = lambda t: t[:, 1:][mask]  # noqa: E731
        per_sample = lambda v: v[rows[:, 0]]  # noqa: E731
        V, H = rt.contexts(
            ce, rows[:, 0].cpu(), entropy=entropy,
            ref_ce=pick(extra['ref_ce']) if 'ref_ce' in extra else None,
            reward=per_sample(extra['reward']) if 'reward' in extra else None,
            advantage=per_sample(extra['advantage']) if 'advantage' in extra else None,
            scores={k: pick(v) for k, v in extra.get('scores', {}).items()},
            regex={k: pick(v) for k, v in extra.get('regex', {}).items()},
        )
        # Group DRO moves once per optimizer step: on the first call of each step.
        first = self.last_micro_step != self.step
        self.last_micro_step = self.step
        loss = self.objective.objective(V, H, self.step, self.total_steps, self.dro, first).loss
        return scale(loss, ce.shape[0], num_items_in_batch, self.grad_accum)


def scale(loss, tokens, num_items_in_batch, grad_accum):
    """The rule of the module's docstring: a share of the update's tokens, else 1 / grad_accum."""
    if num_items_in_batch is None:
        return loss / grad_accum
    total = torch.as_tensor(num_items_in_batch).reshape(-1)[0].to(device=loss.device, dtype=loss.dtype)
    return loss * tokens / total


def make_compute_loss_func(objective, total_steps=1, grad_accum=1):
    """A callable for Trainer(compute_loss_func=...); total_steps for schedules and progress, grad_accum
    for Trainers that give no num_items_in_batch (SftgocClock sets both from the Trainer)."""
    return LossFunc(objective, total_steps, grad_accum)


try:  # A TrainerCallback that keeps the objective's clock (step, progress, schedules) in step with the Trainer.
    from transformers import TrainerCallback

    class SftgocClock(TrainerCallback):
        def __init__(self, loss_func):
            self.loss_func = loss_func

        def on_train_begin(self, args, state, control, **kwargs):
            self.loss_func.total_steps = max(1, state.max_steps)
            self.loss_func.grad_accum = max(1, args.gradient_accumulation_steps)

        def on_step_begin(self, args, state, control, **kwargs):
            self.loss_func.step = state.global_step
except ImportError:  # transformers is not installed: the callback is not needed without a Trainer.
    SftgocClock = None
