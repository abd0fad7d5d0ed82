#!/usr/bin/env bash
# Data-parallel training's communication: what a step sends and how long it takes, and the step time
# projected for N = 2..64 workers, beside one process.
#   bench/spark/run.sh   for each shape, ~124M (hidden 768, 12 layers, 4 KV heads, MLP 2048) and
#                        Llama-3.2-1B (hidden 2048, 16 layers, 8 KV heads, MLP 8192): the ring all-reduce
#                        of its LoRA r16 all-linear gradients between two members on loopback (median of
#                        REPEATS), the bytes sent, latency and per-byte cost, and the projection.
#                        At 124M it also trains the same steps through bin/jlora in one process and with
#                        --spark-master local[2] --workers 2, and prints both tokens/s.
# Env: BENCH_DIR (/tmp/jlora-bench), REPEATS (7), STEPS (3), SEQ (256), BATCH (4),
#      STEP_1B_S (one process's 1B step time in seconds: by default measured here with one step of 1 x 512
#      tokens, which takes minutes on 2 cores; give a figure to skip that)
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH_DIR=${BENCH_DIR:-/tmp/jlora-bench}
REPEATS=${REPEATS:-7}
STEPS=${STEPS:-3}
SEQ=${SEQ:-256}
BATCH=${BATCH:-4}
mkdir -p "$BENCH_DIR"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

source bench/lib.sh
CP=$(lib_classpath "$BENCH_DIR/cp.txt")
mvn -B -q -o -pl spark -am test-compile dependency:build-classpath -Dmdep.outputFile="$BENCH_DIR/spark-cp.txt" -DskipE2E >/dev/null
SPARK_CP="spark/target/test-classes:spark/target/classes:$(cat "$BENCH_DIR/spark-cp.txt")"
MODEL=$BENCH_DIR/llama-124m
llama_124m "$MODEL" "$CP"
[[ -f build/spark/jlora-spark.jar && -f build/lib/jlora-magics.jar ]] || mvn -B -q package -DskipTests -DskipE2E -pl spark -am >/dev/null

# text rows of about SEQ tokens for the one-shot runs
DATA=$BENCH_DIR/spark-rows.jsonl
word_rows "$DATA" 64 "$SEQ"

tokens_per_s() { sed -n 's/.*"tokens_per_s": *\([0-9.]*\).*/\1/p' | tail -1; }
COMMON=(train --model "$MODEL" --file "$DATA" --steps "$STEPS" --batch-size "$BATCH" --max-seq-length "$SEQ"
        --merge-adapter false --json)
echo "== 124M: one process vs two Spark tasks (local[2]), $STEPS steps of $BATCH x $SEQ, through bin/jlora"
one=$(bin/jlora "${COMMON[@]}" --output-folder "$BENCH_DIR/spark-one" --overwrite | tokens_per_s)
two=$(bin/jlora "${COMMON[@]}" --output-folder "$BENCH_DIR/spark-two" --overwrite --spark-master 'local[2]' --workers 2 | tokens_per_s)
echo "one process: $one tokens/s; two tasks: $two tokens/s (the same 2 cores: no speed-up is possible here)"
STEP_124M_S=$(python3 -c "print($BATCH*$SEQ/$one)")

if [[ -z ${STEP_1B_S:-} ]]; then
  MODEL_1B=$BENCH_DIR/llama-1b
  [[ -f $MODEL_1B/model.safetensors || -f $MODEL_1B/model.safetensors.index.json ]] \
    || java -Dai.djl.offline=true -cp "$CP" io.jlora.bench.ModelBench write "$MODEL_1B" llama 2048 16 32 8 8192 128256 BF16 tied
  t=$(bin/jlora train --model "$MODEL_1B" --file "$DATA" --steps 1 --batch-size 1 --max-seq-length 512 --merge-adapter false \
      --json --output-folder "$BENCH_DIR/spark-1b" --overwrite | tokens_per_s)
  STEP_1B_S=$(python3 -c "print(512/$t)")
fi

JAVA=(java -cp "$SPARK_CP")
"${JAVA[@]}" io.jlora.spark.CommunicationBench "124M" 768 12 256 2048 "$STEP_124M_S" "$REPEATS"
"${JAVA[@]}" io.jlora.spark.CommunicationBench "1B" 2048 16 512 8192 "$STEP_1B_S" "$REPEATS"
