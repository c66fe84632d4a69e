#!/usr/bin/env bash
# Commit-ready snapshot of a MUNIT training run (`atelier train munit --out RUN`):
#   scripts/snapshot_munit.sh RUN HELD_OUT_PAINTINGS_DIR
# writes weights/munit/{munit.safetensors, PROVENANCE.md, loss-curve.tsv, loss-curve.png, eval.md}
# and docs/munit-heldout.jpg: the held-out photos (scripts/fetch_test_photos.sh), each with eight
# seeds and guided by each held-out painting. The generators only (F16); the discriminators stay in
# RUN's checkpoint. The run keeps going; a later snapshot replaces this one. RUN/history.txt, if
# present, lists the changes along the way and is copied into the provenance.
set -euo pipefail
RUN=${1:?usage: scripts/snapshot_munit.sh RUN_DIR HELD_OUT_PAINTINGS_DIR}
PAINTINGS=${2:?usage: scripts/snapshot_munit.sh RUN_DIR HELD_OUT_PAINTINGS_DIR}
BIN=${BIN:-.build/release/atelier}
MODELS=${MODELS:-data/models}
HELDOUT=${HELDOUT:-data/test-photos}
OUT=weights/munit
mkdir -p "$OUT" docs
cp "$RUN/munit.safetensors" "$OUT/munit.safetensors"
cp "$RUN/munit.provenance.md" "$OUT/.run-provenance.md.tmp"   # the run's own record of this very file
trap 'rm -f "$OUT/.run-provenance.md.tmp"' EXIT
python3 scripts/loss_curve.py "$RUN/loss.tsv" "$OUT/loss-curve.tsv" "$OUT/loss-curve.png" --window 200

scripts/fetch_test_photos.sh "$HELDOUT"
eval_out=$(mktemp)
"$BIN" eval-munit --photos "$HELDOUT" --paintings "$PAINTINGS" --weights "$OUT/munit.safetensors" --size 192 \
  --models "$MODELS" --sheet docs/munit-heldout.jpg | tee "$eval_out"

iterations=$(grep -o '^- iterations: [0-9]*' "$OUT/.run-provenance.md.tmp" | grep -o '[0-9]*$')
{
  echo "# weights/munit: provenance"
  echo
  echo "Snapshot of a MUNIT training run taken $(date -u +%Y-%m-%dT%H:%MZ) at iteration $iterations, by"
  echo "\`scripts/snapshot_munit.sh\` (commit $(git rev-parse --short HEAD) of the code). See docs/training.md for the method and data."
  echo
  # Folders by name only (docs/training.md says what they hold): no machine's paths in the repo.
  sed -n '3,$p' "$OUT/.run-provenance.md.tmp" | sed -E 's#/[^ `]*/([^/ `]+)#\1#g'
  [ -z "$(tail -c 1 "$OUT/.run-provenance.md.tmp")" ] || echo   # the run's file may end without a newline
  echo "- the folders: docs/training.md (\"MUNIT generators\", Data) says what each one named above holds"
  if [ -f "$RUN/history.txt" ]; then echo; echo "## Changes along the way"; echo; cat "$RUN/history.txt"; fi
  echo
  echo "Held-out paintings (never trained on): $(ls "$PAINTINGS" | sed 's/\.[a-z]*$//' | paste -sd, - | sed 's/,/, /g');"
  echo "held-out photos: scikit-image's samples (\`make test-photos\`)."
  echo "Loss curve: \`loss-curve.png\` (\`loss-curve.tsv\`, means per 200 iterations). Scores: \`eval.md\`."
} >"$OUT/PROVENANCE.md"
{
  echo "# MUNIT at iteration $iterations: held-out photos, random and example-guided style codes"
  echo
  echo "\`atelier eval-munit --photos $HELDOUT --paintings HELD_OUT --size 192 --sheet docs/munit-heldout.jpg\` ($(date -u +%Y-%m-%d))."
  echo "Diversity: LPIPS-style distance (channel-normalized VGG16 features, averaged over layers) between outputs of one photo"
  echo "with different seeds; content: relu4_1 loss to the photo beside our StyleBank's on the same photos; guided: outputs nearer"
  echo "(VGG μ/σ style distance) their own example painting than every other example."
  echo
  sed -E 's#/[^ `]*/([^/ `]+)#\1#g' "$eval_out" | sed 's/^/    /'
} >"$OUT/eval.md"
rm -f "$eval_out"
echo "snapshot of $RUN at iteration $iterations in $OUT (provenance, loss curve, eval) and docs/munit-heldout.jpg"
