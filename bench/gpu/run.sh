#!/usr/bin/env bash
# The GPU device checks of issue 20, as one prepared script (a device run must stay well under 10 minutes).
#
#   bench/gpu/run.sh prepare   here (no GPU needed): builds jlora-gpu with JDK 25 and jlinks a Java
#                              runtime into bench/gpu/.carry/jre.tar.xz (the device machine has no Java)
#   bench/gpu/run.sh device    on the device machine, from the repository root, with bench/gpu/.carry
#                              carried (the device tool's `carry`); writes $OUT/log and $OUT/results.jsonl
#
# Device steps, in order (each JSON line goes to $OUT/results.jsonl, tagged with its step; the log to $OUT/log):
#   smoke      io.jlora.gpu.GpuSmoke: driver, NVRTC, cuBLAS, one-line errors
#   ops        every operation of the step, CudaOps against the fp32 HostOps, fresh random inputs
#   golden     transformers + PEFT (fp32) golden cases through the GPU step, checkpointing off and on: lib's
#              llama-tiny, and gpu's qwen2-tiny (q/k/v biases) and qwen3-tiny (qk-norm): logits, loss and
#              every LoRA gradient within 1.5x PEFT's own bf16 error on the case (golden-families/bf16/)
#   finetune   20 AdamW steps on the golden batch: the loss must fall
#   dpo        lib's golden DPO case (TRL's sigmoid loss) through the GPU step: loss and log-probabilities
#   trainer    train --device gpu's trainer (dropout, accumulation, padding, adapter files) on CUDA against
#              the same run on the host backend
#   speed/peer Llama-3.2-1B shape, batch 8 x 1024, checkpointing on and off, ROUNDS rounds interleaving
#              fresh processes: the jlora GPU step, then HF transformers + PEFT (bench/gpu/peft_peer.py with
#              the machine's own torch); tokens/s and peak device memory; the summary prints the median of
#              the per-round ratios and their spread
#   qlora      the jlora GPU step over a 4-bit (int4) base at the same shape, checkpointing on
# Exit status: 0 when every step ran and passed, 1 when a check failed, 3 when no GPU was found.
# Env: JDK (prepare; default /usr/lib/jvm/temurin-25-jdk-amd64), PYTHON (device; default python3), ROUNDS (2),
#      STEPS (jlora timed steps, 20), PEER_STEPS (10), MODES ("on off"), JLORA_GPU_SYNC=1 (sync after each op).
set -euo pipefail
cd "$(dirname "$0")/../.."
CARRY=bench/gpu/.carry

prepare() {
  local jdk=${JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}
  JAVA_HOME=$jdk mvn -B -o -q -pl gpu -am package -DskipTests -DskipE2E
  rm -rf "$CARRY"
  mkdir -p "$CARRY/jars"
  cp gpu/target/jlora-gpu.jar lib/target/jlora-lib.jar "$CARRY/jars/"
  # lib's config and safetensors-header readers use Jackson; SafetensorsDtype names DJL's DataType in a
  # signature (class resolution only: DJL's API jar, no engine, no natives)
  local m2=${M2_REPO:-$HOME/.m2/repository} v d
  v=$(sed -n 's:.*<jackson.version>\(.*\)</jackson.version>.*:\1:p' pom.xml)
  d=$(sed -n 's:.*<djl.version>\(.*\)</djl.version>.*:\1:p' pom.xml)
  for a in databind core annotations; do
    cp "$m2/com/fasterxml/jackson/core/jackson-$a/$v/jackson-$a-$v.jar" "$CARRY/jars/"
  done
  cp "$m2/ai/djl/api/$d/api-$d.jar" "$CARRY/jars/"
  # java.base holds java.lang.foreign; the GPU checks load nothing of DJL. The image is ~43 MB, so it
  # travels as tar.xz (~19 MB): the device tool carries at most 64 MiB with the working tree.
  local tmp
  tmp=$(mktemp -d)
  "$jdk/bin/jlink" --add-modules java.base --strip-debug --no-man-pages --no-header-files \
    --compress=zip-9 --output "$tmp/jre"
  tar -C "$tmp" -cJf "$CARRY/jre.tar.xz" jre
  rm -rf "$tmp"
  du -sh "$CARRY"
  echo "prepared $CARRY: carry it to the device and run: bash bench/gpu/run.sh device"
}

device() {
  local out=${OUT:-/tmp/jlora-gpu-out}
  mkdir -p "$out"
  # only the log and results.jsonl go to $OUT (the device tool brings back at most 8 files)
  local log=$out/log results=$out/results.jsonl status=0 steps
  steps=$(mktemp -d)
  : >"$results"
  exec > >(tee "$log") 2>&1
  date -u; uname -m; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  # the image's Python holds the nvidia-* wheels (cuBLAS, NVRTC); point the library search at it
  export VIRTUAL_ENV=${VIRTUAL_ENV:-$(${PYTHON:-python3} -c 'import sys; print(sys.prefix)' 2>/dev/null || true)}
  export JLORA_KERNEL_CACHE=${JLORA_KERNEL_CACHE:-/tmp/jlora-kernels}
  [[ -x /tmp/jlora-jre/jre/bin/java ]] || { mkdir -p /tmp/jlora-jre && tar -C /tmp/jlora-jre -xJf "$CARRY/jre.tar.xz"; }
  local java=(/tmp/jlora-jre/jre/bin/java --enable-native-access=ALL-UNNAMED -cp "$CARRY/jars/*")

  run_step() { # NAME TIMEOUT CMD...: the step's JSON lines go to results.jsonl
    local name=$1 limit=$2 rc=0
    shift 2
    echo "== $name"
    timeout "$limit" "$@" >"$steps/$name.out" 2>&1 || rc=$?
    cat "$steps/$name.out"
    grep '^{' "$steps/$name.out" | sed "s/^{/{\"step\":\"$name\",/" >>"$results" || true
    echo "{\"step\":\"$name\",\"exit\":$rc}" >>"$results"
    if [[ $rc == 3 ]]; then echo "no GPU: stopping"; exit 3; fi
    [[ $rc == 0 ]] || { echo "$name FAILED (exit $rc)"; status=1; }
  }
  local golden=lib/src/test/resources/golden/llama-tiny families=gpu/src/test/resources/golden-families
  run_step smoke 120 "${java[@]}" io.jlora.gpu.GpuSmoke
  run_step ops 120 env JLORA_GPU_SYNC=1 "${java[@]}" io.jlora.gpu.train.DeviceChecks ops
  for g in "$golden" "$families/qwen2-tiny" "$families/qwen3-tiny"; do
    run_step "golden-$(basename "$g")" 120 env JLORA_GPU_SYNC=1 "${java[@]}" io.jlora.gpu.train.DeviceChecks golden "$g" \
      "$families/bf16/$(basename "$g").json"
  done
  run_step finetune 120 env JLORA_GPU_SYNC=1 "${java[@]}" io.jlora.gpu.train.DeviceChecks finetune "$golden" 20
  run_step trainer 180 "${java[@]}" io.jlora.gpu.train.DeviceChecks trainer "$golden"
  run_step dpo 120 env JLORA_GPU_SYNC=1 "${java[@]}" io.jlora.gpu.train.DeviceChecks dpo "$golden"
  for round in $(seq "${ROUNDS:-2}"); do
    for mode in ${MODES:-on off}; do
      run_step "speed-$mode-r$round" 180 "${java[@]}" io.jlora.gpu.train.DeviceChecks speed "$mode" "${STEPS:-20}"
      run_step "peer-$mode-r$round" 240 "${PYTHON:-python3}" bench/gpu/peft_peer.py --checkpointing "$mode" \
        --steps "${PEER_STEPS:-10}"
    done
  done
  run_step qlora-on 180 "${java[@]}" io.jlora.gpu.train.DeviceChecks speed on "${STEPS:-20}" 8 1024 int4
  echo "== summary"
  grep -h '"tokens_per_s"' "$results" | "${PYTHON:-python3}" bench/gpu/summary.py || true
  echo "== done, exit $status"
  exit $status
}

case ${1:-} in
  prepare) prepare ;;
  device) device ;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' ;;
  *) echo "usage: bench/gpu/run.sh prepare|device (see --help)" >&2; exit 64 ;;
esac
