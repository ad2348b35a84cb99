#!/usr/bin/env bash
# Proves the packages work the way a consumer uses them:
#  1. packs the library packages into a local folder feed;
#  2. builds and runs QuickStart, outside the repository, against the packed Ipg.Onnx package (no project reference);
#  3. publishes the same QuickStart for .NET 8, self-contained (the runtime pack comes from NuGet), runs it on the
#     .NET 8 runtime and compares its top-10 with the .NET 10 run's;
#  4. builds samples/OwnEmbeddings against the core Ipg package alone: no ONNX Runtime native library in its bin/;
#  5. packs the ipg tool per platform, checks the linux-x64 package's size, installs it from the feed and runs it;
#  6. starts samples/RecommenderService on loopback and makes real HTTP requests against it.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
svc_pid=""
cleanup() {
  if [ -n "$svc_pid" ]; then kill "$svc_pid" 2>/dev/null || true; wait "$svc_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

version="0.2.0-ci.$(date +%s)"
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
# The shipped XML docs hold the public API only (src/Directory.Build.targets): no entry for an internal type.
for tfm in net8.0 net10.0; do
  unzip -p "$feed/Ipg.$version.nupkg" "lib/$tfm/Ipg.xml" > "$work/ipg-$tfm.xml"
  grep -q 'name="T:Ipg.IpgReranker"' "$work/ipg-$tfm.xml"
  if grep -q -e 'name="T:Ipg.TopKSelector"' -e 'name="T:Ipg.Scoring"' "$work/ipg-$tfm.xml"; then echo "Ipg ($tfm): the XML docs carry internal types" >&2; exit 1; fi
done
# Every package carries its own README, with absolute links only (relative ones break on a package page).
for id in Ipg Ipg.Onnx Ipg.Extensions.DependencyInjection Ipg.Simulation; do
  unzip -p "$feed/$id.$version.nupkg" README.md > "$work/$id-readme.md"
  head -1 "$work/$id-readme.md" | grep -qx "# $id" || { echo "$id: the package README is not its own" >&2; exit 1; }
  python3 - "$work/$id-readme.md" "$id" <<'PY'
import re, sys
links = re.findall(r"\]\(([^)\s]+)\)", open(sys.argv[1], encoding="utf-8").read())
relative = [l for l in links if not re.match(r"https?://", l)]
assert links and not relative, f"{sys.argv[2]}: relative links in the package README: {relative}"
PY
done
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

# The same QuickStart on .NET 8: a self-contained linux-x64 publish (runtime pack from NuGet), run on that runtime.
consumer8="$work/quickstart-net8"
mkdir -p "$consumer8"
cp samples/QuickStart/Program.cs "$consumer8/"
echo 'Console.WriteLine($"Runtime: {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");' >> "$consumer8/Program.cs"
sed -e 's|<TargetFramework>net10.0</TargetFramework>|<TargetFramework>net8.0</TargetFramework>|' \
    -e 's|<SelfContained>false</SelfContained>|<SelfContained>true</SelfContained>|' "$consumer/QuickStart.csproj" > "$consumer8/QuickStart.csproj"
cp "$consumer/nuget.config" "$consumer8/"
(cd "$consumer8" && dotnet publish -c Release -o "$work/publish-net8" -v quiet --nologo)
"$work/publish-net8/QuickStart" | tee "$work/quickstart-net8.out"
grep -q '^Runtime: \.NET 8\.' "$work/quickstart-net8.out"
grep -E '^ +[0-9]+ ' "$work/quickstart.out" > "$work/top10-net10.txt"
grep -E '^ +[0-9]+ ' "$work/quickstart-net8.out" > "$work/top10-net8.txt"
test "$(wc -l < "$work/top10-net8.txt")" -eq 10
diff "$work/top10-net10.txt" "$work/top10-net8.txt"
echo ".NET 8 self-contained consumer printed the same top-10 as .NET 10"

# The README's GPU recipe: the CPU build's assets excluded, ONNX Runtime's CUDA build (Linux natives) referenced
# instead. No GPU here: the CUDA build runs on its CPU provider, so the top-10 must match and the CUDA provider must be
# compiled into the native library that was loaded.
gpu="$work/quickstart-gpu"
mkdir -p "$gpu"
cp samples/QuickStart/Program.cs "$consumer/nuget.config" "$gpu/"
echo 'Console.WriteLine($"Providers: {string.Join(",", Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetAvailableProviders())}");' >> "$gpu/Program.cs"
ort_version=$(sed -n 's|.*<PackageVersion Include="Microsoft.ML.OnnxRuntime" Version="\([^"]*\)".*|\1|p' Directory.Packages.props)
sed -e "s|    <PackageReference Include=\"Ipg.Onnx\" Version=\"$version\" />|&\n    <PackageReference Include=\"Microsoft.ML.OnnxRuntime\" Version=\"$ort_version\" ExcludeAssets=\"all\" />\n    <PackageReference Include=\"Microsoft.ML.OnnxRuntime.Gpu.Linux\" Version=\"1.31.0\" />|" \
  "$consumer/QuickStart.csproj" > "$gpu/QuickStart.csproj"
grep -q 'OnnxRuntime.Gpu.Linux' "$gpu/QuickStart.csproj"
(cd "$gpu" && dotnet build -c Release -o "$work/gpu-bin" -v quiet --nologo)
test -e "$work/gpu-bin/libonnxruntime_providers_cuda.so"
dotnet "$work/gpu-bin/QuickStart.dll" | tee "$work/quickstart-gpu.out"
grep -q '^Providers: .*CUDAExecutionProvider' "$work/quickstart-gpu.out"
grep -E '^ +[0-9]+ ' "$work/quickstart-gpu.out" | diff "$work/top10-net10.txt" -
echo "GPU recipe: ONNX Runtime's CUDA build replaces the CPU build and prints the same top-10 (CPU provider)"

# A service whose model is not ONNX takes the core package alone: no ONNX Runtime anywhere in its output.
own="$work/own-embeddings"
mkdir -p "$own"
cp samples/OwnEmbeddings/Program.cs "$consumer/nuget.config" "$own/"
cat > "$own/OwnEmbeddings.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Ipg" Version="$version" />
  </ItemGroup>
</Project>
XML
(cd "$own" && dotnet build -c Release -o "$work/own-bin" -v quiet --nologo)
if find "$work/own-bin" -iname '*onnxruntime*' | grep -q .; then echo "the core package brought ONNX Runtime into bin/" >&2; exit 1; fi
test ! -e "$work/own-bin/runtimes"
dotnet "$work/own-bin/OwnEmbeddings.dll" | tee "$work/own.out"
test "$(grep -cE '^ +[0-9]+ ' "$work/own.out")" -eq 10
echo "InMemoryEncoder consumer: core package only, no ONNX Runtime in bin/"

# The ipg tool: one package per platform, the linux-x64 one at most 60 MB; installed from the feed, it runs.
dotnet pack src/Ipg.Cli -c Release -o "$feed" -p:Version="$version" --nologo -v quiet
tool_pkg="$feed/Ipg.Cli.linux-x64.$version.nupkg"
test -s "$feed/Ipg.Cli.$version.nupkg" && test -s "$tool_pkg"
tool_bytes=$(stat -c %s "$tool_pkg")
echo "ipg tool package for linux-x64: $tool_bytes bytes"
test "$tool_bytes" -le $((60 * 1024 * 1024))
dotnet tool install --tool-path "$work/tool" --add-source "$feed" Ipg.Cli --version "$version" > /dev/null
"$work/tool/ipg" --help > "$work/tool-help.txt"
grep -q '^  ipg \[command\] \[options\]' "$work/tool-help.txt"
echo "installed ipg tool runs ($(du -sh "$work/tool" | cut -f1) installed)"

# The service on loopback.
port=$((20000 + RANDOM % 20000))
(cd samples/RecommenderService/bin/Release/net10.0 && ORT_DISABLE_TELEMETRY=1 exec dotnet RecommenderService.dll --urls "http://127.0.0.1:$port") > "$work/service.log" 2>&1 &
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
