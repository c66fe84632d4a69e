#!/usr/bin/env bash
# Commits-ready snapshot of an AdaIN decoder training run (`atelier train adain --out RUN`):
#   scripts/snapshot_adain.sh RUN HELD_OUT_PAINTINGS_DIR
# writes weights/adain/{adain-decoder.safetensors, PROVENANCE.md, loss-curve.tsv, loss-curve.png,
# eval.md} and docs/arbitrary-heldout.jpg: the held-out photos (scripts/fetch_test_photos.sh) in
# the style of each held-out painting, a row for our AdaIN and one for magenta. The run keeps
# going; a later snapshot replaces this one. RUN/history.txt, if present, lists the changes of
# settings along the way and is copied into the provenance.
set -euo pipefail
RUN=${1:?usage: scripts/snapshot_adain.sh RUN_DIR HELD_OUT_PAINTINGS_DIR}
PAINTINGS=${2:?usage: scripts/snapshot_adain.sh RUN_DIR HELD_OUT_PAINTINGS_DIR}
BIN=${BIN:-.build/release/atelier}
MODELS=${MODELS:-data/models}
HELDOUT=${HELDOUT:-data/test-photos}
OUT=weights/adain
mkdir -p "$OUT" docs
cp "$RUN/adain-decoder.safetensors" "$OUT/adain-decoder.safetensors"
python3 scripts/loss_curve.py "$RUN/loss.tsv" "$OUT/loss-curve.tsv" "$OUT/loss-curve.png" --window 100

# Sheets and scores from the snapshot itself (F16, as served), beside the other models.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
models=$(cd "$MODELS" && pwd)
for f in "$models"/*.safetensors; do ln -s "$f" "$tmp/"; done
rm -f "$tmp/adain-decoder.safetensors"
cp "$OUT/adain-decoder.safetensors" "$tmp/"
scripts/fetch_test_photos.sh "$HELDOUT"
list=$(find "$PAINTINGS" -maxdepth 1 \( -name '*.jpg' -o -name '*.png' \) | sort | paste -sd, -)
"$BIN" contact-sheet "$HELDOUT"/{astronaut,chelsea,coffee}.png "$HELDOUT"/rocket.jpg docs/arbitrary-heldout.jpg \
  --tile 192 --model adain,magenta --paintings "$list" --models "$tmp"
"$BIN" eval-arbitrary --content "$HELDOUT" --paintings "$PAINTINGS" --model adain,magenta --models "$tmp" >"$tmp/eval.txt"

iterations=$(grep -o '^- iterations: [0-9]*' "$RUN/adain-decoder.provenance.md" | grep -o '[0-9]*$')
{
  echo "# weights/adain: provenance"
  echo
  echo "Snapshot of an AdaIN decoder training run taken $(date -u +%Y-%m-%dT%H:%MZ) at iteration $iterations, by"
  echo "\`scripts/snapshot_adain.sh\` (commit $(git rev-parse --short HEAD) of the code). See docs/training.md for the method and data."
  echo
  # Folders by name only (docs/training.md says what they hold): no machine's paths in the repo.
  awk 'NR >= 3' "$RUN/adain-decoder.provenance.md" | sed -E 's#/[^ `]*/([^/ `]+)#\1#g'
  echo "- the folders: \`adain-content\` holds ../shared/data/content and \`make photos\`' photographs; \`adain-styles\` the shared paintings but the held-out four, and the non-photo Debian wallpapers (docs/training.md)"
  if [ -f "$RUN/history.txt" ]; then echo; echo "## Changes along the way"; echo; cat "$RUN/history.txt"; fi
  echo
  echo "Held-out paintings (never trained on): $(ls "$PAINTINGS" | sed 's/\.[a-z]*$//' | paste -sd, - | sed 's/,/, /g')."
  echo "Loss curve: \`loss-curve.png\` (\`loss-curve.tsv\`, means per 100 iterations). Scores: \`eval.md\`."
} >"$OUT/PROVENANCE.md"
{
  echo "# AdaIN decoder at iteration $iterations: held-out photos × held-out paintings"
  echo
  echo "\`atelier eval-arbitrary --content $HELDOUT --paintings HELD_OUT --model adain,magenta\` ($(date -u +%Y-%m-%d))."
  echo "Style distance: mean over relu1_1…relu4_1 of the RMS difference of channel means and of standard deviations,"
  echo "output vs painting at 384 px, each layer divided by its mean activation on photos; content loss: relu4_1 MSE to the photo, same scale."
  echo
  sed -E 's#/[^ `]*/([^/ `]+)#\1#g' "$tmp/eval.txt"
} >"$OUT/eval.md"
echo "snapshot of $RUN at iteration $iterations in $OUT (provenance, loss curve, eval) and docs/arbitrary-heldout.jpg"
