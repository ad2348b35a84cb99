#!/usr/bin/env bash
# Builds the API reference with docfx (a .NET tool from NuGet, installed into a scratch folder); any warning fails.
# Needs the Release build of src/ (.ci/run builds it first). Output: docs/api/_site (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
dotnet tool install docfx --version 2.81.0 --tool-path "$tools" > /dev/null
"$tools/docfx" docs/api/docfx.json --warningsAsErrors
test -s docs/api/_site/index.html
pages=$(find docs/api/_site/reference -name '*.html' | wc -l)
echo "docfx built the API reference: $pages pages, no warnings"
test "$pages" -ge 50
