#!/usr/bin/env bash
# What jlora-checksums.json costs on the 124M-parameter model (bench/train's, float32, 499 MB):
# writing the manifest, verifying sizes (load's default), verifying SHA-256 (load --verify-checksums),
# and the model's load time for scale; coreutils sha256sum of the same file beside it as the peer.
# The model folder is hard-linked into a scratch folder, so the manifest lands beside links, not in it.
# Env: BENCH_DIR (/tmp/jlora-bench), MODEL (a model folder; default: bench/train's, written when missing)
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH_DIR=${BENCH_DIR:-/tmp/jlora-bench}
mkdir -p "$BENCH_DIR"
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
source bench/lib.sh
CP=$(lib_classpath "$BENCH_DIR/cp.txt")
JAVA=(java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2 -cp "$CP")
MODEL=${MODEL:-$BENCH_DIR/llama-124m}
llama_124m "$MODEL" "$CP"
LINKED="$BENCH_DIR/checksums-model"
rm -rf "$LINKED"; mkdir -p "$LINKED"
for f in "$MODEL"/*; do [[ $(basename "$f") == jlora-checksums.json ]] || ln "$f" "$LINKED/"; done
"${JAVA[@]}" io.jlora.bench.ChecksumBench "$LINKED" 2>&1 | grep -v SLF4J
start=$(date +%s.%N)
sha256sum "$LINKED"/*.safetensors >/dev/null
echo "peer: sha256sum of the weights $(echo "$(date +%s.%N) - $start" | bc) s"
rm -rf "$LINKED"
