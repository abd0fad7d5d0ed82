"""The kernel as installed and run on a user's machine: its history is private and can be kept apart,
its kernelspec carries its own jars, and libraries' start-up noise never reaches a notebook."""
import json
import os
import platform
import stat
import subprocess
from pathlib import Path

from kernel_harness import KERNEL_NAME, execute, start_kernel, stop_kernel, wait_reply

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "tiny-llama"
NOISE = ("SLF4J", "No SLF4J providers", "CUDA driver version is insufficient", "AutoNonVariableTypeMode", "tcmalloc")
TCMALLOC = Path(f"/usr/lib/{platform.machine()}-linux-gnu/libtcmalloc_minimal.so.4")  # bin/lib/jvm-env.sh's first folder


def search_history(kc, pattern):
    msg_id = kc.history(hist_access_type="search", pattern=pattern, unique=False, output=False, raw=True)
    return wait_reply(kc, msg_id)["content"]["history"]


def test_history_goes_where_jlora_history_says_and_is_private(tmp_path):
    # what made bin/test fail for a user who once ran Math.max in a notebook: that cell, in the history
    # the kernel would use without JLORA_HISTORY
    xdg = tmp_path / "xdg"
    (xdg / "jlora").mkdir(parents=True)
    users = xdg / "jlora" / "history.jsonl"
    users.write_text(json.dumps({"session": 1, "line": 1, "input": "Math.max(3, 11)", "output": "11"}) + "\n")
    own = tmp_path / "own" / "history.jsonl"
    env = {**os.environ, "XDG_DATA_HOME": str(xdg), "JLORA_HISTORY": str(own)}
    km, kc = start_kernel(KERNEL_NAME, env=env)
    try:
        execute(kc, "Math.max(3, 11)").assert_ok()
        found = search_history(kc, "Math.max*")
        assert [row[2] for row in found] == ["Math.max(3, 11)"], found
    finally:
        stop_kernel(km, kc)
    assert len(users.read_text().splitlines()) == 1, "the user's history was written"
    assert stat.S_IMODE(own.stat().st_mode) == 0o600
    assert stat.S_IMODE(own.parent.stat().st_mode) == 0o700


def test_installed_kernel_runs_from_the_jars_in_its_kernelspec(tmp_path, monkeypatch):
    prefix = tmp_path / "prefix"
    subprocess.run([str(ROOT / "bin" / "jlora"), "install-kernel", "--prefix", str(prefix), "--name", "jlora-copy",
                    "--no-class-archive"], check=True, capture_output=True, text=True, timeout=300)
    spec_dir = prefix / "share" / "jupyter" / "kernels" / "jlora-copy"
    argv = json.loads((spec_dir / "kernel.json").read_text())["argv"]
    class_path = argv[argv.index("-cp") + 1].split(os.pathsep)
    assert any(Path(e).name.startswith("jlora-kernel") for e in class_path), class_path
    outside = [e for e in class_path if not Path(e).is_relative_to(spec_dir / "lib") or not Path(e).exists()]
    assert not outside, f"class path entries outside the kernelspec's lib/: {outside}"
    # the kernel runs on tcmalloc where it is installed, as bin/jlora does (bin/lib/jvm-env.sh)
    tcmalloc = TCMALLOC.exists() and "JLORA_MALLOC" not in os.environ and "malloc" not in os.environ.get("LD_PRELOAD", "")
    env = json.loads((spec_dir / "kernel.json").read_text())["env"]
    assert (env.get("LD_PRELOAD", "").split(":")[0] == str(TCMALLOC)) == tcmalloc, env
    monkeypatch.setenv("JUPYTER_PATH", f"{prefix / 'share' / 'jupyter'}{os.pathsep}{os.environ.get('JUPYTER_PATH', '')}")
    km, kc = start_kernel("jlora-copy")
    try:
        assert execute(kc, "6 * 7").assert_ok().text == "42"
        running = execute(kc, "io.jlora.quant.LeanAllocator.tcmallocLoaded()").assert_ok().text
        assert running == str(tcmalloc).lower(), running
    finally:
        stop_kernel(km, kc)


def test_a_load_and_generate_session_shows_no_library_noise(tmp_path):
    kernel_log = tmp_path / "kernel-stderr.log"
    with open(kernel_log, "w") as log:
        km, kc = start_kernel(KERNEL_NAME, stderr=log)
        try:
            session = execute(kc, f'%lora load --model {MODEL}\n%lora generate --prompt "hello" --max-new-tokens 4',
                              timeout=180).assert_ok()
            # libtorch warns (natively, once) when a tensor is filled from a buffer: on the kernel's own
            # stderr at most, never in a cell
            native = execute(kc, "var nd = ai.djl.ndarray.NDManager.newBaseManager();\n"
                                 "nd.zeros(new ai.djl.ndarray.types.Shape(2)).set(java.nio.FloatBuffer.wrap(new float[] {1, 2}));",
                             timeout=60).assert_ok()
        finally:
            stop_kernel(km, kc)
    for res in (session, native):
        shown = res.stdout + res.stderr
        assert not [n for n in NOISE if n in shown], shown
    logged = kernel_log.read_text()
    assert not [n for n in NOISE[:3] if n in logged], logged
