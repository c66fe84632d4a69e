#!/usr/bin/env bash
# Commits-ready snapshot of a StyleBank training run (`atelier train stylebank --out RUN`):
#   scripts/snapshot_stylebank.sh RUN
# writes weights/stylebank/{stylebank.safetensors, PROVENANCE.md, loss-curve.tsv, loss-curve.png},
# docs/stylebank-contact-sheet.jpg (four shared photos × every style) and
# docs/stylebank-vs-multistyle26.jpg (three photos: a StyleBank row, then a multistyle26 row) and
# docs/stylebank-heldout.jpg (the same on four held-out photos, scripts/fetch_test_photos.sh).
# The run keeps going; a later snapshot replaces this one. RUN/history.txt, if present, lists
# the changes of settings along the way (one line each) and is copied into the provenance;
# RUN/loss-before.tsv, if present, holds the losses of the runs this one continued.
set -euo pipefail
RUN=${1:?usage: scripts/snapshot_stylebank.sh RUN_DIR}
CONTENT=${CONTENT:-../shared/data/content}
BIN=${BIN:-.build/release/atelier}
OUT=weights/stylebank
mkdir -p "$OUT" docs
cp "$RUN/stylebank.safetensors" "$OUT/stylebank.safetensors"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -f "$RUN/loss-before.tsv" ]; then { cat "$RUN/loss-before.tsv"; tail -n +2 "$RUN/loss.tsv"; } >"$tmp/loss.tsv"; else cp "$RUN/loss.tsv" "$tmp/loss.tsv"; fi
python3 scripts/loss_curve.py "$tmp/loss.tsv" "$OUT/loss-curve.tsv" "$OUT/loss-curve.png" --window 500

# The sheets are made from the snapshot itself (F16, as served), and next to multistyle26 on the
# same photos.
cp "$OUT/stylebank.safetensors" "$tmp/"
ln -s "$(cd "$(dirname "${MODELS:-data/models}")" && pwd)/$(basename "${MODELS:-data/models}")/multistyle26.safetensors" "$tmp/multistyle26.safetensors"
"$BIN" contact-sheet "$CONTENT"/{chicago,golden_gate,flowers,Aurea-Luna}.jpg docs/stylebank-contact-sheet.jpg \
  --tile 256 --model stylebank --models "$tmp"
"$BIN" contact-sheet "$CONTENT"/{newyork,sailboat,amber}.jpg docs/stylebank-vs-multistyle26.jpg \
  --tile 256 --model stylebank,multistyle26 --max-styles 12 --models "$tmp"
HELDOUT=${HELDOUT:-data/test-photos}
scripts/fetch_test_photos.sh "$HELDOUT"
"$BIN" contact-sheet "$HELDOUT"/{astronaut,chelsea,coffee}.png "$HELDOUT"/rocket.jpg docs/stylebank-heldout.jpg \
  --tile 256 --model stylebank,multistyle26 --max-styles 12 --models "$tmp"

iterations=$(grep -o '^- iterations: [0-9]*' "$RUN/stylebank.provenance.md" | grep -o '[0-9]*$')
{
  echo "# weights/stylebank: provenance"
  echo
  echo "Snapshot of a StyleBank training run taken $(date -u +%Y-%m-%dT%H:%MZ) at iteration $iterations, by"
  echo "\`scripts/snapshot_stylebank.sh $RUN\`. F16 safetensors; the style list (ids, names, source"
  echo "files) is in its metadata. Contact sheet: \`docs/stylebank-contact-sheet.jpg\` (each row a photo, then styles"
  echo "0, 1, 2, … left to right); beside multistyle26: \`docs/stylebank-vs-multistyle26.jpg\`, and on photos it was not trained on: \`docs/stylebank-heldout.jpg\`. Loss curve: \`loss-curve.tsv\` / \`loss-curve.png\` (means per 500"
  echo "iterations; stylizing losses are the weighted ones, so the style curve drops where its weight changed)."
  echo
  echo "## Settings changed along the way (iteration: change)"
  echo
  if [ -f "$RUN/history.txt" ]; then sed 's/^/- /' "$RUN/history.txt"; else echo "- none"; fi
  echo
  echo "## Continuing it"
  echo
  echo "In the run directory, the trainer's command below resumes exactly from its checkpoint. From a checkout,"
  echo "the same command with \`--init weights/stylebank/stylebank.safetensors\` (fresh Adam moments), a new \`--out\`,"
  echo "a \`--styles\` folder holding the same paintings (names as in the list below) and any content folder."
  echo
  echo "## The trainer's own provenance at this iteration"
  echo
  sed '1d' "$RUN/stylebank.provenance.md"
} >"$OUT/PROVENANCE.md"
echo "snapshot: $OUT at iteration $iterations"
