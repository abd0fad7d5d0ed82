# Shared by the bench/*/run.sh scripts, sourced from the repository root.

# lib_classpath FILE: compiles lib's main and test classes (offline) and prints the class path that
# runs them: test classes, classes, then the dependencies, whose list Maven writes to FILE.
lib_classpath() {
  mvn -B -q -o -pl lib test-compile dependency:build-classpath -Dmdep.outputFile="$1" >/dev/null
  echo "lib/target/test-classes:lib/target/classes:$(cat "$1")"
}

# llama_124m DIR CP: makes sure DIR holds a model, writing there on first use the ~124M-parameter random
# Llama the benches share (hidden 768, 12 layers, 12 heads, 4 KV heads, MLP 2048, vocab 32000, float32)
# with the class path CP; a folder already holding a model (one file or shards) is left as it is.
llama_124m() {
  [[ -f $1/model.safetensors || -f $1/model.safetensors.index.json ]] \
    || java -Dai.djl.offline=true -cp "$2" io.jlora.bench.ModelBench write "$1" llama 768 12 12 4 2048 32000 F32
}

# word_rows FILE ROWS WORDS: writes ROWS JSONL rows {"text": ...} of WORDS common English words each, drawn
# from a fixed seed: text for the benches that train through bin/jlora (each word is a token or two)
word_rows() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, random, sys
random.seed(1)
words = "the of and to in a is that for it as was with be by on not he this are or his from at which".split()
with open(sys.argv[1], "w") as f:
    for _ in range(int(sys.argv[2])):
        f.write(json.dumps({"text": " ".join(random.choice(words) for _ in range(int(sys.argv[3])))}) + "\n")
PY
}
