#!/usr/bin/env bash
# Rebuild the bring-your-own-model fixtures for RecBole's SASRec and gSASRec (a minute or two on one core):
#   tests/Ipg.Onnx.Tests/Fixtures/byom/recbole-sasrec.{onnx,fixtures.json}
#   tests/Ipg.Onnx.Tests/Fixtures/byom/gsasrec.{onnx,fixtures.json}
# Each model is THEIR class (RecBole's SASRec with gelu + CE; gSASRec with a separate output table, gBCE),
# trained briefly on tools/sasrec/synth_log.py's log, saved in THEIR checkpoint format, exported by our
# loader, and checked against THEIR forward on 512 histories; the fixtures hold their forward's vectors.
#
# Usage: tools/export/rebuild_recbole_gsasrec.sh RECBOLE_GIT_DIR GSASREC_GIT_DIR
#   (bare git directories of github.com/RUCAIBox/RecBole and github.com/asash/gSASRec-pytorch; the files the
#   references import are extracted with `git show` into $WORK, default /tmp/ipg-byom — never into the repo)
# PYTHON overrides the interpreter (default /usr/bin/python3), WORK the scratch directory.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 RECBOLE_GIT_DIR GSASREC_GIT_DIR" >&2
  exit 2
fi
recbole_git="$1"
gsasrec_git="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
py="${PYTHON:-/usr/bin/python3}"
work="${WORK:-/tmp/ipg-byom}"
fix="$root/tests/Ipg.Onnx.Tests/Fixtures/byom"
mkdir -p "$work" "$fix"

extract() {  # extract GIT_DIR DEST FILE...
  local git="$1" dest="$2"
  shift 2
  rm -rf "$dest"
  for f in "$@"; do
    mkdir -p "$dest/$(dirname "$f")"
    git --git-dir="$git" show "HEAD:$f" > "$dest/$f"
  done
}

extract "$recbole_git" "$work/recbole-src" \
  recbole/model/sequential_recommender/sasrec.py recbole/model/abstract_recommender.py recbole/model/layers.py \
  recbole/model/loss.py recbole/config/configurator.py recbole/utils/enum_type.py recbole/utils/argument_list.py \
  recbole/properties/overall.yaml recbole/properties/model/SASRec.yaml recbole/properties/dataset/sample.yaml \
  recbole/properties/quick_start_config/sequential.yaml
extract "$gsasrec_git" "$work/gsasrec-src" gsasrec.py transformer_decoder.py config.py
recbole_rev="$(git --git-dir="$recbole_git" rev-parse HEAD)"
gsasrec_rev="$(git --git-dir="$gsasrec_git" rev-parse HEAD)"
echo "github.com/RUCAIBox/RecBole@$recbole_rev" > "$work/recbole-src/SOURCE"
echo "github.com/asash/gSASRec-pytorch@$gsasrec_rev" > "$work/gsasrec-src/SOURCE"
echo "RecBole $recbole_rev, gSASRec-pytorch $gsasrec_rev"

"$py" "$root/tools/sasrec/synth_log.py" --users 300 --items 100 --mean-clicks 25 --topics 8 --seed 1 \
  --output "$work/tiny-log.txt"
sha="$(sha256sum "$work/tiny-log.txt" | cut -d' ' -f1)"

"$py" "$here/reference_runners.py" train-recbole --source "$work/recbole-src" --log "$work/tiny-log.txt" \
  --output "$work/SASRec-tiny.pth" --steps 400
"$py" "$here/recbole_sasrec.py" "$work/SASRec-tiny.pth" --source "$work/recbole-src" \
  --output "$fix/recbole-sasrec.onnx" --fixtures "$fix/recbole-sasrec.fixtures.json" \
  --training-log-sha256 "$sha"

"$py" "$here/reference_runners.py" train-gsasrec --source "$work/gsasrec-src" --log "$work/tiny-log.txt" \
  --output "$work/gsasrec-tiny.pt" --config-out "$work/config_tiny.py" --steps 1000
"$py" "$here/gsasrec.py" "$work/gsasrec-tiny.pt" --config "$work/config_tiny.py" --source "$work/gsasrec-src" \
  --output "$fix/gsasrec.onnx" --fixtures "$fix/gsasrec.fixtures.json" \
  --training-log-sha256 "$sha"

ls -l "$fix"/recbole-sasrec.* "$fix"/gsasrec.*
