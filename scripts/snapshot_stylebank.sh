#!/usr/bin/env bash
# Commits-ready snapshot of a StyleBank training run (`atelier train stylebank --out RUN`):
#   scripts/snapshot_stylebank.sh RUN [PHOTO]
# writes weights/stylebank/{stylebank.safetensors, PROVENANCE.md, loss-curve.tsv, loss-curve.png}
# and docs/stylebank-contact-sheet.jpg (PHOTO in every style; default chicago.jpg from shared data).
# The run keeps going; a later snapshot replaces this one. RUN/history.txt, if present, lists
# the changes of settings along the way (one line each) and is copied into the provenance.
set -euo pipefail
RUN=${1:?usage: scripts/snapshot_stylebank.sh RUN_DIR [PHOTO]}
PHOTO=${2:-/work/shared/data/content/chicago.jpg}
BIN=${BIN:-.build/release/atelier}
OUT=weights/stylebank
mkdir -p "$OUT" docs
cp "$RUN/stylebank.safetensors" "$OUT/stylebank.safetensors"
python3 scripts/loss_curve.py "$RUN/loss.tsv" "$OUT/loss-curve.tsv" "$OUT/loss-curve.png" --window 500

# The contact sheet is made from the snapshot itself, next to multistyle26 (the model serving
# by default) so the two can be compared on the same photo.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$OUT/stylebank.safetensors" "$tmp/"
ln -s "$(cd "$(dirname "${MODELS:-data/models}")" && pwd)/$(basename "${MODELS:-data/models}")/multistyle26.safetensors" "$tmp/multistyle26.safetensors"
"$BIN" contact-sheet "$PHOTO" docs/stylebank-contact-sheet.jpg --tile 256 --model stylebank --models "$tmp"

iterations=$(grep -o '^- iterations: [0-9]*' "$RUN/stylebank.provenance.md" | grep -o '[0-9]*$')
{
  echo "# weights/stylebank: provenance"
  echo
  echo "Snapshot of a StyleBank training run taken $(date -u +%Y-%m-%dT%H:%MZ) at iteration $iterations, by"
  echo "\`scripts/snapshot_stylebank.sh $RUN\`. F16 safetensors; the style list (ids, names, source"
  echo "files) is in its metadata. Contact sheet: \`docs/stylebank-contact-sheet.jpg\` ($(basename "$PHOTO"), then styles"
  echo "0, 1, 2, … left to right, top to bottom). Loss curve: \`loss-curve.tsv\` / \`loss-curve.png\` (means per 500"
  echo "iterations; stylizing losses are the weighted ones, so the style curve drops where its weight changed)."
  echo
  echo "## Settings changed along the way (iteration: change)"
  echo
  if [ -f "$RUN/history.txt" ]; then sed 's/^/- /' "$RUN/history.txt"; else echo "- none"; fi
  echo
  echo "## The trainer's own provenance at this iteration"
  echo
  sed '1d' "$RUN/stylebank.provenance.md"
} >"$OUT/PROVENANCE.md"
echo "snapshot: $OUT at iteration $iterations"
