#!/usr/bin/env bash
# Load test of samples/RecommenderService over loopback (docs/reliability.md, "The service under load"): builds the
# sample and the client, starts the service on 127.0.0.1 with the embedded default model written to a watched file,
# drives it at each concurrency level for SECONDS (10 % malformed requests; every answer checked against the library),
# then swaps models under traffic (default ↔ the two tiny test models, every 10 s), and stops the service by its PID.
# Exit code 1 on any 5xx, transport error, wrong status or wrong answer.
# Usage: bench/Ipg.Load/run.sh [levels = 1,4,16,64] [seconds = 60] [swap seconds = 60]
set -euo pipefail
# The host step of docs/reliability.md ("Telemetry: a host step"): keep ONNX Runtime's upload client out.
export ORT_DISABLE_TELEMETRY=1
root="$(cd "$(dirname "$0")/../.." && pwd)"
levels="${1:-1,4,16,64}"
seconds="${2:-60}"
swap_seconds="${3:-60}"
port="${PORT:-5191}"
work="$(mktemp -d)"
dotnet build "$root/samples/RecommenderService" -c Release --nologo -v quiet
dotnet build "$root/bench/Ipg.Load" -c Release --nologo -v quiet
default="$work/default.onnx"
cp "$root/src/Ipg.Onnx/Models/sasrec-default.onnx" "$default"
cp "$default" "$work/served.onnx"
tiny="$root/tests/Ipg.Onnx.Tests/Fixtures/sasrec-tiny.onnx"
tiny2="$root/tests/Ipg.Onnx.Tests/Fixtures/sasrec-tiny-v2.onnx"

Ipg__ModelPath="$work/served.onnx" Ipg__WatchModelFile=true Ipg__ModelPollInterval=00:00:00.5 Logging__LogLevel__Default=Warning \
  dotnet "$root/samples/RecommenderService/bin/Release/net10.0/RecommenderService.dll" --contentRoot "$root/samples/RecommenderService/bin/Release/net10.0" --urls "http://127.0.0.1:$port" >"$work/service.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.2
done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet "$root/bench/Ipg.Load/bin/Release/net10.0/Ipg.Load.dll" --url "http://127.0.0.1:$port" --pid "$pid" \
  --levels "$levels" --seconds "$seconds" --models "$default,$tiny2,$default,$tiny" \
  --swap "$work/served.onnx" --swap-every 10 --swap-seconds "$swap_seconds" --swap-concurrency 16
status=$?
echo "service log (warnings and errors):"; grep -E "warn|fail|crit" "$work/service.log" | head -20 || true
exit $status
