#!/usr/bin/env bash
# Rebuilds the real-data worlds, trains the recommender under test on each train split, and runs the protocol on
# each world (docs/real-data.md, "Results"). Nothing is written into the repository: every world, model and result
# goes under $OUT (default /tmp/ipg-real-data), because the datasets' licences forbid redistribution.
#
#   bash tools/real-data/run.sh [lastfm] [ml1m] [beauty]      (default: lastfm ml1m; beauty is the held-out world)
#
# Needs: the .NET SDK, the datasets in $DATA (default ../shared/data), and for training Debian's
#   apt-get install -y python3-torch python3-onnx python3-numpy libopenblas0-pthread   (run with /usr/bin/python3)
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA="${DATA:-../shared/data}"
OUT="${OUT:-/tmp/ipg-real-data}"
PY="${PY:-/usr/bin/python3}"
datasets=("$@")
[ ${#datasets[@]} -eq 0 ] && datasets=(lastfm ml1m)

dotnet build src/Ipg.Cli -c Release >/dev/null
IPG=(dotnet src/Ipg.Cli/bin/Release/net10.0/Ipg.Cli.dll)

for name in "${datasets[@]}"; do
  dir="$OUT/$name"
  case "$name" in
    lastfm) build=(--log "$DATA/s3rec/LastFM.txt" --format sequences --metadata "$DATA/s3rec/LastFM_item2attributes.json" --metadata-format lastfm); epochs=100 ;;
    ml1m)   build=(--log "$DATA/ml-1m-sasrec_gSASRec-split/train/input.txt" --format item-sequences --metadata "$DATA/ml-1m-meta/movies.dat" --metadata-format ml1m --item-map "$DATA/ml-1m-sas-mapping/sas_to_original_items.txt"); epochs=25 ;;
    beauty) build=(--log "$DATA/s3rec/Beauty.txt" --format sequences); epochs=25 ;;
    *) echo "unknown dataset '$name' (lastfm, ml1m, beauty)" >&2; exit 2 ;;
  esac

  echo "== $name: world"
  "${IPG[@]}" world build "${build[@]}" --out "$dir"
  "${IPG[@]}" world train-log --world "$dir" --out "$dir/train.txt"
  items=$("$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['items'])" "$dir/world-report.json")

  echo "== $name: SASRec on the train split ($epochs epochs)"
  "$PY" tools/sasrec/train.py --input "$dir/train.txt" --format pairs --item-count "$items" --holdout none --eval-every 0 \
    --max-length 50 --blocks 2 --heads 1 --dropout 0.2 --epochs "$epochs" --output "$dir/sasrec.pt" --quiet
  "$PY" tools/sasrec/export_onnx.py "$dir/sasrec.pt" --output "$dir/sasrec.onnx"

  echo "== $name: guidance"
  "${IPG[@]}" reproduce --world "$dir" --model "$dir/sasrec.onnx" --out "$dir/results"
  python3 tools/report/paired_table.py "$dir/results/results.json" --reference IPG > "$dir/results/table.md"
  echo "wrote $dir/results/table.md"
done
