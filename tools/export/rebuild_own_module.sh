#!/usr/bin/env bash
# Rebuilds tests/Ipg.Onnx.Tests/Fixtures/byom/own-module-recency-pool.{onnx,fixtures.json}: the own-module path
# (tools/export/ipg_export.py --adapter) on the example user module tools/export/examples/recency_pool.py.
# Seconds; no external data. Byte-for-byte reproducible with the same torch/onnx versions.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-/usr/bin/python3}
out=tools/export/out
fixtures=tests/Ipg.Onnx.Tests/Fixtures/byom
mkdir -p "$out" "$fixtures"
"$PY" tools/export/examples/recency_pool.py --output "$out/recency-pool.pt"
"$PY" tools/export/ipg_export.py --adapter tools/export/examples/recency_pool.py:make_adapter \
  --checkpoint "$out/recency-pool.pt" \
  --output "$fixtures/own-module-recency-pool.onnx" --fixtures "$fixtures/own-module-recency-pool.fixtures.json"
