#!/usr/bin/env bash
# Fuzz benchmark: the jqwik properties of lib/src/test/java/io/jlora/fuzz with many more tries.
#   bench/fuzz/run.sh [TRIES]     jqwik tries per property (default 12500: 9 properties, 112,500 inputs)
#   JLORA_FUZZ_JOBS=2             runs two targets (child JVMs) at a time
#   JLORA_FUZZ_TARGETS="..."      a subset of the Class:name pairs below
# Each target runs in its own child JVM (the Surefire fork of its own Maven run), so a JVM abort is
# counted as a crash of that target (exit status, "forked VM" message, an hs_err file) instead of
# ending the benchmark. Escapes are collected (-Djlora.fuzz.collect=true) instead of stopping at the
# first, so the figures are complete. Exit status 0 only with zero escapes, crashes and hangs.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
TRIES="${1:-12500}"
JOBS="${JLORA_FUZZ_JOBS:-1}"
LIMIT_S="${JLORA_FUZZ_TARGET_LIMIT_S:-7200}"   # a whole target stuck past this counts as a hang
TARGETS="${JLORA_FUZZ_TARGETS:-SafetensorsFuzzTest:safetensors ModelFolderFuzzTest:model-folder AdapterFuzzTest:adapter TokenizerFuzzTest:tokenizer ChatTemplateFuzzTest:chat-template DatasetFuzzTest:dataset}"
LOGS="$ROOT/lib/target/fuzz-bench"
rm -rf lib/target/fuzz-stats "$LOGS"
mkdir -p "$LOGS"

mvn -B -q -pl lib test-compile || { echo "run.sh: test-compile failed" >&2; exit 2; }

# one target in a child JVM; records its exit status and wall seconds beside its log
run_target() {
    local class="$1" name="$2" start rc
    start=$(date +%s)
    # the ErrorFile option reaches the forked test JVM through the environment it inherits
    JAVA_TOOL_OPTIONS="-XX:ErrorFile=$LOGS/$name-hs_err_%p.log" timeout "$LIMIT_S" \
        mvn -B -pl lib surefire:test -Dtest="$class" -Dsurefire.failIfNoSpecifiedTests=false \
        -Djqwik.tries.default="$TRIES" -Djlora.fuzz.collect=true -DrerunFailingTestsCount=0 > "$LOGS/$name.log" 2>&1
    rc=$?
    echo "$rc $(( $(date +%s) - start ))" > "$LOGS/$name.status"
}

for entry in $TARGETS; do
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do sleep 1; done
    run_target "${entry%%:*}" "${entry##*:}" &
done
wait

printf '%-13s %9s %9s %9s %8s %8s %6s %9s %7s\n' target inputs accepted refused escapes crashes hangs fuzz_s wall_s
total=0; bad=0
for entry in $TARGETS; do
    name="${entry##*:}"
    read -r rc wall < "$LOGS/$name.status"
    crashes=0; hangs=0
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        hangs=1
    elif [ "$rc" != 0 ] || compgen -G "$LOGS/$name-hs_err_*" > /dev/null \
            || grep -aq "forked VM terminated\|VM crash" "$LOGS/$name.log"; then
        crashes=1
    fi
    stats="lib/target/fuzz-stats/$name.txt"
    if [ -f "$stats" ]; then
        line=$(head -1 "$stats")
        get() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$line"; }
        inputs=$(get inputs); accepted=$(get accepted); refused=$(get refused); escapes=$(get escapes)
        hangs=$(( hangs + $(get hangs) )); fuzz_s=$(get seconds)
    else
        inputs="?"; accepted="?"; refused="?"; escapes="?"; fuzz_s="?"; crashes=1  # died before its report
    fi
    printf '%-13s %9s %9s %9s %8s %8s %6s %9s %7s\n' "$name" "$inputs" "$accepted" "$refused" "$escapes" "$crashes" "$hangs" "$fuzz_s" "$wall"
    [ -f "$stats" ] && tail -n +2 "$stats" | grep -av '^  refused:' | sed 's/^/    /'
    [[ "$inputs" =~ ^[0-9]+$ ]] && total=$(( total + inputs ))
    if [ "$escapes" != 0 ] || [ "$crashes" != 0 ] || [ "$hangs" != 0 ]; then bad=1; fi
done
echo "total inputs: $total ($TRIES tries per property); child-JVM logs in $LOGS"
if [ "$bad" != 0 ]; then
    echo "FAILED: escapes, crashes or hangs above" >&2
    exit 1
fi
echo "all targets: 0 escapes, 0 crashes, 0 hangs"
