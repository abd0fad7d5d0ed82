#!/usr/bin/env bash
# Full fine-tuning beside LoRA and LoRA on a 4-bit base (QLoRA), jlora and PyTorch eager in the same run:
#   bench/fullft/run.sh    ~124M-parameter random Llama of bench/train (hidden 768, 12 layers, 12 heads,
#                          4 KV heads, MLP 2048, vocab 32000, float32), batch 4 x 256 tokens, gradient
#                          checkpointing on, AdamW lr 2e-4; each configuration in a fresh process:
#                          steady tokens/s (first step excluded), whole-process peak RSS, and the peak
#                          above the RSS before loading (what loading and training the model took).
# Needs Debian's torch for the peer: apt-get install -y python3-torch libopenblas0-pthread
# Env: BENCH_DIR (default /tmp/jlora-bench), THREADS (2), BATCH (4), SEQ (256), STEPS (3),
#      MODES ("lora-nf4 lora full"), MODEL (a model folder to use instead)
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH_DIR=${BENCH_DIR:-/tmp/jlora-bench}
THREADS=${THREADS:-2}
BATCH=${BATCH:-4}
SEQ=${SEQ:-256}
STEPS=${STEPS:-3}
MODES=${MODES:-"lora-nf4 lora full"}
mkdir -p "$BENCH_DIR"
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

source bench/lib.sh
CP=$(lib_classpath "$BENCH_DIR/fullft-cp.txt")
JAVA=(java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$THREADS" -cp "$CP")

MODEL=${MODEL:-$BENCH_DIR/llama-124m}
llama_124m "$MODEL" "$CP"

LOG="$BENCH_DIR/fullft-bench.log"
: > "$LOG"
for mode in $MODES; do
  echo "== $mode: batch $BATCH x $SEQ tokens, $STEPS steps, $THREADS threads each =="
  "${JAVA[@]}" io.jlora.train.FullFtBench "$MODEL" "$BATCH" "$SEQ" "$STEPS" "$mode" 2>&1 | grep -v SLF4J | tee -a "$LOG"
  if [[ $mode != lora-nf4 ]]; then
    /usr/bin/python3 bench/fullft/torch_full.py "$MODEL" "$BATCH" "$SEQ" "$STEPS" "$THREADS" "$mode" 2>&1 | tee -a "$LOG"
  fi
done

echo "== summary: batch $BATCH x $SEQ, $STEPS steps, checkpointing on =="
awk '
  /^(jlora|torch)-result/ {
    split($1, who, "-"); split($2, m, "="); split($3, t, "="); split($4, p, "="); split($6, a, "="); split($7, n, "=")
    tps[who[1], m[2]] = t[2]; peak[who[1], m[2]] = p[2]; add[who[1], m[2]] = a[2]; trainable[m[2]] = n[2]; seen[m[2]] = 1
  }
  END {
    printf "%-9s %12s | %10s %10s | %16s %16s | %16s %16s\n", "mode", "trainable", "tok/s jlora", "torch", "peak MiB jlora", "torch", "added MiB jlora", "torch"
    split("lora-nf4 lora full", order, " ")
    for (i = 1; i <= 3; i++) {
      mode = order[i]
      if (!(mode in seen)) continue
      tt = (("torch", mode) in tps) ? tps["torch", mode] : "-"; tp = (("torch", mode) in peak) ? peak["torch", mode] : "-"
      ta = (("torch", mode) in add) ? add["torch", mode] : "-"
      printf "%-9s %12d | %10s %10s | %16s %16s | %16s %16s\n", mode, trainable[mode], tps["jlora", mode], tt, peak["jlora", mode], tp, add["jlora", mode], ta
    }
  }' "$LOG"
