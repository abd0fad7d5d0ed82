"""The example notebooks (notebooks/0N-*.ipynb) executed headless with nbconvert against the kernel.

Each test checks what the notebook is meant to show, not just that it ran.
"""
import base64
import re
import subprocess
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
# the executed copies go to the tests' own folder: build/notebooks/ holds what bin/quickstart executed
OUT = ROOT / "build" / "test-notebooks"


def execute(name: str, timeout: int = 900):
    OUT.mkdir(parents=True, exist_ok=True)
    run = subprocess.run(["/usr/bin/python3", "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                          "--ExecutePreprocessor.kernel_name=jlora", f"--ExecutePreprocessor.timeout={timeout}",
                          "--output-dir", str(OUT), str(NOTEBOOKS / name)],
                         capture_output=True, text=True, timeout=timeout + 120, cwd=NOTEBOOKS)
    assert run.returncode == 0, run.stderr[-3000:]
    return nbformat.read(OUT / name, as_version=4)


def outputs(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            yield from cell.outputs


def all_text(nb) -> str:
    parts = []
    for o in outputs(nb):
        if o.output_type == "stream":
            parts.append(o.text)
        elif "data" in o:
            parts.append(str(o.data.get("text/plain", "")))
    return "\n".join(parts)


def test_adapters_notebook():
    nb = execute("03-adapters.ipynb")
    text = all_text(nb)
    assert not [o for o in outputs(nb) if o.output_type == "error"]
    assert "loaded adapter 'shipped'" in text and "attached adapter 'fresh'" in text
    assert "PrintStream@" not in text
    line = next(l for l in text.splitlines() if l.startswith("merged model"))
    merged, combined = float(line.split()[2]), float(line.split()[-1])
    assert abs(merged - combined) < 1e-4
    back = next(l for l in text.splitlines() if l.startswith("after PEFT -> Kohya -> PEFT"))
    # "after PEFT -> Kohya -> PEFT: 5.80057 (was 5.80057)"
    assert back.split(": ")[1].split()[0] == back.split()[-1].rstrip(")")
    out = ROOT / "build" / "notebooks" / "03"
    for f in ("adapter/adapter_config.json", "adapter/adapter_model.safetensors", "merged/config.json",
              "merged/model.safetensors", "adapter-kohya.safetensors", "adapter-back/adapter_model.safetensors"):
        assert (out / f).exists(), f


def test_qlora_notebook():
    nb = execute("02-qlora.ipynb")
    assert not [o for o in outputs(nb) if o.output_type == "error"]
    tables = [o.data["text/markdown"] for o in outputs(nb) if "data" in o and "text/markdown" in o.data]
    assert tables and all(name in tables[0] for name in ("Llama-3.2-1B", "Llama-2-7B", "Llama-2-13B"))
    text = all_text(nb)
    assert "int4 base" in text
    line = next(l for l in text.splitlines() if l.startswith("loss with the float base"))
    float_loss, nf4_loss = float(line.split()[5].rstrip(",")), float(line.split()[-1])
    assert float_loss != nf4_loss and abs(float_loss - nf4_loss) < 0.05


def png_outputs(nb):
    return [o for o in outputs(nb) if "data" in o and "image/png" in o.data]


def generations(nb) -> list:
    """The text of each `generate` output (prompt and continuation, without the '[N tokens, ...]' line)."""
    texts = [str(o.data.get("text/plain", "")) for o in outputs(nb) if "data" in o]
    return [t.rsplit("\n[", 1)[0] for t in texts if re.search(r"\n\[\d+ tokens, ", t)]


def test_quickstart_notebook():
    nb = execute("01-quickstart.ipynb")
    assert not [o for o in outputs(nb) if o.output_type == "error"]
    pngs = png_outputs(nb)
    assert pngs, "the executed quickstart holds no PNG plot"
    assert base64.b64decode(pngs[0].data["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"
    # two prompts before training, the same two after: the facts appear only after
    before, after = generations(nb)[:2], generations(nb)[2:4]
    assert len(after) == 2, generations(nb)
    for prompt, fact, b, a in zip(("Mr. Darcy lives in", "Miss Bates has a parrot called"), ("Quillhaven", "Zorbo"),
                                  before, after):
        assert b.startswith(prompt) and a.startswith(prompt), (b, a)
        assert fact not in b, f"before training the model already says {fact}: {b!r}"
        assert fact in a, f"after training the model does not say {fact}: {a!r}"
    text = all_text(nb)
    trained = next(l for l in text.splitlines() if re.match(r"completed after \d+ steps", l))
    first, last = float(trained.split()[5]), float(trained.split()[7].rstrip(","))
    assert last <= first / 2, f"loss fell only from {first} to {last}"
    line = next(l for l in text.splitlines() if l.startswith("base + adapter"))
    assert line.split()[3].rstrip(",") == line.split()[-1]
    assert (ROOT / "build" / "notebooks" / "01" / "merged" / "model.safetensors").exists()


def test_dpo_notebook():
    nb = execute("04-dpo.ipynb")
    assert not [o for o in outputs(nb) if o.output_type == "error"]
    assert png_outputs(nb)
    line = next(l for l in all_text(nb).splitlines() if l.startswith("loss margin"))
    before, after = float(line.split()[6].rstrip(",")), float(line.split()[-1])
    assert after > before
    assert (ROOT / "build" / "notebooks" / "04" / "adapter" / "adapter_model.safetensors").exists()
