"""Several processes of sftgoc_train.py failing together instead of one at a time.

  - `Link` wraps torch.distributed: the process group is opened with a collective timeout (a rank
    that stops answering ends every collective of the others after `timeout_s` instead of the
    default half hour), and every collective's failure (a peer gone: connection closed; a peer
    stopped: timed out) becomes `PeerLost`, so the loop can save what it holds and exit.
  - `Link.status` is the per-update status all-reduce: one small integer tensor, each rank's slot
    saying whether its micro-batches failed (and how). Every rank calls it before the gradients'
    all-reduce, so an out-of-memory error or an exception on one rank is known to all of them at
    the same point of the same update, and all stop there with the last whole update's weights.
  - `inject_fault` reads SFTGOC_FAULT="rank=R,step=S,kind=K" (tests, and anyone checking a cluster's
    failure handling) and fails rank R while it computes update S: oom (a CUDA-style out-of-memory
    RuntimeError), error (another exception), exit (the process ends with code 9 at once), sigkill
    (it kills itself), hang (it stops itself with SIGSTOP, deaf to everything but SIGKILL).
  - `die_with_parent` asks Linux to SIGKILL this process when sftgoc (its parent) dies, so no worker
    outlives a killed sftgoc.

Exit codes between the program and sftgoc: 0 done, 130 interrupted, 3 stopped by a training
failure (non-finite loss, out of memory on any rank), 1 an uncaught exception, EXIT_PEER this rank
stopped because another one failed.
"""
import ctypes
import datetime
import os
import signal

import torch
import torch.distributed as dist

EXIT_PEER = 75
# Status codes of one rank's slot in the status all-reduce.
OK, OOM, ERROR = 0, 1, 2
KIND_NAMES = {OOM: 'out of memory', ERROR: 'error'}


class PeerLost(Exception):
    """A collective failed: another rank is gone or stopped answering."""


class Link:
    def __init__(self, device, timeout_s):
        self.rank = int(os.environ.get('RANK', '0'))
        self.world = int(os.environ.get('WORLD_SIZE', '1'))
        self.timeout_s = timeout_s
        if self.world > 1:
            if device.type == 'cuda':
                # Without it NCCL ignores the timeout and a stopped peer blocks the others forever.
                os.environ.setdefault('NCCL_ASYNC_ERROR_HANDLING', '1')
            # NCCL needs one GPU per process; processes sharing a GPU use gloo, which reduces CUDA tensors too.
            local = int(os.environ.get('LOCAL_WORLD_SIZE', '1'))
            nccl = device.type == 'cuda' and local <= torch.cuda.device_count()
            dist.init_process_group('nccl' if nccl else 'gloo', timeout=datetime.timedelta(seconds=timeout_s))

    def all_reduce(self, tensor):
        if self.world == 1:
            return tensor
        try:
            dist.all_reduce(tensor)
        except RuntimeError as e:
            raise PeerLost(first_line(e)) from e
        return tensor

    def all_reduce_max(self, tensor):
        if self.world > 1:
            try:
                dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
            except RuntimeError as e:
                raise PeerLost(first_line(e)) from e
        return tensor

    def status(self, code, device):
        """Each rank's status code (OK, OOM, ERROR) for this update, as a list indexed by rank."""
        if self.world == 1:
            return [code]
        t = torch.zeros(self.world, dtype=torch.int32, device=device)
        t[self.rank] = code
        return [int(x) for x in self.all_reduce(t).tolist()]

    def barrier(self):
        if self.world > 1:
            try:
                dist.barrier()
            except RuntimeError as e:
                raise PeerLost(first_line(e)) from e

    def close(self):
        if self.world > 1:
            dist.destroy_process_group()


def first_line(e):
    return (str(e).strip().split('\n') or [''])[0][:300]


def is_oom(e):
    return isinstance(e, RuntimeError) and 'out of memory' in str(e).lower()


def parse_fault(text):
    """SFTGOC_FAULT's text as {'rank', 'step', 'kind'}, or None when unset."""
    if not text:
        return None
    fields = dict(part.split('=', 1) for part in text.split(',') if '=' in part)
    kind = fields.get('kind', 'error')
    if kind not in ('oom', 'error', 'exit', 'sigkill', 'hang'):
        raise ValueError('SFTGOC_FAULT: kind %r is not one of oom, error, exit, sigkill, hang' % kind)
    return {'rank': int(fields.get('rank', '0')), 'step': int(fields.get('step', '1')), 'kind': kind}


FAULT = parse_fault(os.environ.get('SFTGOC_FAULT'))


def inject_fault(rank, step):
    """Called while rank `rank` computes update `step` (1-based): fails it when SFTGOC_FAULT says so."""
    f = FAULT
    if f is None or f['rank'] != rank or f['step'] != step:
        return
    import sys
    sys.stderr.write('SFTGOC_FAULT: rank %d, step %d: %s\n' % (rank, step, f['kind']))
    sys.stderr.flush()
    if f['kind'] == 'oom':
        raise RuntimeError('CUDA out of memory. Tried to allocate 2.00 GiB (injected by SFTGOC_FAULT)')
    if f['kind'] == 'error':
        raise ValueError('injected by SFTGOC_FAULT')
    if f['kind'] == 'exit':
        os._exit(9)
    if f['kind'] == 'sigkill':
        os.kill(os.getpid(), signal.SIGKILL)
    if f['kind'] == 'hang':
        os.kill(os.getpid(), signal.SIGSTOP)


def die_with_parent():
    """PR_SET_PDEATHSIG: SIGKILL this process when its parent (sftgoc) dies. Linux only; a no-op elsewhere."""
    parent = os.environ.get('SFTGOC_PARENT_PID')
    if parent is None:
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != int(parent):  # the parent died before the request: go now
        os.kill(os.getpid(), signal.SIGKILL)
