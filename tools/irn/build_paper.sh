#!/usr/bin/env bash
# Train IRN on the paper world's log and write the committed model and its golden fixtures:
#   tests/Ipg.Onnx.Tests/Fixtures/irn-paper.onnx, tests/Ipg.Onnx.Tests/Fixtures/irn-paper.fixtures.json
# The log is the one the default SASRec was trained on (seed 2024, SHA-256 5be453ce…):
#   dotnet run --project src/Ipg.Cli -c Release -- collect-log --seed 2024 --out paper-log.txt
# Usage: LOG=paper-log.txt [EPOCHS=30] tools/irn/build_paper.sh   (PYTHON overrides the interpreter)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
py="${PYTHON:-/usr/bin/python3}"
log="${LOG:?set LOG to the paper world's interaction log}"
out="$here/out"
fix="$root/tests/Ipg.Onnx.Tests/Fixtures"
mkdir -p "$out" "$fix"
"$py" "$here/train.py" --input "$log" --output "$out/irn-paper.pt" --epochs "${EPOCHS:-30}" --threads 1
"$py" "$here/export_onnx.py" "$out/irn-paper.pt" --output "$fix/irn-paper.onnx" --fixtures "$fix/irn-paper.fixtures.json"
