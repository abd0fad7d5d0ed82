#!/usr/bin/env bash
# Pretrains tiny-austen from scratch with jlora (see README.md in models/tiny-austen):
#   models/src/tiny-austen/pretrain.sh WORK      (WORK: a folder for the corpus, checkpoints, logs)
# Steps: the corpus and tokenizer from Debian's r-cran-janeaustenr (make_corpus.py, needs Python
# with `tokenizers`, default /work/venv/bin/python: PYTHON=...), then pretrain.jsh under jlora's
# JShell; run it again to resume from the newest checkpoint.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
WORK="$(mkdir -p "$1" && cd "$1" && pwd)"
PYTHON="${PYTHON:-/work/venv/bin/python}"
if [ ! -f "$WORK/data/corpus.jsonl" ]; then
  "$PYTHON" "$ROOT/models/src/tiny-austen/make_corpus.py" ${DEB:+--deb "$DEB"} --out "$WORK/data"
fi
TA_DATA="$WORK/data" TA_OUT="$WORK" "$ROOT/bin/jlora-shell" -q "$ROOT/models/src/tiny-austen/pretrain.jsh"
