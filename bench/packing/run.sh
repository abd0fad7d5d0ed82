#!/usr/bin/env bash
# Packing benchmark: tokens/s of LoRA training on short examples, packed (best-fit decreasing,
# padding-free) beside unpacked (padded batches), same data, same model, fresh processes interleaved.
#   bench/packing/run.sh    small random Llama (hidden 512, 4 layers, 8 heads, 4 KV heads, MLP 1376,
#                           byte-level vocab 258), LoRA r 16 all-linear, one epoch over EXAMPLES texts of
#                           16-96 tokens; unpacked BATCH examples a step, packed one row of MAXLEN tokens
# Env: BENCH_DIR (default /tmp/jlora-bench), THREADS (2), EXAMPLES (96), BATCH (8), MAXLEN (512), ROUNDS (3)
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH_DIR=${BENCH_DIR:-/tmp/jlora-bench}
THREADS=${THREADS:-2}
EXAMPLES=${EXAMPLES:-96}
BATCH=${BATCH:-8}
MAXLEN=${MAXLEN:-512}
ROUNDS=${ROUNDS:-3}
mkdir -p "$BENCH_DIR"
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

source bench/lib.sh
CP=$(lib_classpath "$BENCH_DIR/cp.txt")
JAVA=(java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$THREADS" -cp "$CP")
MODEL=$BENCH_DIR/llama-packing

LOG="$BENCH_DIR/packing-bench.log"
: > "$LOG"
for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round/$ROUNDS ($(uptime | sed 's/.*load average/load average/')) =="
  # alternate which side goes first, so that neither always gets the quieter slot
  if (( round % 2 )); then order="unpacked packed"; else order="packed unpacked"; fi
  for mode in $order; do
    "${JAVA[@]}" io.jlora.train.PackingBench "$MODEL" "$mode" "$EXAMPLES" "$BATCH" "$MAXLEN" 2>&1 \
      | grep '^packing-result' | sed "s/^packing-result /packing-result round=$round /" | tee -a "$LOG"
  done
done

echo "== summary ($ROUNDS rounds; $(uptime | sed 's/.*load average/load average/')) =="
awk -f bench/median.awk -f /dev/stdin "$LOG" <<'AWK'
  {
    for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    tps[f["round"], f["mode"]] = f["tokens_per_s"]; rounds[f["round"]] = 1
    steps[f["mode"]] = f["steps"]; padded[f["mode"]] = f["padded_positions"]; tokens = f["tokens"]
  }
  END {
    printf "%-10s %8s %10s %16s %s\n", "mode", "steps", "tokens", "padded positions", "tokens/s per round"
    for (m = 0; m < 2; m++) {
      mode = m ? "packed" : "unpacked"; line = ""; all = ""
      for (r in rounds) { line = line sprintf(" %.1f", tps[r, mode]); all = all " " tps[r, mode] }
      med[mode] = median(all)
      printf "%-10s %8s %10s %16s%s (median %.1f)\n", mode, steps[mode], tokens, padded[mode], line, med[mode]
    }
    ratios = ""; lo = 1e9; hi = 0
    for (r in rounds) { q = tps[r, "packed"] / tps[r, "unpacked"]; ratios = ratios " " q; if (q < lo) lo = q; if (q > hi) hi = q }
    printf "packed / unpacked tokens/s: median of per-round ratios %.2fx (spread %.2fx-%.2fx)\n", median(ratios), lo, hi
  }
AWK
