"""The training loop of sftgoc's PyTorch engine, step for step the loop of the TensorFlow.js engine
(src/train/trainer.ts, step.ts, adamw.ts, schedule.ts, clip.ts, evaluate.ts), so both give the same
per-step losses from the same weights and batches:

  - an update takes `grad_accum` consecutive micro-batches of the epoch's order (exported by sftgoc);
    the objective is evaluated on each micro-batch whole, the gradients are averaged over them, the
    global norm is clipped as torch.nn.utils.clip_grad_norm_, then one AdamW update (decay on
    parameters of rank ≥ 2 only); nothing is applied when the loss or the norm is not finite;
  - learning-rate schedules as transformers' get_*_schedule_with_warmup (warm-up ceil(P·S) steps);
  - Group DRO weights move once per update, on its first micro-batch;
  - metrics.jsonl, eval.jsonl, checkpoints/step-N/ (model, optimizer moments under PyTorch's names,
    state.json) and final/ in the layout of the TensorFlow.js engine, so either engine can resume or
    evaluate the other's output.

Several processes (torchrun): the micro-batches of an update are dealt out to the ranks (micro-batch
i to rank i mod N) and the gradients summed with all_reduce, so the update is the one a single
process computes. Rank 0 writes the run directory.

On-policy training (input.json's `onpolicy`): an update takes `batch` prompts of the epoch's order,
samples and scores their responses (sftgoc_onpolicy.py) and runs the same update on the resulting
samples, cut into `grad_accum` micro-batches; rank 0 appends the rollouts to rollouts.jsonl.

Events for sftgoc go to stdout as lines starting with `@sftgoc ` followed by JSON.
"""
import importlib
import json
import math
import os
import shutil
import signal
import sys
import time

import torch
import torch.distributed as dist

import sftgoc_dist
import sftgoc_model
import sftgoc_onpolicy
import sftgoc_rt as rt

STATE_VERSION = 1


def event(kind, **fields):
    fields['event'] = kind
    sys.stdout.write('@sftgoc ' + json.dumps(fields) + '\n')
    sys.stdout.flush()


# ---------------------------------------------------------------- schedule (src/train/schedule.ts)

def warmup_steps(schedule, total):
    return math.ceil(schedule['warmup'] * total - 1e-9)


def lr_factor(schedule, k, total):
    w = warmup_steps(schedule, total)
    if k < w:
        return k / max(1, w)
    if schedule['kind'] == 'constant':
        return 1.0
    if schedule['kind'] == 'linear':
        return max(0.0, (total - k) / max(1, total - w))
    progress = (k - w) / max(1, total - w)
    return max(0.0, 0.5 * (1 + math.cos(math.pi * progress)))


# ---------------------------------------------------------------- batches (src/data/batch.ts collate)

def to_device(t, device):
    """To the GPU from page-locked memory, without waiting for the copy; as it is on the CPU."""
    if device.type != 'cuda':
        return t
    return t.pin_memory().to(device, non_blocking=True)


class MicroBatch:
    """One padded micro-batch and its loss tokens' per-token inputs, in row-major order."""

    def __init__(self, samples, pad_id, needs, device):
        self.size = len(samples)
        seq = max([1] + [len(s['ids']) for s in samples])
        self.seq = seq
        ids = torch.full((self.size, seq), pad_id, dtype=torch.long)
        rows, targets, sample_of = [], [], []
        for b, s in enumerate(samples):
            x = s['ids']
            ids[b, :len(x)] = torch.tensor(x, dtype=torch.long)
            for t in s['loss']:  # position t predicts token t + 1
                rows.append(b * seq + t)
                targets.append(x[t + 1])
                sample_of.append(b)
        self.ids = to_device(ids, device)
        self.rows = to_device(torch.tensor(rows, dtype=torch.long), device)
        self.targets = to_device(torch.tensor(targets, dtype=torch.long), device)
        self.sample_of = torch.tensor(sample_of, dtype=torch.long)
        self.n = len(rows)
        self.real_tokens = sum(min(len(s['ids']), seq) for s in samples)

        def cat(field, key=None, dtype=torch.float64):
            values = []
            for s in samples:
                v = s[field] if key is None else s[field][key]
                values.extend(v)
            return torch.tensor(values, dtype=dtype)

        per_token = lambda s, v: [v] * len(s['loss'])  # noqa: E731
        self.reward = torch.tensor([x for s in samples for x in per_token(s, s.get('reward', 0))], dtype=torch.float32) if needs['reward'] else None
        self.advantage = torch.tensor([x for s in samples for x in per_token(s, s.get('advantage', 0))], dtype=torch.float32) if needs['advantage'] else None
        self.ref_ce = cat('ref_ce', dtype=torch.float32) if needs['ref_ce'] else None
        self.scores = {k: cat('scores', k) for k in needs['scores']}
        self.regex = {p: cat('regex', p, torch.bool) for p in needs['regex']}


class Run:
    def __init__(self, spec, objective):
        self.spec = spec
        self.o = objective
        self.device = torch.device(spec['device'])
        if int(os.environ.get('WORLD_SIZE', '1')) > 1 and self.device.type == 'cuda':
            # More processes than GPUs (a test of --nproc on one GPU): they share, and talk through gloo.
            self.device = torch.device('cuda', int(os.environ.get('LOCAL_RANK', '0')) % torch.cuda.device_count())
            torch.cuda.set_device(self.device)
        self.link = sftgoc_dist.Link(self.device, spec.get('collective_timeout_s', 900))
        self.rank, self.world = self.link.rank, self.link.world
        # The first process of each machine reports to its sftgoc (several machines: one sftgoc each).
        self.reports = int(os.environ.get('LOCAL_RANK', '0')) == 0
        t = spec['train']
        self.t = t
        self.bf16 = t.get('precision') == 'bf16'
        self.model = sftgoc_model.load_model(spec['model']['dir']).to(self.device)
        decay = [p for p in self.model.weights if p.dim() >= 2]
        plain = [p for p in self.model.weights if p.dim() < 2]
        self.opt = torch.optim.AdamW([{'params': decay, 'weight_decay': t['weight_decay']}, {'params': plain, 'weight_decay': 0.0}],
                                     lr=t['lr'], betas=tuple(t['betas']), eps=t['eps'])
        self.dro = rt.DroState(objective.DRO_SIZES)
        self.samples = spec['samples']
        self.pad_id = spec['pad_id']
        self.needs = objective.NEEDS
        self.total = spec['total_steps']
        self.mb_per_epoch = spec['micro_batches_per_epoch']
        self.thresholds = spec.get('thresholds') or {}
        self.run_dir = spec['run_dir']
        self.stop_file = spec.get('stop_file')
        self.stop = False
        self.torn = False
        self.real_tokens = 0
        self.outcome = {'status': 'completed'}
        self.onpolicy = sftgoc_onpolicy.OnPolicy(spec['onpolicy'], self) if spec.get('onpolicy') else None

    # ---------------------------------------------------------- objective on one micro-batch
    def evaluate_batch(self, mb, step, training, first):
        ce, ent = sftgoc_model.token_stats(self.model, mb.ids, mb.rows, mb.targets, self.needs['entropy'], bf16=self.bf16)
        if mb.n == 0:
            zero = ce.sum() * 0
            return zero, zero, [(zero, 0) for _ in self.o.GROUPS]
        V, H = rt.contexts(ce, mb.sample_of, entropy=ent, ref_ce=mb.ref_ce, reward=mb.reward, advantage=mb.advantage,
                           scores=mb.scores, regex=mb.regex, thresholds=self.thresholds)
        r = self.o.objective(V, H, step, self.total, self.dro, training and first)
        return r.loss, ce.mean(), r.groups

    def micro_batch(self, order, index, kind='train'):
        """Micro-batch `index` of an epoch's order, built when it is needed (an epoch never sits on the device whole)."""
        b = self.t['batch']
        samples = self.samples[kind]
        return MicroBatch([samples[i] for i in order[index * b:(index + 1) * b]], self.pad_id, self.needs, self.device)

    def reduce(self, values):
        """Sums a list of floats over the ranks (float64)."""
        if self.world == 1:
            return values
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        return self.link.all_reduce(t).tolist()

    # ---------------------------------------------------------- one update (src/train/step.ts)
    def update(self, mbs, step, lr):
        """mbs: the update's micro-batches as builders; a process builds only those it computes."""
        k = len(mbs)
        names = self.o.GROUPS
        # loss sum, ce·tokens, tokens, then per group (loss·tokens, tokens)
        acc = [0.0, 0.0, 0.0] + [0.0] * (2 * len(names))
        mine = [i for i in range(k) if i % self.world == self.rank]
        if self.o.DRO_SIZES and 0 not in mine:
            # Group DRO moves on the update's first micro-batch; the other ranks replay its group means.
            with torch.no_grad():
                self.evaluate_batch(mbs[0](), step, True, True)
        self.opt.zero_grad(set_to_none=True)
        self.real_tokens = 0
        own = sftgoc_dist.OK
        try:
            sftgoc_dist.inject_fault(self.rank, step + 1)
            for i in mine:
                mb = mbs[i]()
                self.real_tokens += mb.real_tokens
                loss, ce, groups = self.evaluate_batch(mb, step, True, i == 0)
                if loss.requires_grad:
                    (loss / k).backward()
                acc[0] += float(loss)
                acc[1] += float(ce) * mb.n
                acc[2] += mb.n
                for g, (value, count) in enumerate(groups):
                    acc[3 + 2 * g] += float(value) * count
                    acc[4 + 2 * g] += count
        except Exception as e:  # noqa: BLE001 — told to every rank below, then raised again
            if self.world == 1:
                raise
            own = sftgoc_dist.OOM if sftgoc_dist.is_oom(e) else sftgoc_dist.ERROR
            failure = e
        # Every rank learns here whether any rank's micro-batches failed, before any gradient moves.
        codes = self.link.status(own, self.device)
        if own != sftgoc_dist.OK:
            raise failure
        bad = [r for r, c in enumerate(codes) if c != sftgoc_dist.OK]
        if bad:
            raise RankFailed(bad[0], codes[bad[0]])
        params = [p for p in self.model.weights]
        for p in params:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
        if self.world > 1:
            flat = torch.cat([p.grad.reshape(-1) for p in params])
            self.link.all_reduce(flat)
            offset = 0
            for p in params:
                p.grad.copy_(flat[offset:offset + p.numel()].view_as(p))
                offset += p.numel()
        acc = self.reduce(acc + [float(self.real_tokens)])
        self.real_tokens = int(acc.pop())
        loss = acc[0] / k
        metrics = {
            'loss': loss, 'ce': acc[1] / acc[2] if acc[2] > 0 else 0.0,
            'groups': {n: {'loss': acc[3 + 2 * g] / acc[4 + 2 * g] if acc[4 + 2 * g] > 0 else 0.0, 'tokens': int(acc[4 + 2 * g])} for g, n in enumerate(names)},
        }
        metrics['worst_group'] = worst(metrics['groups'])
        if not math.isfinite(loss):
            return metrics, 'loss (%s)' % loss
        norm = float(torch.sqrt(sum((p.grad.double() ** 2).sum() for p in params)))
        if not math.isfinite(norm):
            return metrics, 'gradient norm'
        clip = self.t['clip_grad']
        if clip > 0 and norm > clip:
            scale = clip / (norm + 1e-6)
            for p in params:
                p.grad.mul_(scale)
        for group in self.opt.param_groups:
            group['lr'] = lr
        self.torn = True
        self.opt.step()
        self.torn = False
        return metrics, None

    # ---------------------------------------------------------- evaluation (src/train/evaluate.ts)
    def evaluate(self, step):
        order = list(range(len(self.samples['eval'])))
        count = -(-len(order) // self.t['batch'])
        if count == 0:
            return None
        names = self.o.GROUPS
        acc = [0.0, 0.0, 0.0] + [0.0] * (2 * len(names))
        with torch.no_grad():
            for i in range(count):
                if i % self.world != self.rank:
                    continue
                mb = self.micro_batch(order, i, 'eval')
                loss, ce, groups = self.evaluate_batch(mb, step, False, False)
                acc[0] += float(loss) * mb.n
                acc[1] += float(ce) * mb.n
                acc[2] += mb.n
                for g, (value, count) in enumerate(groups):
                    acc[3 + 2 * g] += float(value) * count
                    acc[4 + 2 * g] += count
        acc = self.reduce(acc)
        tokens = acc[2]
        ce = acc[1] / tokens if tokens > 0 else 0.0
        groups = {n: {'loss': acc[3 + 2 * g] / acc[4 + 2 * g] if acc[4 + 2 * g] > 0 else 0.0, 'tokens': int(acc[4 + 2 * g])} for g, n in enumerate(names)}
        return {'step': step, 'epoch': self.epoch_at(), 'loss': acc[0] / tokens if tokens > 0 else 0.0, 'ce': ce, 'perplexity': math.exp(ce),
                'tokens': int(tokens), 'groups': groups, 'worst_group': worst(groups)}

    def epoch_at(self):
        return self.epoch + self.micro / self.mb_per_epoch

    # ---------------------------------------------------------- run directory
    def append(self, name, record):
        if self.rank == 0:
            with open(os.path.join(self.run_dir, name), 'a', encoding='utf-8') as f:
                f.write(json.dumps(record, separators=(',', ':'), ensure_ascii=False) + '\n')

    def model_config(self):
        return self.spec['model']['config']

    def save_weights(self, directory):
        sftgoc_model.save_model(self.model, directory, self.model_config())
        for f in self.spec['tokenizer_files']:
            shutil.copyfile(f, os.path.join(directory, os.path.basename(f)))

    def write_dir(self, final, fill):
        """Fills a temporary sibling and renames it into place: a reader sees the old directory or the new one."""
        tmp = final + '.tmp-%d' % os.getpid()
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        fill(tmp)
        old = final + '.old-%d' % os.getpid()
        if os.path.exists(final):
            os.rename(final, old)
        os.rename(tmp, final)
        shutil.rmtree(old, ignore_errors=True)

    def checkpoint(self):
        if self.rank != 0:
            return None
        directory = os.path.join(self.run_dir, 'checkpoints', 'step-%d' % self.step)
        os.makedirs(os.path.dirname(directory), exist_ok=True)

        def fill(tmp):
            self.save_weights(tmp)
            moments = []
            for name, p in self.model.named_weights():
                s = self.opt.state.get(p, {})
                moments.append(('exp_avg.' + name, s.get('exp_avg', torch.zeros_like(p))))
                moments.append(('exp_avg_sq.' + name, s.get('exp_avg_sq', torch.zeros_like(p))))
            sftgoc_model.write_safetensors(os.path.join(tmp, 'optimizer.safetensors'), moments, {'step': str(self.opt_steps)})
            state = {
                'version': STATE_VERSION, 'step': self.step, 'totalSteps': self.total, 'epoch': self.epoch, 'microBatch': self.micro,
                'rng': {'seed': self.t['seed'], 'epoch': self.epoch},
                'layout': {'batch': self.t['batch'], 'gradAccum': self.t['grad_accum'], 'trainSamples': self.train_count()},
                'objective': self.dro.snapshot() if self.o.DRO_SIZES else None, 'elapsedS': self.elapsed(), 'tokensSeen': self.tokens_seen,
            }
            with open(os.path.join(tmp, 'state.json'), 'w') as f:
                json.dump(state, f, indent=2)
                f.write('\n')
        self.write_dir(directory, fill)
        self.outcome['last_checkpoint'] = directory
        return directory

    def resume(self, directory):
        with open(os.path.join(directory, 'state.json')) as f:
            s = json.load(f)
        tensors, _ = sftgoc_model.read_safetensors(os.path.join(directory, 'model.safetensors'))
        self.model.load({k: v.to(self.device) for k, v in tensors.items()}, directory)
        moments, meta = sftgoc_model.read_safetensors(os.path.join(directory, 'optimizer.safetensors'))
        steps = int(meta.get('step', s['step']))
        for name, p in self.model.named_weights():
            self.opt.state[p] = {'step': torch.tensor(float(steps)), 'exp_avg': moments['exp_avg.' + name].to(self.device).clone(),
                                 'exp_avg_sq': moments['exp_avg_sq.' + name].to(self.device).clone()}
        self.opt_steps = steps
        if s.get('objective') is not None and self.o.DRO_SIZES:
            self.dro.restore(s['objective'])
        self.step, self.epoch, self.micro = s['step'], s['epoch'], s['microBatch']
        self.elapsed_before, self.tokens_seen = s['elapsedS'], s['tokensSeen']

    def train_count(self):
        """What an epoch is made of: training samples, or prompts when on-policy (state.json's layout)."""
        return len(self.onpolicy.prompts) if self.onpolicy else len(self.samples['train'])

    def on_policy_batch(self, order):
        """The update's micro-batches from this step's rollouts, the rollout records and the reward
        statistics; None (with the outcome set and the state before the step saved) when the reward failed."""
        try:
            samples, records, rewards, times = self.onpolicy.step(order, self.micro, self.step)
        except sftgoc_onpolicy.RewardError as e:
            # As the tfjs trainer: nothing of this step was applied; the state after `step` updates is
            # saved, so `run --resume` redoes this step (the same prompts and streams) once the reward is fixed.
            self.outcome.update(status='diverged', message='step %d: %s' % (self.step + 1, e))
            event('note', text=self.outcome['message'])
            self.checkpoint()
            return None
        mbs = [(lambda c=c: MicroBatch(c, self.pad_id, self.needs, self.device)) for c in sftgoc_onpolicy.micro_batches(samples, self.t['grad_accum'])]
        mean, std = sftgoc_onpolicy.reward_stats(rewards)
        return mbs, records, {'reward_mean': mean, 'reward_std': std, 'sample_s': times[0], 'reward_s': times[1]}

    def elapsed(self):
        return self.elapsed_before + (time.time() - self.started)

    def should_stop(self):
        flag = 1.0 if self.stop or (self.stop_file and os.path.exists(self.stop_file)) else 0.0
        return self.reduce([flag])[0] > 0

    # ---------------------------------------------------------- the loop (src/train/trainer.ts)
    def train(self):
        t = self.t
        self.step, self.epoch, self.micro = 0, 0, 0
        self.elapsed_before, self.tokens_seen, self.opt_steps = 0.0, 0, 0
        if self.spec.get('resume_from'):
            self.resume(self.spec['resume_from'])
            if self.step >= self.total:
                event('note', text='%s is the end of the run (step %d of %d): nothing left to train' % (self.spec['resume_from'], self.step, self.total))
                self.outcome.update(step=self.step, last_checkpoint=self.spec['resume_from'], final_dir=os.path.join(self.run_dir, 'final'))
                return self.outcome
        self.same_start()
        self.started = time.time()
        if self.onpolicy and self.rank == 0:
            sftgoc_onpolicy.truncate_rollouts(os.path.join(self.run_dir, 'rollouts.jsonl'), self.step)
        if self.step == 0 and t['eval_every'] > 0:
            self.run_eval()
        event('start', total=self.total, step=self.step)
        orders = self.spec['epoch_orders']
        while self.step < self.total:
            if self.micro >= self.mb_per_epoch:
                self.epoch += 1
                self.micro = 0
            order = orders[self.epoch]
            lr = t['lr'] * lr_factor(t['lr_schedule'], self.step, self.total)
            params = self.o.params(self.step, self.total)
            rollouts, extra = [], {}
            if self.onpolicy:
                built = self.on_policy_batch(order)
                if built is None:
                    break
                mbs, rollouts, extra = built
                advance = 1  # one batch of prompts
            else:
                mbs = [(lambda j=j, order=order: self.micro_batch(order, j)) for j in range(self.micro, min(self.micro + t['grad_accum'], self.mb_per_epoch))]
                advance = len(mbs)
            t0 = time.time()  # the update alone (sampling and scoring have their own times), as the tfjs trainer
            try:
                metrics, failed = self.update(mbs, self.step, lr)
            except (RuntimeError, RankFailed, sftgoc_dist.PeerLost) as e:
                if not self.failed(e):
                    raise
                break
            seconds = max(1e-9, time.time() - t0)
            if failed is not None:
                self.outcome.update(status='diverged', message='non-finite %s at step %d' % (failed, self.step + 1))
                event('note', text=self.outcome['message'] + '; saving the last good state')
                self.checkpoint()
                break
            self.opt_steps += 1
            tokens = self.real_tokens
            self.tokens_seen += tokens
            self.step += 1
            self.micro += advance
            record = {'step': self.step, 'epoch': self.epoch_at(), 'lr': lr, 'params': params, 'loss': metrics['loss'], 'ce': metrics['ce'],
                      'groups': metrics['groups'], 'worst_group': metrics['worst_group'], 'tokens_per_s': tokens / seconds, 'elapsed_s': self.elapsed()}
            if self.onpolicy:
                record.update(extra, update_s=seconds)
            for r in rollouts:
                self.append('rollouts.jsonl', r)
            self.append('metrics.jsonl', record)
            if self.reports:
                event('step', metrics=record, cpu_s=time.process_time())
            if t['eval_every'] > 0 and self.step % t['eval_every'] == 0 and self.step < self.total:
                self.run_eval()
            if t['save_every'] > 0 and self.step % t['save_every'] == 0 and self.step < self.total:
                self.checkpoint()
            if self.step < self.total and self.should_stop():
                self.outcome['status'] = 'interrupted'
                self.checkpoint()
                break
        self.outcome['step'] = self.step
        if self.outcome['status'] == 'completed':
            self.run_eval()
            self.checkpoint()
            if self.rank == 0:
                final = os.path.join(self.run_dir, 'final')
                self.write_dir(final, self.save_weights)
                self.outcome['final_dir'] = final
        return self.outcome

    def same_start(self):
        """Every process starts from the same step (several machines resume from copies of one checkpoint)."""
        if self.world == 1:
            return
        t = torch.tensor([self.step, -self.step], dtype=torch.float64, device=self.device)
        self.link.all_reduce_max(t)
        if int(t[0]) != self.step or int(-t[1]) != self.step:
            raise ValueError('the processes start from different steps (%d to %d; this one, rank %d, from %d): on several machines, '
                             'copy machine 0\'s newest checkpoints/step-N/ into every machine\'s run directory before --resume'
                             % (int(-t[1]), int(t[0]), self.rank, self.step))

    def failed(self, e):
        """A failure during an update: records how the run ends and saves the last whole update when it can.
        False: an error of this rank alone that is not out of memory (raised as it is: exit 1)."""
        where = ' on rank %d' % self.rank if self.world > 1 else ''
        if isinstance(e, RankFailed):
            if e.code == sftgoc_dist.OOM:
                self.outcome.update(status='diverged', exit_code=3, failed_rank=e.rank,
                                    message='out of memory on rank %d at step %d (its log says how much); lower train.batch or data.max_len, or raise train.grad_accum' % (e.rank, self.step + 1))
            else:
                self.outcome.update(status='failed', exit_code=sftgoc_dist.EXIT_PEER, failed_rank=e.rank,
                                    message='rank %d failed at step %d (an exception; its log has the traceback)' % (e.rank, self.step + 1))
        elif isinstance(e, sftgoc_dist.PeerLost):
            self.outcome.update(status='failed', exit_code=sftgoc_dist.EXIT_PEER,
                                message='rank %d lost the other ranks at step %d: %s' % (self.rank, self.step + 1, e))
        elif sftgoc_dist.is_oom(e):
            # As the tfjs engine: a training failure (exit 3) after saving the state before this update.
            self.outcome.update(status='diverged', exit_code=3, failed_rank=self.rank,
                                message='out of memory%s at step %d (%s); lower train.batch or data.max_len, or raise train.grad_accum'
                                % (where, self.step + 1, sftgoc_dist.first_line(e)[:200]))
        else:
            # This rank's own exception: raised again (traceback in its log, exit 1) after saving.
            if self.world > 1 and not self.torn and self.step > 0:
                self.checkpoint()
            return False
        if self.reports:
            event('note', text=self.outcome['message'])
        # The weights are those of the last whole update unless the optimizer was cut off half-way.
        if not self.torn and self.step > 0:
            self.opt.zero_grad(set_to_none=True)
            self.checkpoint()
        return True

    def run_eval(self):
        record = self.evaluate(self.step)
        if record is not None:
            self.append('eval.jsonl', record)
            if self.reports:
                event('eval', metrics=record)


class RankFailed(Exception):
    """Another rank's micro-batches failed in this update (the status all-reduce said so)."""

    def __init__(self, rank, code):
        super().__init__('rank %d: %s' % (rank, sftgoc_dist.KIND_NAMES.get(code, code)))
        self.rank, self.code = rank, code


def worst(groups):
    """The non-empty group with the largest loss; ties to the first; None when all are empty."""
    best, name = -math.inf, None
    for n, g in groups.items():
        if g['tokens'] > 0 and g['loss'] > best:
            best, name = g['loss'], n
    return name


def resolve_paths(spec, base):
    """input.json's paths are relative to its own folder (absolute ones stay), so a copied run directory runs anywhere."""
    at = lambda p: p if p is None or os.path.isabs(p) else os.path.normpath(os.path.join(base, p))  # noqa: E731
    spec['model']['dir'] = at(spec['model']['dir'])
    spec['tokenizer_files'] = [at(p) for p in spec['tokenizer_files']]
    for key in ('run_dir', 'stop_file', 'resume_from'):
        spec[key] = at(spec.get(key))
    return spec


def deterministic(spec):
    """train.deterministic: kernels that give the same bits every time (on CUDA: no atomics in
    scatter_add_ and the embedding backward, a fixed cuBLAS workspace); an op with no such kernel
    raises instead of running."""
    if spec.get('deterministic'):
        os.environ.setdefault('CUBLAS_WORKSPACE_CONFIG', ':4096:8')
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False


def main(argv):
    sftgoc_dist.die_with_parent()
    with open(argv[1]) as f:
        spec = resolve_paths(json.load(f), os.path.dirname(os.path.abspath(argv[1])))
    program = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, program)
    objective = importlib.import_module(spec.get('objective_module', 'objective'))
    deterministic(spec)
    torch.manual_seed(spec['train']['seed'])
    if spec.get('threads'):
        torch.set_num_threads(spec['threads'])
    try:
        run = Run(spec, objective)
    except sftgoc_onpolicy.RegexRefused as e:
        sys.stderr.write('reward = regex(%s): the torch engine cannot match this pattern as RE2 does: %s; use --engine tfjs\n'
                         % (json.dumps(spec['onpolicy']['reward']['pattern']), e))
        return 1
    # Ctrl-C (or SIGTERM): finish this update, save a checkpoint, exit 130.
    def on_signal(signum, frame):
        run.stop = True
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    if run.reports:
        event('config', python=sys.version.split()[0], torch=torch.__version__, device=str(run.device), world_size=run.world)
    try:
        outcome = run.train()
    except sftgoc_dist.PeerLost as e:  # in an evaluation or the stop check, between updates
        run.failed(e)
        outcome = dict(run.outcome, step=run.step)
    if run.reports:
        import resource
        event('done', max_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, rank=run.rank, **outcome)
    if 'exit_code' in outcome:
        # A failed run: the other ranks may be gone, so no barrier and no orderly teardown of the group.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(outcome['exit_code'])
    try:
        run.link.barrier()
        run.link.close()
    except sftgoc_dist.PeerLost:
        pass  # the run's work is done; a peer that is gone at the last barrier changes nothing
    return {'completed': 0, 'interrupted': 130, 'diverged': 3}[outcome['status']]


if __name__ == '__main__':
    sys.exit(main(sys.argv))
