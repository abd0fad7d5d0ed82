#!/usr/bin/env bash
# Quantization benchmark (io.jlora.quant.QuantBench), figures side by side, same run:
#   bench/quant/run.sh            dequantization throughput of a 4096x4096 NF4 weight (GB/s of
#                                 float32 output), plain Java path vs DJL-op paths; then a LoRA
#                                 step (r 16, all projections) on a ~124M Llama-shaped random model,
#                                 float32 base vs int4 base, and their ratio (the Trainer's step:
#                                 checkpointing on, AdamW)
#   bench/quant/run.sh dequant    only the first part;   bench/quant/run.sh step   only the second
# Env: BENCH_DIR (models, default /tmp/jlora-bench), THREADS (2), REPEATS (5), SEQ (128)
set -euo pipefail
cd "$(dirname "$0")/../.."
WHAT=${1:-all}
BENCH_DIR=${BENCH_DIR:-/tmp/jlora-bench}
THREADS=${THREADS:-2}
REPEATS=${REPEATS:-5}
SEQ=${SEQ:-128}
mkdir -p "$BENCH_DIR"
# sleeping (not spinning) OpenMP workers: spinning ones stall on a shared 2-core machine
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
# the glibc settings jlora's LeanAllocator makes when a quantized model loads (freed tensors go back
# to the system), set for the whole process so that the float and int4 steps run alike
export MALLOC_MMAP_THRESHOLD_=${MALLOC_MMAP_THRESHOLD_:-131072}
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}

source bench/lib.sh
CP=$(lib_classpath "$BENCH_DIR/cp.txt")
# the Java path runs on the common fork-join pool: give it as many threads as libtorch gets
JAVA=(java -Xmx4g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$THREADS"
      -Djava.util.concurrent.ForkJoinPool.common.parallelism="$THREADS" -cp "$CP" io.jlora.quant.QuantBench)

if [[ $WHAT == all || $WHAT == dequant ]]; then
  echo "== dequantization, ${THREADS} threads each =="
  "${JAVA[@]}" dequant 4096 4096 "$REPEATS" 2>&1 | grep -v SLF4J
fi

if [[ $WHAT == all || $WHAT == step ]]; then
  # the same Llama shape as bench/model: hidden 768, 12 layers, 12 heads, 4 KV heads, MLP 2048, vocab 32000
  M100="$BENCH_DIR/llama-124m"  # shared with bench/model
  llama_124m "$M100" "$CP"
  echo "== QLoRA step vs float LoRA step, ${THREADS} threads =="
  "${JAVA[@]}" step "$M100" "$SEQ" "$REPEATS" 2>&1 | grep -v SLF4J
fi
