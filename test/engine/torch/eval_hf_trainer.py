"""make_compute_loss_func inside a Trainer-shaped loop, against sftgoc's own engine (hf-trainer.test.ts).

argv: CARD_PROGRAM_DIR SFT_PROGRAM_DIR MODEL_DIR. transformers is not needed: `MiniTrainer` copies
the lines of transformers' Trainer that scale a loss (Trainer.get_batch_samples: the count of
labels.ne(-100), dropped on TypeError/AttributeError, gathered with average_tokens_across_devices;
Trainer.compute_loss: compute_loss_func(outputs, labels, num_items_in_batch), then × the number of
processes when average_tokens_across_devices and a count; Trainer.training_step: no division by
gradient_accumulation_steps when compute_loss_func is set), and DDP's gradient average over the
processes, simulated as the mean of each process's accumulated gradients.

The expected gradient is built from sftgoc's engine (sftgoc_train.Run.evaluate_batch: the loss
tokens' ce from the chunked head, the objective over the micro-batch), one gradient g_i per
micro-batch, combined by the rule docs/scale-out.md states. Prints JSON: per case, the largest
difference relative to the largest gradient entry; the same for SFT against transformers' default
causal-LM loss (ForCausalLMLoss: sum of the shifted tokens' ce / num_items_in_batch).
"""
import json
import sys
from types import SimpleNamespace

import torch

card_dir, sft_dir, model_dir = sys.argv[1:4]


def load_program(directory, name):
    """The generated objective module of `directory` under its own name (two programs in one process)."""
    import importlib.util
    sys.path.insert(0, directory)
    spec = importlib.util.spec_from_file_location(name, directory + '/objective.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


card = load_program(card_dir, 'card_objective')
sft = load_program(sft_dir, 'sft_objective')
import sftgoc_hf  # noqa: E402
import sftgoc_model  # noqa: E402
import sftgoc_rt as rt  # noqa: E402
import sftgoc_train  # noqa: E402

torch.manual_seed(0)
model = sftgoc_model.load_model(model_dir)
V = model.output_embedding().shape[0]
g = torch.Generator().manual_seed(7)
SCORE_KEY = next(iter(card.NEEDS['scores']), None)


def sample(length, losses):
    """A sample in input.json's form: ids, loss positions t (target t + 1), a static score per loss token."""
    ids = torch.randint(3, V, (length,), generator=g).tolist()
    loss = sorted(torch.randperm(length - 1, generator=g)[:losses].tolist())
    return {'ids': ids, 'loss': loss, 'reward': 0, 'advantage': 0, 'regex': {},
            'scores': {SCORE_KEY: torch.rand(len(loss), generator=g, dtype=torch.float64).tolist()} if SCORE_KEY else {}}


def micro_batches(count):
    """Micro-batches of 2 samples with different numbers of loss tokens (so token weights matter)."""
    return [[sample(6 + (i % 3), 2 + (i * 3 + b) % 4) for b in range(2)] for i in range(count)]


def grads():
    out = torch.cat([p.grad.reshape(-1).clone() for p in model.weights])
    for p in model.weights:
        p.grad = None
    return out


# ---------------------------------------------------------------- sftgoc's engine, one micro-batch
def engine_grad(objective, samples):
    needs = objective.NEEDS
    mb = sftgoc_train.MicroBatch(samples, 0, needs, torch.device('cpu'))
    fake = SimpleNamespace(model=model, needs=needs, thresholds={}, o=objective, total=10, dro=rt.DroState(objective.DRO_SIZES), bf16=False)
    loss, _, _ = sftgoc_train.Run.evaluate_batch(fake, mb, 0, True, True)
    loss.backward()
    return grads(), float(loss), mb.n


# ---------------------------------------------------------------- the Hugging Face side
def hf_batch(samples, labels_kind):
    """input_ids and labels as a collator gives them: -100 where no loss; dict labels carry the scores."""
    seq = max(len(s['ids']) for s in samples)
    ids = torch.zeros(len(samples), seq, dtype=torch.long)
    labels = torch.full((len(samples), seq), -100, dtype=torch.long)
    scores = torch.zeros(len(samples), seq, dtype=torch.float64)
    for b, s in enumerate(samples):
        ids[b, :len(s['ids'])] = torch.tensor(s['ids'])
        for j, t in enumerate(s['loss']):
            labels[b, t + 1] = s['ids'][t + 1]
            if SCORE_KEY:
                scores[b, t + 1] = s['scores'][SCORE_KEY][j]
    if labels_kind == 'tensor':
        return {'input_ids': ids, 'labels': labels}
    extra = {'labels': labels, 'scores': {SCORE_KEY: scores}} if SCORE_KEY else {'labels': labels}
    return {'input_ids': ids, 'labels': sftgoc_hf.LabelDict(extra) if labels_kind == 'LabelDict' else dict(extra)}


def forward(input_ids):
    return SimpleNamespace(logits=model.hidden(input_ids) @ model.output_embedding().T)


def hf_default_loss(outputs, labels, num_items_in_batch=None):
    """transformers' ForCausalLMLoss: shift, ce summed, / num_items_in_batch (mean without it)."""
    logits = outputs.logits[:, :-1, :].float().reshape(-1, V)
    target = labels[:, 1:].reshape(-1)
    reduction = 'sum' if num_items_in_batch is not None else 'mean'
    loss = torch.nn.functional.cross_entropy(logits, target, ignore_index=-100, reduction=reduction)
    return loss / num_items_in_batch if reduction == 'sum' else loss


class MiniTrainer:
    """The scaling lines of transformers' Trainer, for `world` processes simulated one after another."""

    def __init__(self, compute_loss_func, accum, world, average_tokens_across_devices, model_loss=None):
        self.compute_loss_func = compute_loss_func
        self.model_loss = model_loss  # the model's own loss (model_accepts_loss_kwargs) when compute_loss_func is None
        self.model_accepts_loss_kwargs = model_loss is not None
        self.accum = accum
        self.world = world
        self.average_tokens_across_devices = average_tokens_across_devices

    def get_batch_samples(self, batches_of_every_rank, rank):
        batch_samples = batches_of_every_rank[rank]
        num_items_in_batch = None
        count = len(batch_samples) > 0 and 'labels' in batch_samples[0] and (self.model_accepts_loss_kwargs or self.compute_loss_func is not None)
        if count:
            try:
                num_items_in_batch = sum([(batch['labels'].ne(-100)).sum() for batch in batch_samples])
            except (TypeError, AttributeError):
                pass
        if num_items_in_batch is not None and self.average_tokens_across_devices:
            # accelerator.gather(...).sum(): every rank's count, computed the same way.
            num_items_in_batch = sum(sum([(b['labels'].ne(-100)).sum() for b in batches]) for batches in batches_of_every_rank)
        return batch_samples, num_items_in_batch

    def compute_loss(self, inputs, num_items_in_batch):
        inputs = dict(inputs)
        labels = inputs.pop('labels') if self.compute_loss_func is not None and 'labels' in inputs else None
        outputs = forward(inputs['input_ids'])
        if labels is not None:
            loss = self.compute_loss_func(outputs, labels, num_items_in_batch=num_items_in_batch)
        else:
            loss = self.model_loss(outputs, inputs['labels'], num_items_in_batch)
        if self.average_tokens_across_devices and (self.model_accepts_loss_kwargs or self.compute_loss_func) and num_items_in_batch is not None:
            loss *= self.world
        return loss

    def training_step(self, inputs, num_items_in_batch):
        loss = self.compute_loss(inputs, num_items_in_batch)
        if (not self.model_accepts_loss_kwargs or num_items_in_batch is None) and self.compute_loss_func is None:
            loss = loss / self.accum
        loss.backward()
        return loss.detach()

    def update(self, batches_of_every_rank):
        """One optimizer step's gradient: each rank accumulates, DDP averages over ranks. Also the logged loss."""
        total, logged = None, 0.0
        for rank in range(self.world):
            batch_samples, num_items = self.get_batch_samples(batches_of_every_rank, rank)
            tr_loss = 0.0
            for inputs in batch_samples:
                tr_loss += float(self.training_step(inputs, num_items))
            g_rank = grads()
            total = g_rank if total is None else total + g_rank
            logged += tr_loss
        return total / self.world, logged / self.world


def rel(a, b):
    return float((a - b).abs().max() / b.abs().max())


results = []
for accum in (1, 4):
    for world in (1, 2):
        mbs = micro_batches(accum * world)
        # Micro-batch i of rank r: the Trainer's DistributedSampler deals batches out by rank.
        of_rank = [[mbs[r * accum + j] for j in range(accum)] for r in range(world)]
        engine = [engine_grad(card, m) for m in mbs]  # (g_i, objective value, loss tokens n_i)
        for labels_kind in ('tensor', 'LabelDict', 'dict'):
            if labels_kind == 'tensor' and SCORE_KEY:
                continue  # card reads a score: its labels must be a dict
            for across in (True, False):
                loss_func = sftgoc_hf.make_compute_loss_func(card, total_steps=10, grad_accum=accum)
                trainer = MiniTrainer(loss_func, accum, world, across)
                got, logged = trainer.update([[hf_batch(m, labels_kind) for m in ms] for ms in of_rank])
                if labels_kind == 'dict':
                    # No count: the mean over every micro-batch of every process, sftgoc's own update.
                    want = sum(e[0] for e in engine) / len(engine)
                    want_logged = sum(e[1] for e in engine) / len(engine)
                elif across:
                    n = sum(e[2] for e in engine)
                    want = sum(e[0] * e[2] for e in engine) / n
                    want_logged = sum(e[1] * e[2] for e in engine) / n
                else:
                    want = sum(sum(engine[r * accum + j][0] * engine[r * accum + j][2] for j in range(accum)) / sum(engine[r * accum + j][2] for j in range(accum)) for r in range(world)) / world
                    want_logged = None
                results.append({'objective': 'card', 'accum': accum, 'world': world, 'labels': labels_kind, 'average_tokens_across_devices': across,
                                'grad_rel': rel(got, want), 'logged': logged, 'want_logged': want_logged,
                                'engine_mean_rel': rel(got, sum(e[0] for e in engine) / len(engine))})
        # SFT: the same loop with sftgoc's loss and with transformers' default causal-LM loss.
        for across in (True, False):
            batches = [[hf_batch(m, 'tensor') for m in ms] for ms in of_rank]
            ours, _ = MiniTrainer(sftgoc_hf.make_compute_loss_func(sft, grad_accum=accum), accum, world, across).update(batches)
            theirs, _ = MiniTrainer(None, accum, world, across, model_loss=hf_default_loss).update(batches)
            sft_engine = [engine_grad(sft, m) for m in mbs]
            results.append({'objective': 'sft', 'accum': accum, 'world': world, 'labels': 'tensor', 'average_tokens_across_devices': across,
                            'grad_rel': rel(ours, theirs), 'engine_single': rel(ours, sft_engine[0][0]) if accum * world == 1 else None})
print(json.dumps(results))
