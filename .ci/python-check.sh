#!/usr/bin/env bash
# The Python side (tools/: training and export only; the C# side never needs it): installs Debian's torch, onnx and
# numpy when /usr/bin/python3 lacks them (PyPI is not reachable here; Debian is), then runs the exporters' tests
# (tools/tests: faithful exports pass, unfaithful ones and every case the weights cannot tell are refused) and the
# SASRec self-test (hand-written forward vs pmixer's modules, trimming, ONNX export).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

if ! "$PY" -c "import torch, onnx, numpy" >/dev/null 2>&1; then
  echo "python-check: installing python3-torch python3-onnx python3-numpy libopenblas0-pthread from Debian"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "python-check: need root or sudo to apt-get install the Python packages" >&2; exit 1; }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  for attempt in 1 2 3; do
    if $sudo apt-get update -qq && $sudo apt-get install -y -qq python3-torch python3-onnx python3-numpy libopenblas0-pthread >/dev/null; then
      break
    fi
    [ "$attempt" -eq 3 ] && { echo "python-check: apt-get failed three times" >&2; exit 1; }
    sleep 10
  done
fi
"$PY" -c "import torch, onnx, numpy; print(f'python-check: torch {torch.__version__}, onnx {onnx.__version__}, numpy {numpy.__version__}')"

"$PY" -W ignore -m unittest discover -s tools/tests -v
"$PY" tools/sasrec/selftest.py
echo "python-check: passed"
