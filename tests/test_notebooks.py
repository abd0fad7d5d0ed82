"""Execute notebooks/00-hello.ipynb with `jupyter nbconvert --to notebook --execute`
on the jlora kernel (into a temp dir) and check its outputs."""
import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kernel_harness import KERNEL_NAME, png_size

ROOT = Path(__file__).resolve().parent.parent
HELLO = ROOT / "notebooks" / "00-hello.ipynb"


@pytest.fixture(scope="module")
def executed_hello(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("nbconvert")
    cmd = [
        sys.executable, "-m", "jupyter", "nbconvert",
        "--to", "notebook", "--execute",
        "--ExecutePreprocessor.timeout=120",
        "--ExecutePreprocessor.startup_timeout=60",
        f"--ExecutePreprocessor.kernel_name={KERNEL_NAME}",
        "--output-dir", str(out_dir),
        str(HELLO),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, f"nbconvert failed ({proc.returncode}):\n{proc.stderr[-4000:]}"
    out = out_dir / HELLO.name
    assert out.exists(), f"nbconvert wrote no {out}; stderr:\n{proc.stderr[-2000:]}"
    return json.loads(out.read_text())


def _outputs(nb):
    return [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]


def _text(v):
    return "".join(v) if isinstance(v, list) else v


def test_hello_notebook_metadata():
    nb = json.loads(HELLO.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "jlora"
    assert nb["metadata"]["kernelspec"]["language"] == "java"
    assert nb["metadata"]["language_info"]["name"] == "java"
    # committed without outputs
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")


def test_hello_no_errors(executed_hello):
    errors = [o for o in _outputs(executed_hello) if o["output_type"] == "error"]
    assert not errors, errors
    for cell in executed_hello["cells"]:
        if cell["cell_type"] == "code":
            assert cell["execution_count"] is not None


def test_hello_stdout(executed_hello):
    stdout = "".join(_text(o["text"]) for o in _outputs(executed_hello)
                     if o["output_type"] == "stream" and o["name"] == "stdout")
    for expected in ("Hello from jlora!", "Point[x=3, y=4] norm=5.0", "squares: [1, 4, 9, 16, 25]"):
        assert expected in stdout, f"{expected!r} not in stdout {stdout!r}"


def test_hello_execute_result(executed_hello):
    results = [_text(o["data"].get("text/plain", "")) for o in _outputs(executed_hello)
               if o["output_type"] == "execute_result"]
    assert "55" in results, results


def test_hello_png_chart(executed_hello):
    pngs = [o["data"]["image/png"] for o in _outputs(executed_hello)
            if o["output_type"] in ("display_data", "execute_result") and "image/png" in o.get("data", {})]
    assert len(pngs) == 1, f"expected one image/png output, got {len(pngs)}"
    assert png_size(base64.b64decode(_text(pngs[0]))) == (480, 320)


def test_hello_markdown(executed_hello):
    mds = [_text(o["data"]["text/markdown"]) for o in _outputs(executed_hello)
           if o["output_type"] in ("display_data", "execute_result") and "text/markdown" in o.get("data", {})]
    assert any("## Done" in m and "**markdown**" in m and "5 squares" in m for m in mds), mds
    # the first markdown was replaced in place by updateDisplay (nbclient applies update_display_data)
    assert not any("Summing up" in m for m in mds), mds
