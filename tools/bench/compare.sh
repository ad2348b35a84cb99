#!/usr/bin/env bash
# Ipg (C#, bench/Ipg.Compare) vs the PyTorch reference (tools/bench/torch_reference.py), same machine, same model
# weights, same inputs, one after the other, several times; prints medians and ratios. See tools/bench/README.md.
#
#   tools/bench/compare.sh                      # RUNS=5 THREADS="1 2" REPS=2 REQUESTS=200 RUNNER_ROUNDS=20
#   RUNS=3 THREADS=1 tools/bench/compare.sh
#
# Environment: RUNS (processes per side and thread count), THREADS (list), REPS (repetitions of each workload inside
# one process; guidance rounds 1..REPS), REQUESTS (single requests per repetition), RUNNER_ROUNDS (rounds of the
# C#-only GuidanceRunner measurement, 0 = skip), PY (the interpreter with torch), OUT (work folder, gitignored),
# CHUNK (C# encoder chunk size, default the library's 32), BATCH (PyTorch batch size, default 512), KERNEL (C# encoder
# kernel, default ort), CS_PARALLEL (1 = for T > 1 also run C# the way the library recommends for large offline batches:
# ONNX Runtime intra-op 1 and BatchParallelism T, reported as "csharp-bp"; 0 = skip). Everything goes to $OUT/results.jsonl; the table is printed at the end (and to $OUT/summary.txt).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
RUNS="${RUNS:-5}"
THREADS="${THREADS:-1 2}"
REPS="${REPS:-2}"
REQUESTS="${REQUESTS:-200}"
RUNNER_ROUNDS="${RUNNER_ROUNDS:-20}"
PY="${PY:-/usr/bin/python3}"
OUT="${OUT:-$ROOT/out/bench}"
CHUNK="${CHUNK:-32}"
BATCH="${BATCH:-512}"
KERNEL="${KERNEL:-ort}"
CS_PARALLEL="${CS_PARALLEL:-1}"
mkdir -p "$OUT"
STATE="$OUT/paper-state.bin"
LOG="$OUT/paper-log.txt"
RESULTS="$OUT/results.jsonl"
CS="$ROOT/bench/Ipg.Compare/bin/Release/net10.0/Ipg.Compare.dll"
CLI="$ROOT/src/Ipg.Cli/bin/Release/net10.0/Ipg.Cli.dll"

echo "== build" >&2
dotnet build "$ROOT/bench/Ipg.Compare/Ipg.Compare.csproj" -c Release -v q -nologo >&2
dotnet build "$ROOT/src/Ipg.Cli/Ipg.Cli.csproj" -c Release -v q -nologo >&2

if [[ ! -f "$STATE" || ! -f "$LOG" ]]; then
  echo "== inputs: ipg collect-log (paper preset, seed 2024)" >&2
  dotnet "$CLI" collect-log --seed 2024 --out "$LOG" --state-out "$STATE" >&2
fi

: > "$RESULTS"
machine() {
  echo "machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
}
record_load() { # one JSON line with the load average at this moment
  echo "{\"kind\": \"load\", \"when\": \"$1\", \"load1\": $(cut -d' ' -f1 /proc/loadavg), \"load5\": $(cut -d' ' -f2 /proc/loadavg)}" >> "$RESULTS"
}
machine >&2
echo "versions: $(dotnet --version) SDK; $("$PY" -c 'import sys, torch, numpy; print(f"python {sys.version.split()[0]}, torch {torch.__version__}, numpy {numpy.__version__}")')" >&2

run_cs() { # threads, extra args...
  local t="$1"; shift
  DOTNET_PROCESSOR_COUNT="$t" dotnet "$CS" --state "$STATE" --log "$LOG" --threads "$t" --chunk "$CHUNK" --kernel "$KERNEL" "$@"
}
run_py() { # threads, extra args...
  local t="$1"; shift
  "$PY" "$ROOT/tools/bench/torch_reference.py" --state "$STATE" --log "$LOG" --threads "$t" --batch-size "$BATCH" "$@"
}

echo "== equality check: C# dumps rounds 0-1, PyTorch replays them" >&2
rm -rf "$OUT/dump"
run_cs 1 --dump "$OUT/dump" | tee -a "$RESULTS" >/dev/null
TARGET="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["target"])' "$OUT/dump/dump.json")"
run_py 1 --target "$TARGET" --check "$OUT/dump" --workloads none | tee -a "$RESULTS" >/dev/null

for run in $(seq 1 "$RUNS"); do
  for t in $THREADS; do
    record_load "run $run threads $t"
    # alternate which side goes first, so a load trend does not always favour the same side
    if (( run % 2 == 1 )); then order="cs py"; else order="py cs"; fi
    if (( CS_PARALLEL && t > 1 )); then order="$order csbp"; fi
    for side in $order; do
      echo "== run $run/$RUNS, threads $t, $side (load $(cut -d' ' -f1 /proc/loadavg))" >&2
      if [[ "$side" == cs ]]; then
        run_cs "$t" --target "$TARGET" --reps "$REPS" --requests "$REQUESTS" >> "$RESULTS"
      elif [[ "$side" == csbp ]]; then
        run_cs "$t" --target "$TARGET" --reps "$REPS" --requests "$REQUESTS" --intra-op 1 --batch-parallelism "$t" \
          --label csharp-bp >> "$RESULTS"
      else
        run_py "$t" --target "$TARGET" --reps "$REPS" --requests "$REQUESTS" >> "$RESULTS"
      fi
    done
  done
done

if (( RUNNER_ROUNDS > 0 )); then
  for t in $THREADS; do
    echo "== C# GuidanceRunner, $RUNNER_ROUNDS rounds, threads $t (load $(cut -d' ' -f1 /proc/loadavg))" >&2
    run_cs "$t" --target "$TARGET" --workloads runner --runner-rounds "$RUNNER_ROUNDS" >> "$RESULTS"
  done
fi
record_load "end"

"$PY" "$ROOT/tools/bench/summarize.py" "$RESULTS" "$(machine)" | tee "$OUT/summary.txt"
