#!/usr/bin/env bash
# Records new public API in each package's PublicAPI.Unshipped.txt (the RS0016 code fix), after you
# have reviewed that the additions are intended. Usage: bash tools/update-public-api.sh
set -euo pipefail
cd "$(dirname "$0")/.."
for project in src/*/*.csproj; do
  dotnet format analyzers "$project" --diagnostics RS0016 RS0017 RS0037 --severity warn
done
git --no-pager diff --stat -- 'src/*/PublicAPI.*.txt' || true
