#!/usr/bin/env bash
# Kernel start-up and execute round-trip benchmark: jlora vs Debian's ipykernel.
#   bench/kernel/run.sh [bench_kernel.py options: -n 200 --warmup 50 --starts 3 --json OUT --strict]
# Builds the distribution if build/lib is missing, installs the jlora kernelspec
# into a temporary prefix and runs bench_kernel.py with /usr/bin/python3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PY="${JLORA_BENCH_PYTHON:-/usr/bin/python3}"

if [ ! -d build/lib ] || ! compgen -G "build/lib/jlora-kernel*.jar" >/dev/null; then
    echo "run.sh: build/lib missing or without the kernel jar; building" >&2
    mvn -B -q package -DskipE2E
fi
if [ ! -x bin/jlora ]; then
    echo "run.sh: bin/jlora missing or not executable" >&2
    exit 2
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/jlora-bench.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
bin/jlora install-kernel --prefix "$TMP/prefix" --name jlora >&2

export JUPYTER_PATH="$TMP/prefix/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
export JUPYTER_RUNTIME_DIR="$TMP/runtime"
export PYDEVD_DISABLE_FILE_VALIDATION=1
mkdir -p "$JUPYTER_RUNTIME_DIR"

"$PY" bench/kernel/bench_kernel.py --kernel jlora --baseline python3 "$@"
