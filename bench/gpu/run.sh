#!/usr/bin/env bash
# The GPU device checks of issue 20, as one prepared script (a device run must stay well under 10 minutes).
#
#   bench/gpu/run.sh prepare   here (no GPU needed): builds jlora-gpu with JDK 25 and jlinks a Java
#                              runtime into bench/gpu/.carry/jre.tar.xz (the device machine has no Java)
#   bench/gpu/run.sh device    on the device machine, from the repository root, with bench/gpu/.carry
#                              carried (the device tool's `carry`); writes $OUT/log and $OUT/results.jsonl
#
# Device steps, in order (each JSON line goes to $OUT/results.jsonl; the log to $OUT/log):
#   1. smoke     io.jlora.gpu.GpuSmoke: driver, NVRTC, cuBLAS, one-line errors
#   2. ops       every operation of the step, CudaOps against the fp32 HostOps, fresh random inputs
#   3. golden    lib's llama-tiny golden case (transformers + PEFT, fp32) through the GPU step, checkpointing
#                off and on: logits, loss and every LoRA gradient within bf16 tolerances
#   4. finetune  20 AdamW steps on the golden batch: the loss must fall
#   5. speed     Llama-3.2-1B shape, random weights, batch 8 x 1024, checkpointing on and off:
#                tokens/s and peak device memory of the jlora GPU step
#   6. peer      HF transformers + PEFT on the same device, same shape and batch, checkpointing on and off
#                (bench/gpu/peft_peer.py, with the machine's own torch)
# Exit status: 0 when every step ran and passed, 1 when a check failed, 3 when no GPU was found.
# Env: JDK (prepare; default /usr/lib/jvm/temurin-25-jdk-amd64), PYTHON (device; default python3),
#      STEPS (jlora timed steps, 20), PEER_STEPS (12), MODES ("on off"), JLORA_GPU_SYNC=1 (sync after each op).
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
    grep '^{' "$steps/$name.out" >>"$results" || true
    echo "{\"step\":\"$name\",\"exit\":$rc}" >>"$results"
    if [[ $rc == 3 ]]; then echo "no GPU: stopping"; exit 3; fi
    [[ $rc == 0 ]] || { echo "$name FAILED (exit $rc)"; status=1; }
  }
  local golden=lib/src/test/resources/golden/llama-tiny
  run_step smoke 120 "${java[@]}" io.jlora.gpu.GpuSmoke
  run_step ops 120 env JLORA_GPU_SYNC=1 "${java[@]}" io.jlora.gpu.train.DeviceChecks ops
  run_step golden 120 env JLORA_GPU_SYNC=1 "${java[@]}" io.jlora.gpu.train.DeviceChecks golden "$golden"
  run_step finetune 120 env JLORA_GPU_SYNC=1 "${java[@]}" io.jlora.gpu.train.DeviceChecks finetune "$golden" 20
  for mode in ${MODES:-on off}; do
    run_step "speed-$mode" 180 "${java[@]}" io.jlora.gpu.train.DeviceChecks speed "$mode" "${STEPS:-20}"
  done
  for mode in ${MODES:-on off}; do
    run_step "peer-$mode" 240 "${PYTHON:-python3}" bench/gpu/peft_peer.py --checkpointing "$mode" \
      --steps "${PEER_STEPS:-12}"
  done
  echo "== summary"
  grep -h '"tokens_per_s"' "$results" | "${PYTHON:-python3}" -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
for r in rows:
    print("%-10s checkpointing %-3s %9.0f tokens/s  peak %6.2f GiB  loss %.4f" % (r["side"], r["checkpointing"],
          r["tokens_per_s"], r["peak_gib"] or 0, r["last_loss"]))
by = {(r["side"], r["checkpointing"]): r for r in rows}
for m in ("on", "off"):
    if ("jlora-gpu", m) in by and ("hf-peft", m) in by:
        j, p = by[("jlora-gpu", m)], by[("hf-peft", m)]
        print("checkpointing %s: jlora/PEFT %.2fx tokens/s, memory %.2f vs %.2f GiB" % (m,
              j["tokens_per_s"] / p["tokens_per_s"], j["peak_gib"], p["peak_gib"]))
' || true
  echo "== done, exit $status"
  exit $status
}

case ${1:-} in
  prepare) prepare ;;
  device) device ;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' ;;
  *) echo "usage: bench/gpu/run.sh prepare|device (see --help)" >&2; exit 64 ;;
esac
