#!/usr/bin/env bash
# Gemma 3 1B shape (gemma3_text, 262,144-token vocabulary, so the chunked head matters): jlora's memory
# table, then LoRA and QLoRA training steps through bin/jlora beside HF transformers + PEFT in the same run.
#   bench/families/run.sh
# (a) writes a seeded random model with google/gemma-3-1b-pt's shape (make_gemma3_1b.py, /work/venv's
#     transformers; bfloat16 safetensors) and the real Gemma 3 tokenizer (lib's chat-golden/gemma3) into
#     $BENCH_DIR/gemma3-1b-shape[-LN], and rows of text longer than SEQ tokens (make_rows.py);
# (b) prints `bin/jlora memory --model DIR` (full / LoRA / LoRA+4-bit estimates; MEASURE=1 adds --measure,
#     which trains full fine-tuning of the float32 1B model too: long and ~16 GB);
# (c,d) one process each, interleaved: jlora LoRA, peer, jlora LoRA on an int4 base: batch 1 x SEQ tokens,
#     STEPS steps, LoRA r 16 alpha 32 dropout 0.05 on all linear layers, gradient checkpointing on, AdamW
#     lr 2e-4, float32 base on CPU (jlora's default; the peer loads float32 too). tokens/s: tokens of steps
#     2..STEPS over those steps' wall time (forward, loss, backward, clipping, optimizer step); peak: the
#     whole process's resident high-water mark (VmHWM / getrusage maxrss), loading included.
# Env: BENCH_DIR (/tmp/jlora-bench), LAYERS (26; fewer for a dry run), SEQ (512), STEPS (3), ROUNDS (1),
#      MEASURE (0), PYTHON (/work/venv/bin/python: torch, transformers 5.x, peft 0.21)
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH_DIR=${BENCH_DIR:-/tmp/jlora-bench}
LAYERS=${LAYERS:-26}
SEQ=${SEQ:-512}
STEPS=${STEPS:-3}
ROUNDS=${ROUNDS:-1}
MEASURE=${MEASURE:-0}
PYTHON=${PYTHON:-/work/venv/bin/python}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
mkdir -p "$BENCH_DIR"

MODEL=$BENCH_DIR/gemma3-1b-shape$([[ $LAYERS == 26 ]] || echo "-L$LAYERS")
if [[ ! -f $MODEL/model.safetensors ]]; then
  rm -rf "$MODEL.tmp"
  "$PYTHON" bench/families/make_gemma3_1b.py "$MODEL.tmp" "$LAYERS" 2>&1 | grep -v 'Writing model shards'
  for f in tokenizer.json tokenizer_config.json; do
    gunzip -c "lib/src/test/resources/chat-golden/gemma3/$f.gz" > "$MODEL.tmp/$f"
  done
  mv "$MODEL.tmp" "$MODEL"
fi
ROWS=$BENCH_DIR/families-rows.jsonl
python3 bench/families/make_rows.py "$ROWS" 8

echo "== load: $(uptime)"
echo "== bin/jlora memory --model $MODEL $([[ $MEASURE == 1 ]] && echo --measure)"
bin/jlora memory --model "$MODEL" --seq-len "$SEQ" --batch-size 1 --lora-r 16 $([[ $MEASURE == 1 ]] && echo --measure)
bin/jlora memory --model "$MODEL" --seq-len "$SEQ" --batch-size 1 --lora-r 16 --json | tail -1  # the parts

LOG=$BENCH_DIR/families-bench.log
: > "$LOG"
OUT=$(mktemp -d "$BENCH_DIR/families-out.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
jlora_side() {  # NAME [train options...]
  local name=$1; shift
  echo "== round $r: jlora $name ($(cut -d' ' -f1-3 /proc/loadavg) load)"
  local json
  json=$(bin/jlora train --model "$MODEL" --file "$ROWS" --steps "$STEPS" --batch-size 1 --max-seq-length "$SEQ" \
           --merge-adapter false --output-folder "$OUT/$name" --overwrite --json "$@" | tail -1)
  echo "$json"
  echo "$json" | jq -r --arg n "$name" '"result \($n) tok_s=\(.tokens_per_s * 10 | round / 10) peak_rss_mb=\(.peak_rss_mb | round) first_loss=\(.first_loss * 1000 | round / 1000) last_loss=\(.last_loss * 1000 | round / 1000)"' | tee -a "$LOG"
}
for r in $(seq "$ROUNDS"); do
  jlora_side jlora-lora
  echo "== round $r: peer transformers + PEFT ($(cut -d' ' -f1-3 /proc/loadavg) load)"
  "$PYTHON" bench/families/peft_gemma3.py "$MODEL" "$ROWS" "$SEQ" "$STEPS" 2>&1 | grep -v Warning | tee -a /dev/stderr \
    | sed -n 's/^peer-result /result peer-lora /p' >> "$LOG"
  jlora_side jlora-qlora --quantization int4
done
echo "== load after: $(uptime)"

echo "== summary: Gemma 3 1B shape ($LAYERS layers), batch 1 x $SEQ tokens, $STEPS steps, $ROUNDS round(s), checkpointing on"
awk '
  /^result / { n = $2; split($3, t, "="); split($4, p, "="); tps[n] = tps[n] " " t[2]; peak[n] = peak[n] " " p[2]
               lt[n, ++cnt[n]] = t[2]; lp[n, cnt[n]] = p[2] }
  END {
    printf "%-12s %-24s %-24s\n", "side", "tokens/s per round", "peak RSS MiB per round"
    split("jlora-lora peer-lora jlora-qlora", order, " ")
    for (i = 1; i <= 3; i++) if (order[i] in tps) printf "%-12s %-24s %-24s\n", order[i], tps[order[i]], peak[order[i]]
    for (k = 1; k <= cnt["peer-lora"]; k++) {
      printf "round %d: tokens/s jlora/peer %.2f (QLoRA/peer %.2f), peak RSS jlora/peer %.2f (QLoRA/peer %.2f)\n", k,
        lt["jlora-lora", k] / lt["peer-lora", k], lt["jlora-qlora", k] / lt["peer-lora", k],
        lp["jlora-lora", k] / lp["peer-lora", k], lp["jlora-qlora", k] / lp["peer-lora", k]
    }
  }' "$LOG"
