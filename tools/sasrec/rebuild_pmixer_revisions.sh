#!/usr/bin/env bash
# Rebuild the "bring your own model" parity fixtures for every pmixer/SASRec.pytorch revision whose
# forward pass differs (tools/sasrec/README.md, "pmixer revisions"):
#   tests/Ipg.Onnx.Tests/Fixtures/byom/<layout>.onnx + .fixtures.json (layout = pmixer-v1-norelu, pmixer-v1, ...)
# Each model is trained WITH THAT REVISION'S OWN model.py (extracted from a clone of the repository
# into a temporary folder, never into this checkout) on a synthetic log (synth_log.py, no external
# data): N=100, d=16, L=20, 2 blocks, 2 heads, 40 epochs. It is exported with tools/sasrec
# (checkpoint.py + model.py, options passed explicitly) through tools/export/ipg_export.py, whose
# fixtures hold the revision's own forward on 512 histories (max |diff| <= 1e-5, identical top-10).
# A few minutes on one core.
# Usage: tools/sasrec/rebuild_pmixer_revisions.sh PMIXER_GIT_DIR   (or PMIXER_MIRROR=...; a bare or
#        normal clone of github.com/pmixer/SASRec.pytorch). PYTHON overrides the interpreter.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
py="${PYTHON:-/usr/bin/python3}"
mirror="${1:-${PMIXER_MIRROR:-}}"
if [ -z "$mirror" ]; then
  echo "usage: $0 PMIXER_GIT_DIR  (a clone of github.com/pmixer/SASRec.pytorch; or set PMIXER_MIRROR)" >&2
  exit 2
fi
git_dir="$mirror"
[ -d "$mirror/.git" ] && git_dir="$mirror/.git"
out="$here/out/pmixer-revisions"
fix="$root/tests/Ipg.Onnx.Tests/Fixtures/byom"
code="$(mktemp -d /tmp/pmixer-revisions.XXXXXX)"
trap 'rm -rf "$code"' EXIT
mkdir -p "$out" "$fix"

"$py" "$here/synth_log.py" --users 300 --items 100 --mean-clicks 25 --topics 8 --seed 1 --output "$out/log.txt"

# layout            commit   path in the repository  pmixer flags
while read -r layout commit path flags; do
  git --git-dir="$git_dir" show "$commit:$path" > "$code/$commit-model.py"
  norm=()
  [ "$flags" = "--norm_first" ] && norm=(--norm-first)
  run="$out/$layout"
  rm -rf "$run"
  "$py" "$here/pmixer_revisions.py" train --model-py "$code/$commit-model.py" --log "$out/log.txt" \
    --out-dir "$run" --item-count 100 --hidden 16 --max-length 20 --blocks 2 --heads 2 --dropout 0.2 \
    --epochs 40 --seed 42 "${norm[@]}"
  ckpt="$run/SASRec.epoch=40.lr=0.001.layer=2.head=2.hidden=16.maxlen=20.pth"
  # the layout is never read from a state_dict: pass it; heads and maxlen come from the file name
  "$py" "$here/pmixer_revisions.py" export --model-py "$code/$commit-model.py" --checkpoint "$ckpt" \
    --layout "$layout" "${norm[@]}" --revision "$commit:$path" --training-log "$out/log.txt" \
    --output "$fix/$layout.onnx" --fixtures "$fix/$layout.fixtures.json" > "$run/report.json"
  tail -n 1 "$run/report.json"
done <<'REVISIONS'
pmixer-v1-norelu 0f250b62e1de51b02608e709fcbec87f60958319 model.py -
pmixer-v1 30c43cf090d429480339ab18d43354b3e399bc29 model.py -
pmixer-v2 33bc1d81d9a69c54db895a627bc22601ab7b1a9f model.py -
pmixer-v3-postnorm fcf5588576cf6e493e88e1a64ec9fe0a77bd5a00 python/model.py -
pmixer-v3-prenorm 9c8789ffa58f63c796d498f9b99229b7ee1f1b06 python/model.py --norm_first
REVISIONS
