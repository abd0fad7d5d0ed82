#!/usr/bin/env bash
# LoRA training benchmark: jlora (DJL) beside a PyTorch eager implementation of the same step, same run.
#   bench/train/run.sh     ~124M-parameter random Llama (hidden 768, 12 layers, 12 heads, 4 KV heads,
#                          MLP 2048, vocab 32000), LoRA r 16 all-linear, batch 4 x 256 tokens, AdamW:
#                          tokens/s of both and their ratio, and the memory a training step adds above
#                          the loaded model with gradient checkpointing on and off, and the process peaks.
# Needs Debian's torch for the reference: apt-get install -y python3-torch libopenblas0-pthread
# Env: BENCH_DIR (models, default /tmp/jlora-bench), THREADS (2), BATCH (4), SEQ (256), STEPS (3; the
#      first is excluded from tokens/s), MODES ("off on"), ROUNDS (3: interleaved repeats), MODEL (a model
#      folder to use instead)
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH_DIR=${BENCH_DIR:-/tmp/jlora-bench}
THREADS=${THREADS:-2}
BATCH=${BATCH:-4}
SEQ=${SEQ:-256}
STEPS=${STEPS:-3}
MODES=${MODES:-"off on"}
ROUNDS=${ROUNDS:-3}
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
# Rounds interleave the two sides (jlora, then torch, per mode, each a fresh process), so that a
# change of the machine's load hits both alike; the figure to read is the median over rounds of
# each round's ratio.
for round in $(seq 1 "$ROUNDS"); do
  for mode in $MODES; do
    echo "== round $round/$ROUNDS, gradient checkpointing $mode: batch $BATCH x $SEQ tokens, $STEPS steps, $THREADS threads each =="
    "${JAVA[@]}" io.jlora.train.TrainBench "$MODEL" "$BATCH" "$SEQ" "$STEPS" "$mode" 2>&1 | grep -v SLF4J \
      | sed "s/^jlora-result /jlora-result round=$round /" | tee -a "$LOG"
    /usr/bin/python3 bench/train/torch_reference.py "$MODEL" "$BATCH" "$SEQ" "$STEPS" "$THREADS" "$mode" 2>&1 \
      | sed "s/^torch-result /torch-result round=$round /" | tee -a "$LOG"
  done
done

echo "== summary ($ROUNDS rounds; load average now: $(cut -d' ' -f1-3 /proc/loadavg)) =="
awk '
  function median(list,    n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  /^(jlora|torch)-result/ {
    split($1, who, "-")
    for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    key = who[1] SUBSEP f["checkpointing"]
    tps[key, f["round"]] = f["tokens_per_s"]; tpsAll[key] = tpsAll[key] " " f["tokens_per_s"]
    if (!(key in first) || f["first_step_added_mib"] + 0 > first[key]) first[key] = f["first_step_added_mib"]
    if (!(key in add) || f["step_added_mib"] + 0 > add[key]) add[key] = f["step_added_mib"]
    modes[f["checkpointing"]] = 1; rounds[f["round"]] = 1
  }
  END {
    print "tokens/s: median over rounds (each round: fresh processes, jlora then torch); ratio = median of the rounds ratios"
    for (mode in modes) {
      ratios = ""; per = ""
      for (r in rounds) if ((("jlora", mode, r) in tps) && (("torch", mode, r) in tps) && tps["torch", mode, r] > 0) {
        q = tps["jlora", mode, r] / tps["torch", mode, r]; ratios = ratios " " q; per = per sprintf(" %.2f", q)
      }
      printf "checkpointing %-3s  jlora %6.1f  torch %6.1f  jlora/torch %.2f (rounds:%s)\n",
        mode, median(tpsAll["jlora", mode]), median(tpsAll["torch", mode]), median(ratios), per
    }
    print "memory a step adds above the loaded model (MiB), worst over rounds: first step of a fresh process / largest over all steps"
    for (mode in modes)
      printf "checkpointing %-3s  jlora %5d / %5d  torch %5d / %5d\n", mode,
        first["jlora", mode], add["jlora", mode], first["torch", mode], add["torch", mode]
    if ((("jlora", "on") in add) && (("jlora", "off") in add) && add["jlora", "off"] > 0)
      printf "jlora: a step with checkpointing on adds %.0f%% less memory than off (first step), %.0f%% less (largest)\n",
        100 * (1 - first["jlora", "on"] / first["jlora", "off"]), 100 * (1 - add["jlora", "on"] / add["jlora", "off"])
  }' "$LOG"
grep -h "whole-process peak" "$LOG" | sort | uniq -c | sed 's/^/  /'
