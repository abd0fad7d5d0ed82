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

source bench/lib.sh
CP=$(lib_classpath "$BENCH_DIR/cp.txt")
JAVA=(java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$THREADS" -cp "$CP")

MODEL=${MODEL:-$BENCH_DIR/llama-124m}
llama_124m "$MODEL" "$CP"

# The real peer, Hugging Face transformers + PEFT, where a Python with them is at hand: PEFT_PYTHON, or a
# venv made once from local wheel folders (/opt/.../torch-*.whl, peft-*.whl) when the machine has them;
# PEFT_PYTHON=none skips it. Debian's torch eager reference runs in every case.
PEFT_PYTHON=${PEFT_PYTHON:-}
if [[ -z $PEFT_PYTHON ]]; then
  if [[ -x $BENCH_DIR/hf-venv/bin/python ]]; then
    PEFT_PYTHON=$BENCH_DIR/hf-venv/bin/python
  else
    wheel_dirs=$(find /opt -name 'peft-*.whl' -o -name 'torch-*.whl' 2>/dev/null | xargs -r -n1 dirname | sort -u)
    if [[ -n $wheel_dirs ]] && command -v python3 >/dev/null; then
      echo "making $BENCH_DIR/hf-venv from the wheels in: $wheel_dirs"
      links=(); for w in $wheel_dirs; do links+=(--find-links "$w"); done
      if python3 -m venv "$BENCH_DIR/hf-venv" && "$BENCH_DIR/hf-venv/bin/pip" install -q --no-index "${links[@]}" \
           torch transformers peft safetensors; then
        PEFT_PYTHON=$BENCH_DIR/hf-venv/bin/python
      else
        echo "could not make the transformers + PEFT venv; that peer is skipped" >&2
      fi
    fi
  fi
fi
[[ $PEFT_PYTHON == none ]] && PEFT_PYTHON=

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
    if [[ -n $PEFT_PYTHON ]]; then
      "$PEFT_PYTHON" bench/train/hf_peft_reference.py "$MODEL" "$BATCH" "$SEQ" "$STEPS" "$THREADS" "$mode" 2>&1 \
        | grep -v -E "Warning|warn\(" | sed "s/^hf-result /hf-result round=$round /" | tee -a "$LOG"
    fi
  done
done

echo "== summary ($ROUNDS rounds; load average now: $(cut -d' ' -f1-3 /proc/loadavg)) =="
awk '
  function median(list,    n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  /^(jlora|torch|hf)-result/ {
    split($1, who, "-")
    for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    key = who[1] SUBSEP f["checkpointing"]
    tps[key, f["round"]] = f["tokens_per_s"]; tpsAll[key] = tpsAll[key] " " f["tokens_per_s"]
    if (!(key in first) || f["first_step_added_mib"] + 0 > first[key]) first[key] = f["first_step_added_mib"]
    if (!(key in add) || f["step_added_mib"] + 0 > add[key]) add[key] = f["step_added_mib"]
    modes[f["checkpointing"]] = 1; rounds[f["round"]] = 1
  }
  END {
    print "tokens/s: median over rounds (each round: fresh processes, jlora then the peers); ratio = median of the rounds ratios"
    print "  torch = PyTorch eager (Debian python3-torch), hf = transformers + PEFT (where available)"
    for (mode in modes) {
      line = sprintf("checkpointing %-3s  jlora %6.1f", mode, median(tpsAll["jlora", mode]))
      split("torch hf", peers, " ")
      for (k = 1; k <= 2; k++) {
        peer = peers[k]
        if (!((peer, mode) in tpsAll)) continue
        ratios = ""; per = ""
        for (r in rounds) if ((("jlora", mode, r) in tps) && ((peer, mode, r) in tps) && tps[peer, mode, r] > 0) {
          q = tps["jlora", mode, r] / tps[peer, mode, r]; ratios = ratios " " q; per = per sprintf(" %.2f", q)
        }
        line = line sprintf("   %s %6.1f  jlora/%s %.2f (rounds:%s)", peer, median(tpsAll[peer, mode]), peer, median(ratios), per)
      }
      print line
    }
    print "memory a step adds above the loaded model (MiB), worst over rounds: first step of a fresh process / largest over all steps"
    for (mode in modes) {
      printf "checkpointing %-3s  jlora %5d / %5d  torch %5d / %5d", mode,
        first["jlora", mode], add["jlora", mode], first["torch", mode], add["torch", mode]
      if (("hf", mode) in add) printf "  hf %5d / %5d", first["hf", mode], add["hf", mode]
      printf "\n"
    }
    if ((("jlora", "on") in add) && (("jlora", "off") in add) && add["jlora", "off"] > 0)
      printf "jlora: a step with checkpointing on adds %.0f%% less memory than off (first step), %.0f%% less (largest)\n",
        100 * (1 - first["jlora", "on"] / first["jlora", "off"]), 100 * (1 - add["jlora", "on"] / add["jlora", "off"])
  }' "$LOG"
grep -h "whole-process peak" "$LOG" | sort | uniq -c | sed 's/^/  /'
