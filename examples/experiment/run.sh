#!/bin/sh
# The experiment of docs/experiment.md, in two stages, on the bundled model and data:
#   1. each method's learning rate: `sftgoc sweep` over LRS with SWEEP_SEEDS, ranked by held-out ce
#      (the one yardstick every method shares), into OUT/lr/<method>/;
#   2. every method at its own best learning rate: `sftgoc compare` over SEEDS, each final model
#      evaluated under every grouping and answering the bundled questions (--generate), into OUT/compare/.
# Methods: SFT, SFT-GO with TF-IDF, LLMLingua-2 and Rho-1 groupings, Rho-1 (its reference trained on
# the bundled high-quality split), DFT, SFT-GO with a random grouping (control) and with the fact
# column (oracle). examples/experiment/paired.mjs then gives per-seed differences against SFT.
#   examples/experiment/run.sh            # STEPS=100 LRS=1e-3,3e-3,1e-2 SWEEP_SEEDS=1 SEEDS=1,2,3,4,5 OUT=runs/experiment
set -eu
cd "$(dirname "$0")/../.."
STEPS=${STEPS:-100}
LRS=${LRS:-1e-3,3e-3,1e-2}
SWEEP_SEEDS=${SWEEP_SEEDS:-1}
SEEDS=${SEEDS:-1,2,3,4,5}
OUT=${OUT:-runs/experiment}
METHODS="stdlib/sft.sftgo stdlib/sftgo.sftgo stdlib/sftgo-llmlingua2.sftgo stdlib/sftgo-rho1.sftgo stdlib/rho1.sftgo stdlib/dft.sftgo examples/experiment/sftgo-random.sftgo examples/experiment/sftgo-fact.sftgo"
COMMON="--set train.steps=$STEPS --set train.batch=8 --set train.eval_every=0 --set train.save_every=0"
start=$(date +%s)
mkdir -p "$OUT/best"
files=""
for f in $METHODS; do
  name=$(basename "$f" .sftgo)
  # shellcheck disable=SC2086
  node bin/run.js sweep "$f" --set train.lr="$LRS" $COMMON --seeds "$SWEEP_SEEDS" --by ce --out "$OUT/lr/$name" --quiet > /dev/null
  lr=$(node -e 'const d=require(process.argv[1]);process.stdout.write(d.rows[0].point.replace(/^train\.lr=/,""))' "$(realpath "$OUT/lr/$name/sweep.json")")
  echo "$name: best lr $lr (by held-out ce over seeds $SWEEP_SEEDS; $OUT/lr/$name/sweep.md)"
  printf '# %s at its best learning rate of %s (written by examples/experiment/run.sh)\nimport "%s"\ntrain { lr = %s }\n' "$name" "$LRS" "$(realpath "$f")" "$lr" > "$OUT/best/$name.sftgo"
  files="$files $OUT/best/$name.sftgo"
done
# shellcheck disable=SC2086
node bin/run.js compare $files --seeds "$SEEDS" --out "$OUT/compare" --generate $COMMON "$@"
node examples/experiment/paired.mjs "$OUT/compare/compare.json" > "$OUT/compare/paired.md"
node examples/experiment/figure.mjs "$OUT/compare/compare.json" "$OUT/compare/figure.svg" --leave-out dft
echo "wrote $OUT/compare/compare.md and paired.md; wall time $(( $(date +%s) - start )) s"
