#!/usr/bin/env bash
# Soak test: 1,000,000 ONNX encode calls through one shared session; prints managed and private memory after a
# warm-up and every 100,000 calls, and calls/s. Exit code 1 if memory grew by 5 % or more.
# Usage: bench/Ipg.Soak/run.sh [model.onnx] [calls] [threads]
set -euo pipefail
# The host step of docs/reliability.md ("Telemetry: a host step"): keep ONNX Runtime's upload client out.
export ORT_DISABLE_TELEMETRY=1
root="$(cd "$(dirname "$0")/../.." && pwd)"
model="${1:-$root/tests/Ipg.Onnx.Tests/Fixtures/sasrec-tiny.onnx}"
calls="${2:-1000000}"
threads="${3:-1}"
dotnet build "$root/bench/Ipg.Soak" -c Release --nologo -v quiet
dotnet "$root/bench/Ipg.Soak/bin/Release/net10.0/Ipg.Soak.dll" "$model" "$calls" "$threads"
