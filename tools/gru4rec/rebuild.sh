#!/usr/bin/env bash
# Train GRU4Rec on the paper world's log and write the committed non-SASRec model and its fixtures:
#   tests/Ipg.Onnx.Tests/Fixtures/byom/gru4rec-paper.onnx + gru4rec-paper.fixtures.json
# Needs the log the default SASRec was trained on (seed 2024, SHA-256 5be453ce…), written by the C# CLI:
#   dotnet run --project src/Ipg.Cli -c Release -- collect-log --seed 2024 --out paper-log.txt
# Usage: LOG=paper-log.txt [EPOCHS=30] tools/gru4rec/rebuild.sh   (PYTHON overrides the interpreter)
# Settings (tools/gru4rec/README.md): d = 32 (item table = GRU width, no dense layer), L = 70,
# dropout 0.25 on the embeddings and the GRU output, Adam lr 1e-2, 128 users per batch, full softmax
# cross-entropy, seed 42, each user's last click held out. One thread; about 6 minutes on an idle
# core of the 2-core VM (12 s per epoch). Deterministic: the same log gives the same files.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
py="${PYTHON:-/usr/bin/python3}"
log="${LOG:?set LOG to the paper-world log: dotnet run --project src/Ipg.Cli -c Release -- collect-log --seed 2024 --out paper-log.txt}"
out="$here/out"
fix="$root/tests/Ipg.Onnx.Tests/Fixtures/byom"
mkdir -p "$out" "$fix"
"$py" "$here/train.py" --input "$log" --format pairs --item-count 3533 --holdout last \
  --hidden 32 --gru-hidden 0 --max-length 70 --dropout-embed 0.25 --dropout-hidden 0.25 \
  --lr 1e-2 --batch-size 128 --epochs "${EPOCHS:-30}" --eval-every 5 --seed 42 --threads 1 \
  --output "$out/gru4rec-paper.pt"
"$py" "$here/export.py" "$out/gru4rec-paper.pt" --output "$fix/gru4rec-paper.onnx" \
  --fixtures "$fix/gru4rec-paper.fixtures.json" --threads 1
