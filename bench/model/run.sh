#!/usr/bin/env bash
# Model-layer benchmark: jlora (DJL) beside a PyTorch eager reference of the same model, same run.
#   bench/model/run.sh            forward + generation on a ~124M Llama-shaped random model, and
#                                 peak RSS loading a 1.2B-parameter BF16 checkpoint
#   bench/model/run.sh speed      only the first part;   bench/model/run.sh load   only the second
# Needs Debian's torch for the reference: apt-get install -y python3-torch libopenblas0-pthread
# Env: BENCH_DIR (models, default /tmp/jlora-bench), THREADS (2), REPEATS (5), SEQ (128), NEW_TOKENS (32)
set -euo pipefail
cd "$(dirname "$0")/../.."
WHAT=${1:-all}
BENCH_DIR=${BENCH_DIR:-/tmp/jlora-bench}
THREADS=${THREADS:-2}
REPEATS=${REPEATS:-5}
SEQ=${SEQ:-128}
NEW_TOKENS=${NEW_TOKENS:-32}
mkdir -p "$BENCH_DIR"
# OpenMP workers that sleep instead of spinning when idle: on a shared 2-core machine, spinning
# workers of libtorch (DJL's and Python's alike) wait for descheduled peers and run 3-5x slower
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

source bench/lib.sh
CP=$(lib_classpath "$BENCH_DIR/cp.txt")
JAVA=(java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$THREADS" -cp "$CP" io.jlora.bench.ModelBench)

if [[ $WHAT == all || $WHAT == speed ]]; then
  # Llama shape: hidden 768, 12 layers, 12 heads, 4 KV heads, MLP 2048, vocab 32000: 124M parameters
  M100="$BENCH_DIR/llama-124m"
  llama_124m "$M100" "$CP"
  echo "== forward and generation, ${THREADS} threads each =="
  "${JAVA[@]}" speed "$M100" "$SEQ" "$NEW_TOKENS" "$REPEATS" "$BENCH_DIR/jlora-logits.safetensors" 2>&1 | grep -v SLF4J
  /usr/bin/python3 bench/model/torch_reference.py "$M100" "$SEQ" "$NEW_TOKENS" "$REPEATS" \
      "$BENCH_DIR/jlora-logits.safetensors" "$THREADS"
fi

if [[ $WHAT == all || $WHAT == load ]]; then
  # Llama-3.2-1B shape: hidden 2048, 16 layers, 32 heads, 8 KV heads, MLP 8192, vocab 128256, tied
  M1B="$BENCH_DIR/llama-1b-bf16"
  [[ -f $M1B/model.safetensors ]] || "${JAVA[@]}" write "$M1B" llama 2048 16 32 8 8192 128256 BF16 tied
  echo "== peak RSS loading a BF16 checkpoint (widened to float32) =="
  "${JAVA[@]}" load "$M1B" 2>&1 | grep -v SLF4J
fi
