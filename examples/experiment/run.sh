#!/bin/sh
# The experiment of docs/experiment.md: SFT, SFT-GO with the paper's three groupings (TF-IDF,
# LLMLingua-2 with the bundled encoder, Rho-1 excess loss against the bundled base model), a random
# grouping and the fact-column oracle, 5 seeds each, on the bundled model and data. Every final
# model is evaluated under every grouping (sftgoc compare). Writes OUT/compare.{json,md,svg,html}.
#   examples/experiment/run.sh                 # STEPS=100 SEEDS=1,2,3,4,5 OUT=runs/experiment
set -eu
cd "$(dirname "$0")/../.."
STEPS=${STEPS:-100}
SEEDS=${SEEDS:-1,2,3,4,5}
OUT=${OUT:-runs/experiment}
exec node bin/run.js compare \
  stdlib/sft.sftgo stdlib/sftgo.sftgo stdlib/sftgo-llmlingua2.sftgo stdlib/sftgo-rho1.sftgo \
  examples/experiment/sftgo-random.sftgo examples/experiment/sftgo-fact.sftgo \
  --seeds "$SEEDS" --out "$OUT" \
  --set train.steps="$STEPS" --set train.batch=8 --set train.lr=3e-3 \
  --set train.eval_every=0 --set train.save_every=0 "$@"
