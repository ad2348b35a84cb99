#!/usr/bin/env bash
# API compatibility with the shipped 0.2.0 API (Microsoft.DotNet.ApiCompat.Tool, from NuGet, in a scratch folder).
# .ci/api-baseline/0.2.0/<tfm>/ holds the reference assemblies built from the 0.2.0 commit (public surface only, no
# code). Every library package's current reference assembly, for both targets, must be compatible with it: nothing
# public removed or changed incompatibly. Needs the Release build (.ci/run builds first). After a release, replace
# the baseline with that release's reference assemblies (see CHANGELOG.md, "Releasing").
set -euo pipefail
cd "$(dirname "$0")/.."
baseline=".ci/api-baseline/0.2.0"
tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
dotnet tool install Microsoft.DotNet.ApiCompat.Tool --version 10.0.401 --tool-path "$tools" > /dev/null
root="$(pwd)"
for tfm in net8.0 net10.0; do
  for project in Ipg Ipg.Onnx Ipg.Simulation Ipg.Extensions.DependencyInjection; do
    current="src/$project/obj/Release/$tfm/ref/$project.dll"
    test -s "$current" || { echo "missing $current: build Release first" >&2; exit 1; }
    # The project's resolved references for this target: the left side (0.2.0) sees the baseline's own assemblies
    # instead of the current ones.
    dotnet msbuild "src/$project/$project.csproj" -p:TargetFramework="$tfm" -p:Configuration=Release \
      -t:ResolveReferences -getItem:ReferencePath > "$tools/refs.json"
    read -r left_refs right_refs < <(python3 - "$tools/refs.json" "$root/src/" "$root/$baseline/$tfm" <<'PY'
import json, sys
paths = [i["FullPath"] for i in json.load(open(sys.argv[1]))["Items"]["ReferencePath"]]
ours = sys.argv[2]
left = [p for p in paths if not p.startswith(ours)] + [sys.argv[3]]
print(",".join(left), ",".join(paths))
PY
)
    "$tools/apicompat" --left "$baseline/$tfm/$project.dll" --right "$current" --lref "$left_refs" --rref "$right_refs" \
      --enable-rule-cannot-change-parameter-name
    echo "API compatible with 0.2.0: $project ($tfm)"
  done
done
