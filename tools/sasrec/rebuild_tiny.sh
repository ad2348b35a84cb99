#!/usr/bin/env bash
# Rebuild the two tiny test models and their fixtures (seconds on one core).
#   tests/Ipg.Onnx.Tests/Fixtures/sasrec-tiny.onnx      layout pmixer-v1 (our training layout,
#                                                  positions zero_based_all_slots)
#   tests/Ipg.Onnx.Tests/Fixtures/sasrec-tiny-v2.onnx   layout pmixer-v2 (stock pmixer checkpoints,
#                                                  positions one_based_zero_padding)
# Both are trained on a synthetic log written by synth_log.py (no external data).
# Usage: tools/sasrec/rebuild_tiny.sh   (from anywhere; PYTHON overrides the interpreter)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
py="${PYTHON:-/usr/bin/python3}"
out="$here/out/tiny"
fix="$root/tests/Ipg.Onnx.Tests/Fixtures"
mkdir -p "$out" "$fix"

"$py" "$here/synth_log.py" --users 300 --items 100 --mean-clicks 25 --topics 8 --seed 1 \
  --output "$out/tiny-log.txt"

common=(--input "$out/tiny-log.txt" --item-count 100 --hidden 16 --max-length 20 --blocks 2
        --heads 2 --dropout 0.2 --epochs 40 --eval-every 10 --seed 42 --threads 1 --quiet)

for variant in v1 v2; do
  if [ "$variant" = v1 ]; then name=sasrec-tiny; layout=pmixer-v1; else name=sasrec-tiny-v2; layout=pmixer-v2; fi
  "$py" "$here/train.py" "${common[@]}" --layout "$layout" --output "$out/$name.pt"
  "$py" "$here/export_onnx.py" "$out/$name.pt" --output "$fix/$name.onnx"
  "$py" "$here/make_fixtures.py" "$out/$name.pt" --onnx "$fix/$name.onnx" \
    --output "$fix/$name.fixtures.json" --random-cases 6
  tail -n 1 "$out/$name.metrics.csv"
done
