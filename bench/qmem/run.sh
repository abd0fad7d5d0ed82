#!/usr/bin/env bash
# Whole-process peak resident memory of a LoRA and a QLoRA training step (io.jlora.quant.QmemBench),
# batch 1 x 512 tokens, LoRA r 16 on all linear layers, gradient checkpointing on, on random
# bfloat16 models of the Llama-3.2-1B and Llama-2-7B shapes; each case in a JVM of its own, its
# VmHWM (never reset) printed beside the goal, the seed's table and the project's MemoryEstimate.
#   bench/qmem/run.sh        1B LoRA, 1B LoRA+4-bit, 7B LoRA+4-bit (the 7B case takes ~30 min on 2 cores)
#   bench/qmem/run.sh 1b     the two 1B cases;   bench/qmem/run.sh 7b   the 7B case
#   bench/qmem/run.sh door   the 1B LoRA+4-bit case through the door users use: bin/jlora train
#                            --quantization int4 (one-shot), its JSON's peak_rss_mb (VmHWM) beside the goal
# Env: BENCH_DIR (models, default /tmp/jlora-bench; 2.5 + 13.5 GB), THREADS (2), SEQ (512), STEPS (2),
#      HEAP (the JVM's -Xmx, 128m: weights and activations live in libtorch's native memory, the
#      Java heap only holds one weight's quantization scratch; a heap the GC lets fill up with
#      garbage is resident memory too), MALLOC_MMAP_THRESHOLD_ / MALLOC_ARENA_MAX (unset: jlora's
#      LeanAllocator sets 128 KiB and 2 when the quantized model loads; set, they win),
#      TRACE (1: print where the resident set reached its highest values, PeakTrace)
set -euo pipefail
cd "$(dirname "$0")/../.."
WHAT=${1:-all}
BENCH_DIR=${BENCH_DIR:-/tmp/jlora-bench}
THREADS=${THREADS:-2}
SEQ=${SEQ:-512}
STEPS=${STEPS:-2}
HEAP=${HEAP:-128m}
mkdir -p "$BENCH_DIR"
source bench/lib.sh
CP=$(lib_classpath "$BENCH_DIR/cp.txt")
# the environment bin/jlora gives its JVM (bin/lib/jvm-env.sh): libtorch's transparent huge pages and
# tcmalloc where installed; under glibc's malloc, LeanAllocator sets it lean once a quantized model
# loads (with glibc's defaults the 1B QLoRA step peaked at 3.5 GiB, README), as in every jlora process
source bin/lib/jvm-env.sh
JAVA=(java -Xmx"$HEAP" -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$THREADS"
      -Djava.util.concurrent.ForkJoinPool.common.parallelism="$THREADS" -cp "$CP" io.jlora.quant.QmemBench)
M1B="$BENCH_DIR/qmem-llama32-1b"   # Llama-3.2-1B shape, bf16, tied, 128256 tokens
M7B="$BENCH_DIR/qmem-llama2-7b"    # Llama-2-7B shape, bf16, 3 shards
RESULTS=$(mktemp)
trap 'rm -f "$RESULTS"' EXIT

run_case() { # LABEL DIR QUANTIZATION GOAL_GIB
  "${JAVA[@]}" case "$1" "$2" "$3" "$SEQ" "$STEPS" "$4" 2>&1 | grep --line-buffered -v SLF4J | tee -a "$RESULTS"
}

echo "== batch 1 x $SEQ tokens, LoRA r16 all-linear, checkpointing on, $STEPS steps, -Xmx$HEAP," \
     "malloc: ${LD_PRELOAD:-glibc, MALLOC_MMAP_THRESHOLD_=${MALLOC_MMAP_THRESHOLD_:-LeanAllocator} MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-LeanAllocator}}, $THREADS threads =="
if [[ $WHAT == all || $WHAT == 1b ]]; then
  [[ -f $M1B/model.safetensors ]] || "${JAVA[@]}" write-1b "$M1B" 2>&1 | grep -v SLF4J || true
  run_case 1B "$M1B" float16 3.5
  run_case 1B "$M1B" int4 2
fi
if [[ $WHAT == all || $WHAT == 7b ]]; then
  [[ -f $M7B/model.safetensors.index.json ]] || "${JAVA[@]}" write-7b "$M7B" 2>&1 | grep -v SLF4J || true
  run_case 7B "$M7B" int4 6
fi

if [[ $WHAT == door ]]; then
  [[ -f $M1B/model.safetensors ]] || "${JAVA[@]}" write-1b "$M1B" 2>&1 | grep -v SLF4J || true
  ROWS="$BENCH_DIR/qmem-rows.jsonl"
  word_rows "$ROWS" 4 600
  # the same JVM settings as the harness: the heap holds no tensors
  out=$(JLORA_JAVA_OPTS="-Xmx$HEAP -Dai.djl.pytorch.num_threads=$THREADS" bin/jlora train --model "$M1B" --quantization int4 \
        --file "$ROWS" --steps "$STEPS" --batch-size 1 --max-seq-length "$SEQ" --lora-dropout 0 --merge-adapter false \
        --output-folder "$BENCH_DIR/qmem-door-out" --overwrite --json | tail -1)
  peak=$(python3 -c "import json,sys; print('%.2f' % (json.loads(sys.argv[1])['peak_rss_mb'] / 1024))" "$out")
  verdict=$(python3 -c "print('PASS' if $peak < 2 else 'FAIL')")
  echo "qmem-result model=1B mode=int4-cli peak=$peak goal=2 verdict=$verdict estimate=- seed=3" | tee -a "$RESULTS"
fi

echo
echo "== whole-process peak RSS (GiB), ours beside the goal, the seed's table and HF PEFT =="
printf '%-6s %-10s %10s %8s %6s %10s %10s\n' model mode "peak RSS" goal "" estimate "seed's"
grep '^qmem-result' "$RESULTS" | sed 's/[a-z_]*=//g' | while read -r _ model mode peak goal verdict est seed _; do
  printf '%-6s %-10s %10s %8s %6s %10s %10s\n' "$model" "$mode" "$peak" "< $goal" "$verdict" "$est" "$seed"
done
echo "seed's table (GB): 1B full 8 / LoRA 4 / LoRA+4-bit 3; 7B 56 / 16 / 8; 13B 104 / 32 / 16"
echo "HF PEFT (the guide's measurement, not this run): 10.5 GiB resident, Llama-3.2-1B shape, LoRA, batch 1 x 512"
