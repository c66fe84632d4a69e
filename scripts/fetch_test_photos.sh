#!/usr/bin/env bash
# Held-out photographs for judging StyleBank on pictures it was never trained on: scikit-image's
# sample photos (astronaut: NASA, public domain; chelsea, coffee: CC0, by Stefan van der Walt and
# Rachel Michetti; rocket: SpaceX, public domain; as skimage/data/_fetchers.py says), from its PyPI
# wheel pinned by version and sha256.
#   scripts/fetch_test_photos.sh [DEST]   (default data/test-photos; skipped when present)
# None of these is in the training content (the shared photos and scripts/training-photos.txt).
set -euo pipefail
DEST=${1:-data/test-photos}
CACHE=${ATELIER_WHEEL_CACHE:-.cache/wheels}
SPEC=scikit-image==0.26.0
WHEEL=scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl
SHA=74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af
PHOTOS=(astronaut.png chelsea.png coffee.png rocket.jpg)
if [ -f "$DEST/${PHOTOS[-1]}" ]; then echo "test photos: $DEST present"; exit 0; fi
mkdir -p "$DEST" "$CACHE"
if [ ! -f "$CACHE/$WHEEL" ]; then
  echo "test photos: downloading $SPEC"
  # The platform and interpreter are fixed so every machine gets the one file the sha256 pins.
  python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 --implementation cp \
    --platform manylinux_2_28_x86_64 --dest "$CACHE" "$SPEC"
fi
actual=$(sha256sum "$CACHE/$WHEEL" | cut -d' ' -f1)
if [ "$actual" != "$SHA" ]; then
  echo "test photos: sha256 mismatch for $CACHE/$WHEEL: expected $SHA, got $actual" >&2
  rm -f "$CACHE/$WHEEL"; exit 1
fi
python3 - "$CACHE/$WHEEL" "$DEST" "${PHOTOS[@]}" <<'PY'
import sys, zipfile, os
wheel, dest, names = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    for name in names:
        with open(os.path.join(dest, name), "wb") as f:
            f.write(z.read("skimage/data/" + name))
PY
echo "test photos in $DEST: ${#PHOTOS[@]}"
