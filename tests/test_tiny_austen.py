"""models/tiny-austen is reproducible from its committed seed: the first steps of its pretraining,
run again with models/src/tiny-austen/pretrain.jsh on the passages those steps read
(first-steps.jsonl, the head of the shuffled corpus, read in order), give the losses its recorded
log (models/tiny-austen/loss.tsv) holds, and that log ends at the final loss the model card states.
"""
import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "tiny-austen"
SRC = ROOT / "models" / "src" / "tiny-austen"
STEPS = 3


def recorded():
    return [line.split("\t") for line in (MODEL / "loss.tsv").read_text().splitlines()]


def test_pretraining_first_steps_reproduce_the_recorded_losses(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(SRC / "first-steps.jsonl", data / "corpus.jsonl")
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(MODEL / f, data / f)
    env = dict(os.environ, TA_DATA=str(data), TA_OUT=str(tmp_path / "work"), TA_RUN=str(STEPS))
    run = subprocess.run([str(ROOT / "bin" / "jlora-shell"), "-q", str(SRC / "pretrain.jsh")], env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    log = tmp_path / "work" / "loss.tsv"
    assert log.exists(), run.stdout + run.stderr
    got = [line.split("\t") for line in log.read_text().splitlines()]
    assert len(got) == STEPS, got
    for g, r in zip(got, recorded()[:STEPS]):
        assert g[0] == r[0]
        assert abs(float(g[1]) - float(r[1])) < 1e-4, f"step {g[0]}: loss {g[1]}, recorded {r[1]}"


def test_model_card_states_the_recorded_final_loss():
    card = (MODEL / "README.md").read_text()
    final = recorded()[-1]
    m = re.search(r"final training loss[^0-9]*([0-9.]+) at step (\d+)", card)
    assert m, "the model card states no final training loss"
    assert m.group(2) == final[0] and abs(float(m.group(1)) - float(final[1])) < 1e-4, (m.group(0), final)
