#!/usr/bin/env bash
# Regenerates Onnx.g.cs from onnx.proto with protoc from the Google.Protobuf.Tools package (restored into the NuGet
# cache on demand). Classes are internal: they are a test and benchmark reference, not API.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version=3.36.2
root="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
tools="$root/google.protobuf.tools/$version/tools"
if [ ! -d "$tools" ]; then
  tmp="$(mktemp -d)"
  cat > "$tmp/p.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup>
  <ItemGroup><PackageDownload Include="Google.Protobuf.Tools" Version="[$version]" /></ItemGroup>
</Project>
XML
  dotnet restore "$tmp/p.csproj" --nologo -v quiet
  rm -rf "$tmp"
fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) protoc="$tools/linux_x64/protoc" ;;
  Linux-aarch64) protoc="$tools/linux_arm64/protoc" ;;
  Darwin-*) protoc="$tools/macosx_x64/protoc" ;;
  *) protoc="$tools/windows_x64/protoc.exe" ;;
esac
chmod +x "$protoc"
"$protoc" -I "$here" --csharp_out="$here" --csharp_opt=internal_access,file_extension=.g.cs "$here/onnx.proto"
echo "wrote $here/Onnx.g.cs"
