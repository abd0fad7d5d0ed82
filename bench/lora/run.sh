#!/usr/bin/env bash
# Streaming merge benchmark: base folder + PEFT adapter -> merged folder, tensor by tensor, on a
# random Llama-3.2-1B-shaped model (1.24B parameters, tied embeddings), with the peak resident
# memory of the merging process beside the model's size (goal: under 1.5x), and the merge time
# beside the time `cp -r` takes to copy the same folder.
#   bench/lora/run.sh            BF16 model (2.5 GB)
#   bench/lora/run.sh F32        float32 model (5 GB)
# Env: BENCH_DIR (default /tmp/jlora-bench-lora), THREADS (2), RANK (16), XMX (1g: the Java heap
# only holds headers and the adapter; tensors live in libtorch's memory)
set -euo pipefail
cd "$(dirname "$0")/../.."
DTYPE=${1:-BF16}
BENCH_DIR=${BENCH_DIR:-/tmp/jlora-bench-lora}
THREADS=${THREADS:-2}
RANK=${RANK:-16}
XMX=${XMX:-1g}
mkdir -p "$BENCH_DIR"
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

source bench/lib.sh
CP=$(lib_classpath "$BENCH_DIR/cp.txt")
JAVA=(java -Xmx"$XMX" -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$THREADS" -cp "$CP" io.jlora.lora.MergeBench)

BASE="$BENCH_DIR/llama-1b-${DTYPE,,}"
ADAPTER="$BENCH_DIR/adapter-r$RANK-${DTYPE,,}"
OUT="$BENCH_DIR/merged-${DTYPE,,}"
[[ -f $BASE/model.safetensors.index.json ]] || "${JAVA[@]}" model "$BASE" "$DTYPE" 2>&1 | grep -v SLF4J
[[ -f $ADAPTER/adapter_model.safetensors ]] || "${JAVA[@]}" adapter "$BASE" "$ADAPTER" "$RANK" 2>&1 | grep -v SLF4J

rm -rf "$OUT"
# warm the page cache for both contenders alike
cat "$BASE"/*.safetensors > /dev/null
echo "== streaming merge, $DTYPE, r=$RANK all-linear =="
"${JAVA[@]}" merge "$BASE" "$ADAPTER" "$OUT" 2>&1 | grep -v SLF4J
echo "== cp -r of the same base folder =="
rm -rf "$BENCH_DIR/copy"
start=$(date +%s.%N)
cp -r "$BASE" "$BENCH_DIR/copy"
sync "$BENCH_DIR/copy"/*
end=$(date +%s.%N)
echo "cp -r: $(echo "$end - $start" | bc) s wall, with sync (the merge forces each file to disk too)"
echo "load average now: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (timings are wall clock)"
rm -rf "$BENCH_DIR/copy"
