#!/usr/bin/env bash
# Coverage-guided fuzzing of Ipg's ONNX protobuf reader with SharpFuzz and AFL++ (docs/reliability.md "Hostile files").
# Outside CI: it runs for as long as you give it.
#
#   bench/Ipg.Fuzz/run.sh [minutes] [work folder]     default: 30 minutes in /tmp/ipg-fuzz
#
# Needs AFL++ (Debian: apt-get install afl++) and the SharpFuzz.CommandLine tool (installed here from NuGet into the
# work folder). Seeds: the committed test models. Findings: <work>/findings/default/{crashes,hangs}; each crash is
# replayed at the end with `dotnet Ipg.Fuzz.dll --replay`. Exit 1 if AFL++ saved a crash or a hang.
set -euo pipefail
minutes="${1:-30}"
work="${2:-/tmp/ipg-fuzz}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
fixtures="$root/tests/Ipg.Onnx.Tests/Fixtures"

command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: install AFL++ (Debian: apt-get install afl++)." >&2; exit 2; }
mkdir -p "$work"
if [ ! -x "$work/tools/sharpfuzz" ]; then
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$work/tools" >/dev/null
fi

rm -rf "$work/out" "$work/replay" "$work/seeds"
dotnet publish "$here/Ipg.Fuzz.csproj" -c Release -o "$work/out" --nologo -v quiet
cp -r "$work/out" "$work/replay"   # uninstrumented: instrumented code crashes outside AFL++ (no coverage map)
# Instrument only the reader under test: the protobuf reader and its types (Ipg.Encoders.Managed.Onnx*) and the graph
# reader. The rest of Ipg.dll (which loads the metadata with ONNX Runtime before fuzzing starts) stays as it is.
"$work/tools/sharpfuzz" "$work/out/Ipg.dll" Ipg.Encoders.Managed.Onnx Ipg.Encoders.Managed.SasRecGraphReader

mkdir -p "$work/seeds"
cp "$fixtures/broken/mini.onnx" "$fixtures/sasrec-tiny.onnx" "$fixtures/kernel/sasrec-v3-prenorm.onnx" "$work/seeds/"

# The graph reader checks what it reads against the contract metadata of one real model: the tiny one's.
export IPG_FUZZ_METADATA_MODEL="$fixtures/sasrec-tiny.onnx"
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_SKIP_BIN_CHECK=1
resume="-i $work/seeds"
[ -d "$work/findings/default/queue" ] && resume="-i -"   # continue an earlier run
echo "fuzzing for $minutes minutes in $work ..."
afl-fuzz $resume -o "$work/findings" -t 5000 -m none -V $((minutes * 60)) -- dotnet "$work/out/Ipg.Fuzz.dll" > "$work/afl.log" 2>&1 || true

stats="$work/findings/default/fuzzer_stats"
[ -f "$stats" ] || { echo "AFL++ wrote no statistics; see $work/afl.log" >&2; tail -20 "$work/afl.log" >&2; exit 2; }
grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|bitmap_cvg|saved_crashes|saved_hangs|stability)' "$stats"
crashes=$(find "$work/findings/default/crashes" -type f -name 'id:*' | wc -l)
hangs=$(find "$work/findings/default/hangs" -type f -name 'id:*' | wc -l)
if [ "$crashes" -gt 0 ]; then
  echo "replaying $crashes crash(es):"
  find "$work/findings/default/crashes" -type f -name 'id:*' -print0 | xargs -0 dotnet "$work/replay/Ipg.Fuzz.dll" --replay --metadata "$IPG_FUZZ_METADATA_MODEL" || true
fi
[ "$crashes" -eq 0 ] && [ "$hangs" -eq 0 ]
