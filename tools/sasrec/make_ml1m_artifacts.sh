#!/usr/bin/env bash
# Out-of-repository artifacts from MovieLens-1M / the stock pmixer checkpoint (never commit them:
# the ML-1M terms forbid redistribution). Everything lands in tools/sasrec/out/ (gitignored).
#   out/pmixer-ml1m.onnx + out/pmixer-ml1m.fixtures.json   stock checkpoint, real val histories
#   out/ml1m-ours.onnx   + out/ml1m-ours.fixtures.json     our trainer on ML-1M (if out/ml1m-ours.pt
#                                                          exists; train it with train_ml1m.sh)
# and prints the torch parity / layout check of the stock checkpoint.
# Environment: SHARED (the shared data folder; default: `shared` beside the checkout), PYTHON (default /usr/bin/python3).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="${PYTHON:-/usr/bin/python3}"
shared="${SHARED:-$(cd "$here/../../.." && pwd)/shared}"
data="$shared/data/ml-1m-sasrec_gSASRec-split"
ckpt="$shared/models/pmixer-sasrec-ml1m/SASRec.epoch=1000.lr=0.001.layer=2.head=1.hidden=50.maxlen=200.pth"
out="$here/out"
mkdir -p "$out"
if [ ! -f "$ckpt" ] || [ ! -d "$data" ]; then
  echo "skipping: $ckpt or $data not found" >&2
  exit 0
fi

# The stock checkpoint is pmixer-v2 (trained with model.py 33bc1d8; README "pmixer revisions"): a state_dict
# cannot say so, hence --layout. Its file name carries head=1 and maxlen=200; they are passed explicitly too.
stock=(--layout pmixer-v2 --heads 1 --max-length 200)
"$py" "$here/export_onnx.py" "$ckpt" "${stock[@]}" --output "$out/pmixer-ml1m.onnx"
"$py" "$here/make_fixtures.py" "$ckpt" "${stock[@]}" --onnx "$out/pmixer-ml1m.onnx" --output "$out/pmixer-ml1m.fixtures.json" \
  --random-cases 4 --history-file "$data/val/input.txt" --history-format seq --history-count 10
"$py" "$here/check_onnx.py" "$out/pmixer-ml1m.onnx" --fixtures "$out/pmixer-ml1m.fixtures.json"
"$py" "$here/check_pmixer_parity.py" "$ckpt" "${stock[@]}" --data "$data" --users 16

if [ -f "$out/ml1m-ours.pt" ]; then
  "$py" "$here/export_onnx.py" "$out/ml1m-ours.pt" --output "$out/ml1m-ours.onnx"
  "$py" "$here/make_fixtures.py" "$out/ml1m-ours.pt" --onnx "$out/ml1m-ours.onnx" \
    --output "$out/ml1m-ours.fixtures.json" --random-cases 4 \
    --history-file "$data/val/input.txt" --history-format seq --history-count 10
  "$py" "$here/check_onnx.py" "$out/ml1m-ours.onnx" --fixtures "$out/ml1m-ours.fixtures.json"
fi
