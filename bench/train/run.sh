#!/usr/bin/env bash
# LoRA training benchmark: jlora (DJL) beside a PyTorch eager implementation of the same step, same run.
#   bench/train/run.sh     ~124M-parameter random Llama (hidden 768, 12 layers, 12 heads, 4 KV heads,
#                          MLP 2048, vocab 32000), LoRA r 16 all-linear, batch 4 x 256 tokens, AdamW:
#                          tokens/s of both and their ratio, and the memory a training step adds above
#                          the loaded model with gradient checkpointing on and off, and the process peaks.
# Needs Debian's torch for the reference: apt-get install -y python3-torch libopenblas0-pthread
# Env: BENCH_DIR (models, default /tmp/jlora-bench), THREADS (2), BATCH (4), SEQ (256), STEPS (3; the
#      first is excluded from tokens/s), MODES ("off on"), MODEL (a model folder to use instead)
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH_DIR=${BENCH_DIR:-/tmp/jlora-bench}
THREADS=${THREADS:-2}
BATCH=${BATCH:-4}
SEQ=${SEQ:-256}
STEPS=${STEPS:-3}
MODES=${MODES:-"off on"}
mkdir -p "$BENCH_DIR"
# OpenMP workers that sleep instead of spinning when idle (see bench/model/README.md): both sides
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

mvn -B -q -o -pl lib test-compile dependency:build-classpath -Dmdep.outputFile="$BENCH_DIR/cp.txt" >/dev/null
CP="lib/target/test-classes:lib/target/classes:$(cat "$BENCH_DIR/cp.txt")"
JAVA=(java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$THREADS" -cp "$CP")

MODEL=${MODEL:-$BENCH_DIR/llama-124m}
[[ -f $MODEL/model.safetensors ]] || "${JAVA[@]}" io.jlora.bench.ModelBench write "$MODEL" llama 768 12 12 4 2048 32000 F32

LOG="$BENCH_DIR/train-bench.log"
: > "$LOG"
for mode in $MODES; do
  echo "== gradient checkpointing $mode: batch $BATCH x $SEQ tokens, $STEPS steps, $THREADS threads each =="
  "${JAVA[@]}" io.jlora.train.TrainBench "$MODEL" "$BATCH" "$SEQ" "$STEPS" "$mode" 2>&1 | grep -v SLF4J | tee -a "$LOG"
  /usr/bin/python3 bench/train/torch_reference.py "$MODEL" "$BATCH" "$SEQ" "$STEPS" "$THREADS" "$mode" 2>&1 | tee -a "$LOG"
done

echo "== summary =="
awk '
  /^(jlora|torch)-result/ {
    split($1, who, "-"); split($2, m, "="); split($3, t, "="); split($4, a, "="); split($5, f, "=")
    tps[who[1], m[2]] = t[2]; add[who[1], m[2]] = a[2]; first[who[1], m[2]] = f[2]; modes[m[2]] = 1
  }
  END {
    print "memory a step adds above the loaded model: first step of a fresh process / largest over all steps (MiB)"
    for (mode in modes) {
      printf "checkpointing %-3s  tokens/s: jlora %6.1f  torch %6.1f  jlora/torch %.2f   memory: jlora %5d / %5d  torch %5d / %5d\n",
        mode, tps["jlora", mode], tps["torch", mode], tps["jlora", mode] / tps["torch", mode],
        first["jlora", mode], add["jlora", mode], first["torch", mode], add["torch", mode]
    }
    if (("jlora", "on") in add && ("jlora", "off") in add && add["jlora", "off"] > 0)
      printf "jlora: a step with checkpointing on adds %.0f%% less memory than off (first step), %.0f%% less (largest)\n",
        100 * (1 - first["jlora", "on"] / first["jlora", "off"]), 100 * (1 - add["jlora", "on"] / add["jlora", "off"])
  }' "$LOG"
grep -h "whole-process peak" "$LOG" | sed 's/^/  /'
