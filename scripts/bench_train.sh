#!/usr/bin/env bash
# StyleBank's training steps, ours beside PyTorch's (issue #15; step 2b of `make bench`, and runs alone):
#
#   scripts/bench_train.sh [ATELIER_BINARY] [MODELS_DIR]
#
# Each round runs, alternating the two sides on the same inputs:
#   atelier profile --network stylebank-train --size 256 --repeats 3 --step-file …  (our phase table;
#   atelier profile --network stylebank-learn --size 256 --repeats 3 --step-file …   the step files
#                                                                                     hold its inputs)
#   scripts/bench_train_peer.py --train … --learn …   (checks PyTorch's losses against ours, then times)
# and writes profile-train-R.txt, profile-learn-R.txt and train-peer-R.json into $BENCH_DIR, which
# scripts/bench_report.py turns into the training table (scripts/bench_report_train.py prints it alone).
#
# PyTorch: the python3 on PATH if it imports torch, else $TORCH_VENV (.cache/torch-venv), made and
# given torch==2.15.0 from PyPI when missing (the Linux wheel bundles CUDA libraries, about 5 GB
# installed; only the CPU runs here). Knobs: ROUNDS (3), TRAIN_SIZE (256), TRAIN_REPEATS (3, both
# sides), TRAIN_THREADS (2), TRAIN_OMP_WAIT (passive: PyTorch's OpenMP threads do not spin while
# waiting, which on a shared machine more than halved its step; `unset` keeps OpenMP's default),
# BENCH_DIR (.cache/bench), TORCH_VENV.
set -euo pipefail
BIN=${1:-.build/release/atelier}
MODELS=${2:-data/models}
ROUNDS=${ROUNDS:-3}
SIZE=${TRAIN_SIZE:-256}
REPEATS=${TRAIN_REPEATS:-3}
THREADS=${TRAIN_THREADS:-2}
OMP_WAIT=${TRAIN_OMP_WAIT:-passive}
DIR=${BENCH_DIR:-.cache/bench}
VENV=${TORCH_VENV:-.cache/torch-venv}
TORCH_SPEC=torch==2.15.0
mkdir -p "$DIR"
rm -f "$DIR"/profile-train-*.txt "$DIR"/profile-learn-*.txt "$DIR"/train-peer-*.json
[ -x "$BIN" ] || { echo "bench_train: $BIN is not built (make build)" >&2; exit 1; }
[ -f "$DIR/commands.log" ] || echo "scripts/bench_train.sh $BIN $MODELS    # ROUNDS=$ROUNDS" >"$DIR/commands.log"
run() { echo "$*" >>"$DIR/commands.log"; echo "+ $*" >&2; "$@"; }

if python3 -c "import torch" 2>/dev/null; then
  PY=python3
else
  PY="$VENV/bin/python"
  if ! "$PY" -c "import torch" 2>/dev/null; then
    echo "bench_train: installing $TORCH_SPEC into $VENV" >&2
    python3 -m venv "$VENV"
    "$PY" -m pip install --quiet "$TORCH_SPEC"
  fi
fi

# The same thread count on both sides: ATELIER_THREADS for ours, torch.set_num_threads for PyTorch.
for round in $(seq 1 "$ROUNDS"); do
  for kind in train learn; do
    run env ATELIER_THREADS="$THREADS" "$BIN" profile --models "$MODELS" --network "stylebank-$kind" --size "$SIZE" --repeats "$REPEATS" \
      --step-file "$DIR/$kind-step.safetensors" | tee "$DIR/profile-$kind-$round.txt" >&2
  done
  run "$PY" scripts/bench_train_peer.py --models "$MODELS" --train "$DIR/train-step.safetensors" \
    --learn "$DIR/learn-step.safetensors" --repeats "$REPEATS" --threads "$THREADS" --omp-wait-policy "$OMP_WAIT" --out "$DIR/train-peer-$round.json"
done
