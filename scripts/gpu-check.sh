#!/usr/bin/env bash
# The torch engine on a GPU, checked against itself on the CPU. Run it on a machine with a CUDA GPU
# and a Python whose torch sees it (--python's rules: SFTGOC_PYTHON, python3, /usr/bin/python3),
# after `npm ci` (it builds dist/ itself). It checks, on the quickstart (examples/quickstart.sftgo,
# the bundled model and data, 20 steps):
#   1. --device cuda against --device cpu: every step's loss within 2e-3 relative (float32 on two
#      devices: different kernels and summation orders; cuBLAS matmuls stay float32, TF32 is off
#      for them in torch by default);
#   2. --nproc 2 on CUDA against --nproc 1 on CUDA (train.grad_accum=2), within 1e-4 relative (one GPU: the two processes
#      share it and use gloo; two or more GPUs: one each, NCCL);
#   3. train.deterministic=true on CUDA twice: the same losses, bit for bit (docs/limits.md).
# Prints one line per check and exits 1 if any fails (2: no GPU); the run directories stay under
# $OUT (default a new temporary folder) for a look at metrics.jsonl and logs/. GPU_CHECK_DEVICE=cpu
# runs the same script with cpu in place of cuda (checks the script itself on a machine without GPU).
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-$(mktemp -d -t sftgoc-gpu-check-XXXXXX)}
STEPS=${STEPS:-20}
mkdir -p "$OUT"
PY=${SFTGOC_PYTHON:-python3}
"$PY" -c 'import torch' 2>/dev/null || PY=/usr/bin/python3

DEV=${GPU_CHECK_DEVICE:-cuda}
echo "gpu-check: torch engine, quickstart, $STEPS steps, $DEV; run directories in $OUT"
if [ "$DEV" = cuda ] && ! "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then
  echo "gpu-check: $PY has no usable CUDA device (torch.cuda.is_available() is False); nothing checked" >&2
  exit 2
fi
GPUS=$("$PY" -c 'import torch; print(torch.cuda.device_count())')
[ "$DEV" = cuda ] && "$PY" -c 'import torch; print("gpu-check: torch", torch.__version__, "CUDA", torch.version.cuda, "on", torch.cuda.get_device_name(0), "x", torch.cuda.device_count())'
[ "$DEV" = cuda ] && command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true

npx tsc -p tsconfig.json

run() { # NAME FLAGS…: one quickstart run into $OUT/NAME
  local name=$1; shift
  local t0=$SECONDS
  node bin/run.js run examples/quickstart.sftgo --engine torch --python "$PY" --quiet \
    --set "train.steps=$STEPS" --set train.eval_every=0 --set train.save_every=0 --set "train.out=\"$OUT/$name\"" "$@" \
    > "$OUT/$name.out" 2>&1 || { echo "gpu-check: run $name failed:"; tail -20 "$OUT/$name.out"; return 1; }
  echo "gpu-check: ran $name in $((SECONDS - t0)) s"
}

compare() { # A B REL LABEL: per-step losses of two runs within REL relative (0: identical)
  "$PY" - "$OUT/$1/metrics.jsonl" "$OUT/$2/metrics.jsonl" "$3" "$4" <<'EOF'
import json, sys
a, b, rel, label = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
la = [json.loads(l)['loss'] for l in open(a)]
lb = [json.loads(l)['loss'] for l in open(b)]
worst = max(abs(x - y) / max(abs(y), 1e-12) for x, y in zip(la, lb)) if la else float('inf')
ok = len(la) == len(lb) and len(la) > 0 and (worst == 0 if rel == 0 else worst <= rel)
print('gpu-check: %s %s: %d steps, largest relative difference %.3g (allowed %s)' % ('PASS' if ok else 'FAIL', label, len(la), worst, 'none' if rel == 0 else '%g' % rel))
sys.exit(0 if ok else 1)
EOF
}

failed=0
run cpu --device cpu
run cuda --device "$DEV"
compare cuda cpu 2e-3 "$DEV against cpu" || failed=1
# Two micro-batches an update, so that each process computes one.
run cuda-ga2 --device "$DEV" --set train.grad_accum=2
run cuda-nproc2 --device "$DEV" --nproc 2 --set train.grad_accum=2
compare cuda-nproc2 cuda-ga2 1e-4 "$DEV --nproc 2 ($GPUS GPU(s)) against --nproc 1" || failed=1
run cuda-det-a --device "$DEV" --set train.deterministic=true
run cuda-det-b --device "$DEV" --set train.deterministic=true
compare cuda-det-a cuda-det-b 0 "$DEV train.deterministic=true, twice" || failed=1

if [ "$failed" = 0 ]; then echo "gpu-check: all checks passed"; else echo "gpu-check: some checks FAILED"; fi
exit "$failed"
