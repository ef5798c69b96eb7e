#!/usr/bin/env bash
# Screenshots of every page sftgoc writes, for a person to look at (issue 17: "check each page in a
# real browser"): a short SFT-GO run's report.html (with generated answers), the groups heat-map, a
# two-seed compare.html and a sweep.svg, each rendered by Debian's headless chromium into OUT/*.png.
# test/browser/pages.test.ts checks the same pages automatically (no errors, non-empty SVGs).
#
#   scripts/screenshots.sh [OUT]            (default OUT: runs/screenshots; needs `npm ci` and chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-runs/screenshots}"
mkdir -p "$out"
command -v chromium >/dev/null || { echo "scripts/screenshots.sh: chromium not found (apt-get install chromium)" >&2; exit 1; }
sftgoc() { node bin/run.js "$@"; }
shot() { chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="$2" --screenshot="$out/$3.png" "file://$(realpath "$1")" 2>/dev/null; echo "wrote $out/$3.png"; }

rm -rf "$out/run" "$out/compare" "$out/sweep"
sftgoc run stdlib/sftgo.sftgo --quiet --set train.out="\"$out/run\"" --set train.steps=60 --set train.batch=8 --set train.eval_every=20
sftgoc eval "$out/run" --generate --limit 40 --quiet
sftgoc report "$out/run" --quiet
shot "$out/run/report.html" 1300,2600 report
sftgoc groups stdlib/sftgo.sftgo --limit 3 --format html --out "$out/groups.html" --quiet
shot "$out/groups.html" 1300,900 groups
sftgoc compare stdlib/sft.sftgo stdlib/sftgo.sftgo --seeds 1,2 --set train.steps=20 --out "$out/compare" --generate --limit 20 --quiet
shot "$out/compare/compare.html" 1300,1000 compare
sftgoc sweep stdlib/sftgo.sftgo --param λ=0.5,0.9 --seeds 1,2 --set train.steps=15 --out "$out/sweep" --quiet
shot "$out/sweep/sweep.svg" 1000,300 sweep
