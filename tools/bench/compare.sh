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
# kernel, default ort). Everything goes to $OUT/results.jsonl; the table is printed at the end (and to $OUT/summary.txt).
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
    for side in $order; do
      echo "== run $run/$RUNS, threads $t, $side (load $(cut -d' ' -f1 /proc/loadavg))" >&2
      if [[ "$side" == cs ]]; then
        run_cs "$t" --target "$TARGET" --reps "$REPS" --requests "$REQUESTS" >> "$RESULTS"
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

"$PY" - "$RESULTS" "$(machine)" <<'EOF' | tee "$OUT/summary.txt"
import json, statistics, sys
from collections import defaultdict
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
print(sys.argv[2])
info = {(r["side"], r["threads"]): r for r in rows if r.get("kind") == "info"}
cs = next((r for r in rows if r.get("side") == "csharp" and r.get("kind") == "info"), {})
py = next((r for r in rows if r.get("side") == "pytorch" and r.get("kind") == "info"), {})
print(f"C#: {cs.get('dotnet')}, ONNX Runtime encoder kernel {cs.get('kernel')}, chunk {cs.get('chunk')}; "
      f"PyTorch: torch {py.get('torch')}, numpy {py.get('numpy')}, python {py.get('python')}, batch {py.get('batch_size')}")
print(f"target item {cs.get('target')}, {cs.get('users')} users x {cs.get('items')} items")
loads = [r["load1"] for r in rows if r.get("kind") == "load"]
if loads:
    print(f"1-min load average during the runs: min {min(loads):.2f}, median {statistics.median(loads):.2f}, max {max(loads):.2f} (2 cores)")
for r in rows:
    if r.get("kind") == "check":
        print(f"equality check round {r['round']}: encodings max |diff| {r['encode_max_abs_diff']:.2g}, "
              f"recommendations equal {r['recommendations_equal']}/{r['users']}, simulator state after the step: "
              f"user embeddings max |diff| {r['state_after_user_emb_max_abs_diff']:.2g}, bias/windows/boredom equal "
              f"{r['bias_equal'] and r['windows_equal'] and r['boredom_equal']}")
vals = defaultdict(list)
for r in rows:
    if "workload" in r:
        vals[(r["workload"], r["threads"], r["side"])].append(r["ms"])
order = ["single_request", "batch_encode", "guidance_round", "round_encode", "round_score", "round_simulate"]
threads = sorted({k[1] for k in vals})
print()
print(f"| workload | threads | C# median | PyTorch median | PyTorch / C# | n (C#, PyTorch) |")
print(f"|---|---|---|---|---|---|")
med = {}
for w in order:
    for t in threads:
        c, p = vals.get((w, t, "csharp"), []), vals.get((w, t, "pytorch"), [])
        if not c and not p:
            continue
        mc = statistics.median(c) if c else float("nan")
        mp = statistics.median(p) if p else float("nan")
        med[(w, t, "csharp")], med[(w, t, "pytorch")] = mc, mp
        unit = "ms"
        fmt = (lambda v: f"{v:.2f} ms") if w == "single_request" else (lambda v: f"{v / 1000:.2f} s")
        print(f"| {w} | {t} | {fmt(mc)} | {fmt(mp)} | {mp / mc:.2f}x | {len(c)}, {len(p)} |")
print()
print("extrapolation, paper protocol 50 targets x 20 rounds = 1,000 rounds:")
for t in threads:
    mc, mp = med.get(("guidance_round", t, "csharp")), med.get(("guidance_round", t, "pytorch"))
    if mc and mp:
        print(f"  threads {t}: research-style round (all users re-encoded every round): "
              f"C# {1000 * mc / 3.6e6:.2f} h, PyTorch {1000 * mp / 3.6e6:.2f} h")
    rr = vals.get(("runner_round", t, "csharp"))
    be = med.get(("batch_encode", t, "csharp"))
    if rr:
        extra = f" + one initial encoding ({be / 1000:.1f} s)" if be else ""
        print(f"  threads {t}: C# GuidanceRunner (re-encodes only users who clicked; metrics included): "
              f"{statistics.median(rr):.0f} ms/round -> {1000 * statistics.median(rr) / 3.6e6:.2f} h{extra}")
EOF
