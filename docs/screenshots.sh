#!/usr/bin/env bash
# Renders an executed notebook with Debian's Jupyter Notebook server in headless Chromium and saves
# screenshots under docs/:  docs/screenshots.sh build/notebooks/01-quickstart.ipynb
# Needs: apt-get install chromium jupyter-notebook
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NB="$(realpath "${1:-$ROOT/build/notebooks/01-quickstart.ipynb}")"
DIR="$(mktemp -d)"; PROFILE="$(mktemp -d)"
cp "$NB" "$DIR/"
PORT=18899
/usr/bin/python3 -m notebook --no-browser --port $PORT --ip 127.0.0.1 --NotebookApp.token='' \
  --NotebookApp.password="" --allow-root --notebook-dir="$DIR" > "$DIR/server.log" 2>&1 &
SERVER=$!
trap 'cat "$DIR/server.log" >&2; kill $SERVER 2>/dev/null; rm -rf "$DIR" "$PROFILE"' EXIT
for _ in $(seq 1 60); do curl -s "http://127.0.0.1:$PORT/api" >/dev/null && break; sleep 0.5; done
NAME="$(basename "$NB" .ipynb)"
for size in "1280,1800:$NAME-top" "1280,4200:$NAME-full"; do
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$PROFILE" --hide-scrollbars \
    --virtual-time-budget=15000 --window-size="${size%%:*}" --screenshot="$ROOT/docs/${size##*:}.png" \
    "http://127.0.0.1:$PORT/notebooks/$(basename "$NB")" 2>/dev/null
done
ls -la "$ROOT/docs/"*.png
