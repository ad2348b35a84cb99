#!/usr/bin/env bash
# Train the default model (IPG paper settings, spec section 3) on the C# simulator's
# paper-preset log and write src/Ipg.Onnx/Models/sasrec-default.onnx + .fixtures.json.
#   LOG      the "user item" log, required (ipg collect-log --seed 2024 --out FILE)
#   EPOCHS   training epochs (default 50: held-out quality peaks at 40-60 epochs, README;
#            the paper used 200)
#   PYTHON   interpreter (default /usr/bin/python3)
# Settings: hidden 48, max length 70, 4 blocks, 8 heads, dropout 0.5, Adam 1e-3 (0.9, 0.98),
# batch 128, one negative per position, layout pmixer-v1, seed 42, each user's last click held
# out for evaluation (HR@10 / NDCG@10 in out/default/sasrec-default.metrics.csv).
# About 9-10 s per epoch on one core of the 2-core VM.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
py="${PYTHON:-/usr/bin/python3}"
log="${LOG:?set LOG to the paper-preset log: dotnet run --project src/Ipg.Cli -c Release -- collect-log --seed 2024 --out paper-log.txt}"
epochs="${EPOCHS:-50}"
out="$here/out/default"
models="$root/src/Ipg.Onnx/Models"
mkdir -p "$out" "$models"

"$py" "$here/train.py" --input "$log" --format pairs --item-count 3533 --holdout last \
  --hidden 48 --max-length 70 --blocks 4 --heads 8 --dropout 0.5 \
  --lr 1e-3 --beta1 0.9 --beta2 0.98 --batch-size 128 \
  --epochs "$epochs" --eval-every 10 --seed 42 --threads 1 \
  --output "$out/sasrec-default.pt"
"$py" "$here/export_onnx.py" "$out/sasrec-default.pt" --output "$models/sasrec-default.onnx"
"$py" "$here/make_fixtures.py" "$out/sasrec-default.pt" --onnx "$models/sasrec-default.onnx" \
  --output "$models/sasrec-default.fixtures.json" --random-cases 4
"$py" "$here/check_onnx.py" "$models/sasrec-default.onnx" --fixtures "$models/sasrec-default.fixtures.json"
