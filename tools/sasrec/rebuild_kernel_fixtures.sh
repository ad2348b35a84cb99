#!/usr/bin/env bash
# Extra tiny models for the managed SASRec kernel's tests (tests/Ipg.Onnx.Tests/Fixtures/kernel):
# the layouts and export options the two main tiny models do not cover (pmixer-v3-prenorm,
# pmixer-v3-postnorm, --last-position-only), with hidden sizes that are not multiples of the
# SIMD width and several head sizes. Seconds on one core; no external data.
# Usage: tools/sasrec/rebuild_kernel_fixtures.sh   (PYTHON overrides the interpreter)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
py="${PYTHON:-/usr/bin/python3}"
out="$here/out/kernel"
fix="$root/tests/Ipg.Onnx.Tests/Fixtures/kernel"
mkdir -p "$out" "$fix"

"$py" "$here/synth_log.py" --users 200 --items 60 --mean-clicks 20 --topics 6 --seed 3 \
  --output "$out/kernel-log.txt"

# name layout hidden heads max_length blocks export-flags
while read -r name layout hidden heads length blocks flags; do
  "$py" "$here/train.py" --input "$out/kernel-log.txt" --item-count 60 --hidden "$hidden" \
    --max-length "$length" --blocks "$blocks" --heads "$heads" --dropout 0.2 --epochs 10 \
    --eval-every 10 --seed 7 --threads 1 --quiet --layout "$layout" --output "$out/$name.pt"
  # shellcheck disable=SC2086
  "$py" "$here/export_onnx.py" "$out/$name.pt" --output "$fix/$name.onnx" $flags
  "$py" "$here/make_fixtures.py" "$out/$name.pt" --onnx "$fix/$name.onnx" \
    --output "$fix/$name.fixtures.json" --random-cases 6
done <<'MODELS'
sasrec-v3-prenorm pmixer-v3-prenorm 20 4 13 2
sasrec-v3-postnorm pmixer-v3-postnorm 12 3 9 3
sasrec-v1-last pmixer-v1 24 4 17 2 --last-position-only
sasrec-v2-last pmixer-v2 18 3 11 3 --last-position-only
MODELS
