#!/usr/bin/env bash
# LoRA training benchmark: jlora beside Hugging Face transformers + PEFT (and a PyTorch eager version of
# the same step), same run, fresh processes interleaved over rounds.
#   bench/train/run.sh               SHAPE=125m: ~124M-parameter random Llama (hidden 768, 12 layers, 12 heads,
#                                    4 KV heads, MLP 2048, vocab 32000), batch 4 x 256, LoRA dropout 0.05
#   SHAPE=1b bench/train/run.sh      the Llama-3.2-1B shape (hidden 2048, 16 layers, 32/8 heads, MLP 8192, tied
#                                    128,256-token vocabulary), batch 1 x 512, LoRA dropout 0
# LoRA r 16 all-linear, AdamW: tokens/s of each side and their ratio, the phases of a step, the memory a
# step adds above the loaded model with gradient checkpointing on and off, the first step's losses.
# DOOR=1 also trains through the door users use, `bin/jlora train` (LoRA, and with --quantization int4:
# QLoRA), in the same rounds.
# Needs Debian's torch for the eager reference: apt-get install -y python3-torch libopenblas0-pthread
# Env: SHAPE (125m), BENCH_DIR (models, default /tmp/jlora-bench), THREADS (2), BATCH, SEQ, DROPOUT (by
#      SHAPE), STEPS (3; the first is excluded from tokens/s), MODES ("off on"), ROUNDS (3: interleaved
#      repeats), MODEL (a model folder to use instead), PEERS ("torch hf" at 125m, "hf" at 1b; "none"),
#      DOOR (0), HARNESS (1; 0 skips TrainBench: with PEERS=none DOOR=1, bin/jlora's LoRA and QLoRA alone),
#      QLORA_OUTPUTS ("": values of --keep-quantized-outputs, e.g. "none all", each adding a QLoRA door run
#      beside the default's, kind qlora-VALUE)
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH_DIR=${BENCH_DIR:-/tmp/jlora-bench}
SHAPE=${SHAPE:-125m}
THREADS=${THREADS:-2}
if [[ $SHAPE == 1b ]]; then
  BATCH=${BATCH:-1}; SEQ=${SEQ:-512}; DROPOUT=${DROPOUT:-0}; PEERS=${PEERS:-hf}
else
  BATCH=${BATCH:-4}; SEQ=${SEQ:-256}; DROPOUT=${DROPOUT:-0.05}; PEERS=${PEERS:-"torch hf"}
fi
STEPS=${STEPS:-3}
MODES=${MODES:-"off on"}
ROUNDS=${ROUNDS:-3}
DOOR=${DOOR:-0}
HARNESS=${HARNESS:-1}
QLORA_OUTPUTS=${QLORA_OUTPUTS:-}
mkdir -p "$BENCH_DIR"
# OpenMP workers that sleep instead of spinning when idle (see bench/model/README.md): both sides
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

source bench/lib.sh
CP=$(lib_classpath "$BENCH_DIR/cp.txt")
# the harness in bin/jlora's environment (bin/lib/jvm-env.sh: huge pages for libtorch, tcmalloc where
# installed), set for its JVM alone: the peers keep their own (no LD_PRELOAD)
JAVA=(bash -c 'source bin/lib/jvm-env.sh && exec java "$@"' java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$THREADS" -cp "$CP")

if [[ $SHAPE == 1b ]]; then
  MODEL=${MODEL:-$BENCH_DIR/llama-1b}
  [[ -f $MODEL/model.safetensors ]] || "${JAVA[@]}" io.jlora.bench.ModelBench write "$MODEL" llama 2048 16 32 8 8192 128256 BF16 tied
else
  MODEL=${MODEL:-$BENCH_DIR/llama-124m}
  llama_124m "$MODEL" "$CP"
fi
# the door's data: rows of common words, each longer than SEQ tokens
ROWS=$BENCH_DIR/train-rows.jsonl
word_rows "$ROWS" 64 $((SEQ * 2))
if [[ $DOOR == 1 ]]; then bin/jlora --help >/dev/null; fi  # builds build/lib once, before the first timed run

# bin/jlora train with its own settings (bin/jlora picks the allocator for the job); steady-state
# tokens/s from its --json line, tagged like the harness's results
door() { # door KIND MODE ROUND [extra options]
  local kind=$1 mode=$2 round=$3; shift 3
  local json
  json=$(bin/jlora train --model "$MODEL" --file "$ROWS" --steps "$STEPS" --batch-size "$BATCH" --max-seq-length "$SEQ" \
         --lora-dropout "$DROPOUT" --gradient-checkpointing "$([[ $mode == on ]] && echo true || echo false)" \
         --merge-adapter false --output-folder "$BENCH_DIR/train-door" --overwrite --json "$@" 2>/dev/null | tail -1)
  python3 -c "
import json, sys
j = json.loads(sys.argv[1])
print('door-result round=$round checkpointing=$mode kind=$kind tokens_per_s=%.1f peak_rss_mib=%.0f first_loss=%.6f' % (j['tokens_per_s'], j['peak_rss_mb'], j['first_loss']))" "$json"
}

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

LOG="$BENCH_DIR/train-bench-$SHAPE.log"
: > "$LOG"
# Rounds interleave the two sides (jlora, then torch, per mode, each a fresh process), so that a
# change of the machine's load hits both alike; the figure to read is the median over rounds of
# each round's ratio.
for round in $(seq 1 "$ROUNDS"); do
  for mode in $MODES; do
    echo "== round $round/$ROUNDS, gradient checkpointing $mode: $SHAPE shape, batch $BATCH x $SEQ tokens, dropout $DROPOUT, $STEPS steps, $THREADS threads each =="
    if [[ $HARNESS == 1 ]]; then
      "${JAVA[@]}" io.jlora.train.TrainBench "$MODEL" "$BATCH" "$SEQ" "$STEPS" "$mode" "$DROPOUT" 2>&1 | grep -v SLF4J \
        | sed "s/^jlora-\(result\|phases\) /jlora-\1 round=$round checkpointing=$mode /" | tee -a "$LOG"
    fi
    if [[ " $PEERS " == *" torch "* ]]; then
      /usr/bin/python3 bench/train/torch_reference.py "$MODEL" "$BATCH" "$SEQ" "$STEPS" "$THREADS" "$mode" 2>&1 \
        | sed "s/^torch-result /torch-result round=$round /" | tee -a "$LOG"
    fi
    if [[ -n $PEFT_PYTHON && " $PEERS " == *" hf "* ]]; then
      (cd bench/train && "$PEFT_PYTHON" hf_peft_reference.py "$MODEL" "$BATCH" "$SEQ" "$STEPS" "$THREADS" "$mode" "$DROPOUT") 2>&1 \
        | grep -v -E "Warning|warn\(" | sed "s/^hf-\(result\|phases\) /hf-\1 round=$round checkpointing=$mode /" | tee -a "$LOG"
    fi
    if [[ $DOOR == 1 ]]; then
      door lora "$mode" "$round" | tee -a "$LOG"
      # QLoRA with checkpointing, as its users run it (its load quantizes the model: minutes at 1B)
      if [[ $SHAPE == 1b && $mode == on ]]; then
        door qlora "$mode" "$round" --quantization int4 | tee -a "$LOG"
        for which in $QLORA_OUTPUTS; do
          door "qlora-$which" "$mode" "$round" --quantization int4 --keep-quantized-outputs "$which" | tee -a "$LOG"
        done
      fi
    fi
  done
done

echo "== summary ($SHAPE shape, $ROUNDS rounds; load average now: $(cut -d' ' -f1-3 /proc/loadavg)) =="
awk -f bench/median.awk -f bench/train/summary.awk "$LOG"
grep -h "whole-process peak" "$LOG" | sort | uniq -c | sed 's/^/  /'
