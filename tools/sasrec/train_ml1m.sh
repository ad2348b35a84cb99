#!/usr/bin/env bash
# Train our SASRec on ML-1M (gSASRec split) and evaluate on its 512 validation users.
# SASRec-paper ML-1M settings except max length 50: hidden 50, 2 blocks, 1 head, dropout 0.2.
# Output (gitignored): tools/sasrec/out/ml1m-ours.pt, .metrics.csv, .log
# EPOCHS (default 200), SHARED, PYTHON may be set in the environment.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="${PYTHON:-/usr/bin/python3}"
data="${SHARED:-$(cd "$here/../../.." && pwd)/shared}/data/ml-1m-sasrec_gSASRec-split"
mkdir -p "$here/out"
"$py" "$here/train.py" --input "$data/train/input.txt" --format seq \
  --eval-input "$data/val/input.txt" --eval-format seq --eval-targets "$data/val/output.txt" \
  --max-length 50 --hidden 50 --blocks 2 --heads 1 --dropout 0.2 \
  --epochs "${EPOCHS:-200}" --eval-every 10 --snapshot-every 25 --seed 42 --threads 1 \
  --output "$here/out/ml1m-ours.pt"
