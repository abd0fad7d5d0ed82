"""Optional: Hugging Face's own stack loads what `train --output-folder` writes (PEFT 0.21 the adapter,
transformers the merged model) and computes the loss jlora computes. Skipped where the reference
venv (JLORA_REFERENCE_PYTHON, default /work/venv/bin/python) is absent."""
import json
import os
import subprocess
from pathlib import Path

import pytest

from test_commands import MODEL, TRAIN, _texts, cli, last_json

REFERENCE = os.environ.get("JLORA_REFERENCE_PYTHON", "/work/venv/bin/python")
IDS = [5, 9, 23, 88, 11, 40, 2, 17]

pytestmark = pytest.mark.skipif(not os.access(REFERENCE, os.X_OK), reason=f"no reference python at {REFERENCE}")


def test_transformers_and_peft_load_the_output_folders(tmp_path):
    data = str(_texts(tmp_path))
    adapter, merged = tmp_path / "adapter", tmp_path / "merged"
    for out, merge in ((adapter, "false"), (merged, "true")):
        t = cli("train", "--model", str(MODEL), "--file", data, "--steps", "3", *TRAIN, "--init", "gaussian",
                "--merge-adapter", merge, "--output-folder", str(out), "--json")
        assert t.returncode == 0, t.stderr
    ids = tmp_path / "ids.json"
    ids.write_text(json.dumps([IDS]))
    ours = cli("score", "--model", str(MODEL), "--adapter", str(adapter), "--ids", str(ids), "--json")
    assert ours.returncode == 0, ours.stderr
    ours_merged = cli("score", "--model", str(merged), "--ids", str(ids), "--json")
    ref = subprocess.run([REFERENCE, str(Path(__file__).with_name("peft_reference.py")), str(MODEL), str(adapter), str(merged),
                          json.dumps(IDS)], capture_output=True, text=True, timeout=600)
    assert ref.returncode == 0, ref.stderr
    theirs = json.loads(ref.stdout.strip().splitlines()[-1])
    assert abs(theirs["adapter"] - last_json(ours.stdout)["loss"]) < 1e-4
    assert abs(theirs["merged"] - last_json(ours_merged.stdout)["loss"]) < 1e-4
