#!/usr/bin/env bash
# Proves the packages work the way a consumer uses them:
#  1. packs the library packages into a local folder feed;
#  2. builds and runs QuickStart, outside the repository, against the packed Ipg package (no project reference);
#  3. starts samples/RecommenderService on loopback and makes real HTTP requests against it.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
svc_pid=""
cleanup() {
  if [ -n "$svc_pid" ]; then kill "$svc_pid" 2>/dev/null || true; wait "$svc_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

version="0.1.0-ci.$(date +%s)"
feed="$work/feed"
for project in src/Ipg src/Ipg.Onnx src/Ipg.Extensions.DependencyInjection src/Ipg.Simulation; do
  dotnet pack "$project" -c Release -o "$feed" -p:Version="$version" --nologo -v quiet
done
ls "$feed"
for id in Ipg Ipg.Onnx Ipg.Extensions.DependencyInjection Ipg.Simulation; do
  test -s "$feed/$id.$version.nupkg" && test -s "$feed/$id.$version.snupkg"
done
# The core package carries the readme, the licence expression and the XML docs for both targets, and no ONNX Runtime.
# (Listings go to files first: `unzip | grep -q` under pipefail fails with SIGPIPE (141) when grep exits early.)
unzip -l "$feed/Ipg.$version.nupkg" > "$work/ipg-files.txt"
unzip -p "$feed/Ipg.$version.nupkg" Ipg.nuspec > "$work/ipg.nuspec"
grep -q 'README.md' "$work/ipg-files.txt"
grep -q 'lib/net10.0/Ipg.xml' "$work/ipg-files.txt"
grep -q 'lib/net8.0/Ipg.xml' "$work/ipg-files.txt"
if grep -qi 'onnxruntime' "$work/ipg.nuspec"; then echo "the core Ipg package must not depend on ONNX Runtime" >&2; exit 1; fi
# The ONNX package carries the embedded default model and brings ONNX Runtime.
unzip -l "$feed/Ipg.Onnx.$version.nupkg" > "$work/onnx-files.txt"
unzip -p "$feed/Ipg.Onnx.$version.nupkg" Ipg.Onnx.nuspec > "$work/onnx.nuspec"
grep -q 'lib/net8.0/Ipg.Onnx.dll' "$work/onnx-files.txt"
grep -q 'Microsoft.ML.OnnxRuntime' "$work/onnx.nuspec"
grep -q '<license type="expression">MIT</license>' "$work/ipg.nuspec"

# QuickStart as a consumer: its own folder, one PackageReference (Ipg.Onnx, which brings Ipg) from the local feed.
consumer="$work/quickstart"
mkdir -p "$consumer"
cp samples/QuickStart/Program.cs "$consumer/"
cat > "$consumer/QuickStart.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <RuntimeIdentifier>linux-x64</RuntimeIdentifier>
    <SelfContained>false</SelfContained>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Ipg.Onnx" Version="$version" />
  </ItemGroup>
</Project>
XML
cat > "$consumer/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="local-feed" value="$feed" />
  </packageSources>
</configuration>
XML
(cd "$consumer" && dotnet run -c Release | tee "$work/quickstart.out")
grep -q "Model: 3533 items" "$work/quickstart.out"
# Publishing for one runtime keeps only that runtime's ONNX Runtime native library.
(cd "$consumer" && dotnet publish -c Release -o "$work/publish" -v quiet --nologo)
natives=$(find "$work/publish" -name 'libonnxruntime*' | wc -l)
echo "published native ONNX Runtime files for linux-x64: $natives"
test "$(find "$work/publish" -path '*runtimes*' | wc -l)" -eq 0

# The service on loopback.
port=$((20000 + RANDOM % 20000))
(cd samples/RecommenderService/bin/Release/net10.0 && exec dotnet RecommenderService.dll --urls "http://127.0.0.1:$port") > "$work/service.log" 2>&1 &
svc_pid=$!
for _ in $(seq 1 60); do
  curl -sf "http://127.0.0.1:$port/health" > "$work/health.json" && break
  sleep 1
done
cat "$work/health.json"; echo
grep -q '"items":3533' "$work/health.json"
# At the default strength (λ = 0.35) the ranking key is p̂·g_λ, not r = p̂·g; at λ = 1 the items come in order of r.
for strength in default 1; do
  body='{"userId":"alice","target":2277,"k":3}'
  [ "$strength" = "1" ] && body='{"userId":"alice","target":2277,"k":3,"strength":1}'
  curl -sf -X POST "http://127.0.0.1:$port/recommendations" -H 'content-type: application/json' -d "$body" > "$work/recs-$strength.json"
  cat "$work/recs-$strength.json"; echo
  python3 - "$work/recs-$strength.json" "$strength" <<'PY'
import json, sys
body = json.load(open(sys.argv[1]))
assert body["target"] == 2277, body
items = body["items"]
assert len(items) == 3, items
assert len({i["item"] for i in items}) == 3, items
assert all(1 <= i["item"] <= 3533 for i in items), items
assert all(0.0 < i["p"] < 1.0 for i in items), items
assert all(abs(i["r"] - i["p"] * i["g"]) < 1e-5 for i in items), items
if sys.argv[2] == "1":
    assert items[0]["r"] >= items[1]["r"] >= items[2]["r"], items
print(f"service answered 3 ranked items with p, g, r = p*g (strength {sys.argv[2]})")
PY
done
status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/recommendations" -H 'content-type: application/json' -d '{"history":[1,0],"target":2277}')
test "$status" = "400"
echo "package check passed"
