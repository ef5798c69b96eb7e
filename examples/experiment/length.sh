#!/bin/sh
# Learning curves under SFT-GO's TF-IDF grouping (docs/experiment.md, "Training length"): the same
# file with λ = 0 is plain SFT (loss = ce) that still logs its groups, against λ = 0.9 (SFT-GO),
# 300 steps, held-out evaluation every 50. Writes OUT/lambda-0 and OUT/lambda-0.9.
set -eu
cd "$(dirname "$0")/../.."
OUT=${OUT:-runs/length}
STEPS=${STEPS:-300}
for lam in 0 0.9; do
  node bin/run.js run stdlib/sftgo.sftgo --param "λ=$lam" --set train.steps="$STEPS" --set train.batch=8 \
    --set train.lr=3e-3 --set train.eval_every=50 --set train.save_every=0 --set train.seed=1 \
    --set train.out="\"$OUT/lambda-$lam\"" -q
done
# Held-out group losses at each evaluation, and which group was the worst in training batches.
for lam in 0 0.9; do
  echo "λ = $lam"
  node -e '
    const fs = require("fs"); const dir = process.argv[1];
    for (const l of fs.readFileSync(dir + "/eval.jsonl", "utf8").trim().split("\n")) {
      const r = JSON.parse(l);
      console.log(`  step ${r.step}: ce ${r.ce.toFixed(3)}` + Object.entries(r.groups).map(([g, v]) => `, ${g} ${v.loss.toFixed(3)}`).join(""));
    }
    const m = fs.readFileSync(dir + "/metrics.jsonl", "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((r) => r.step !== undefined && r.groups);
    for (const [a, b] of [[1, 50], [51, 100], [101, 200], [201, 300]]) {
      const part = m.filter((r) => r.step >= a && r.step <= b);
      const imp = part.filter((r) => r.worst_group === "important").length;
      if (part.length) console.log(`  steps ${a}-${b}: worst training group important in ${imp}/${part.length} steps`);
    }' "$OUT/lambda-$lam"
done
