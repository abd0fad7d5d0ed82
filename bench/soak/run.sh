#!/usr/bin/env bash
# Soak benchmark: a 2-hour-equivalent training run compressed into ~10 minutes, memory sampled.
#   bench/soak/run.sh    the quickstart's training (models/tiny-llama, LoRA r16 on all linear layers
#                        and lm_head, notebooks/data/jlora-facts.jsonl, batch 4 x 64 tokens) for STEPS
#                        steps (many short epochs) with an eval, a checkpoint save (2 kept) and a
#                        generate call every EVERY steps; after each EVERY steps: heap used after GC,
#                        open NDArrays (count, bytes) across every DJL manager, RSS. Prints the table,
#                        a linear-fit slope of each per 1000 steps, PASS/FAIL; exits 1 on FAIL.
# Env: BENCH_DIR (/tmp/jlora-bench), STEPS (6000), EVERY (50), THREADS (1)
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH_DIR=${BENCH_DIR:-/tmp/jlora-bench}
STEPS=${STEPS:-6000}
EVERY=${EVERY:-50}
THREADS=${THREADS:-1}
mkdir -p "$BENCH_DIR"
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

source bench/lib.sh
CP=$(lib_classpath "$BENCH_DIR/cp.txt")
WORK=$(mktemp -d "$BENCH_DIR/soak.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$THREADS" -Xmx1g -cp "$CP" io.jlora.bench.SoakBench \
  models/tiny-llama notebooks/data/jlora-facts.jsonl "$WORK" "$STEPS" "$EVERY" 2>&1 | grep --line-buffered -v SLF4J \
  | tee "$BENCH_DIR/soak.log"
exit "${PIPESTATUS[0]}"
