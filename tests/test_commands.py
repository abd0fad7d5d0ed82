"""The command surface at its three doors: %lora magics, bin/jlora, Java helpers.

Uses the golden tiny Llama the lib tests ship (lib/src/test/resources/golden/llama-tiny/model).
"""
import json
import subprocess
from pathlib import Path

import pytest

from kernel_harness import KERNEL_NAME, execute, start_kernel, stop_kernel

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "lib" / "src" / "test" / "resources" / "golden" / "llama-tiny" / "model"
JLORA = str(ROOT / "bin" / "jlora")
PROMPT_IDS = "[5, 9, 23, 88, 11]"


@pytest.fixture(scope="module")
def kernel():
    km, kc = start_kernel(KERNEL_NAME)
    yield km, kc
    stop_kernel(km, kc)


def cli(*args):
    return subprocess.run([JLORA, *args], capture_output=True, text=True, timeout=300)


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def test_cli_generate_and_score_print_contract_json():
    gen = cli("generate", "--model", str(MODEL), "--prompt-ids", PROMPT_IDS, "--max-new-tokens", "6", "--json")
    assert gen.returncode == 0, gen.stderr
    out = last_json(gen.stdout)
    assert set(out) >= {"ids", "text", "tokens_per_s"} and 0 < len(out["ids"]) <= 6
    score = cli("score", "--model", str(MODEL), "--text", "hello world", "--json")
    assert score.returncode == 0, score.stderr
    s = last_json(score.stdout)
    assert s["loss"] > 0 and len(s["per_sequence"]) == 1 and s["tokens"] > 0


def test_cli_bad_option_exits_2_and_names_it():
    bad = cli("generate", "--model", str(MODEL), "--prompt", "x", "--max-new-tokens", "lots")
    assert bad.returncode == 2
    assert "--max-new-tokens" in bad.stderr
    missing = cli("load", "--model", "/nonexistent/model")
    assert missing.returncode == 1 and "/nonexistent/model" in missing.stderr


def test_magic_and_java_helper_share_one_session(kernel):
    _, kc = kernel
    res = execute(kc, f"%lora load --model {MODEL}", timeout=120).assert_ok()
    assert "text/html" in res.result_data and "llama" in res.result_data["text/plain"]
    magic = execute(kc, f"%lora generate --prompt-ids '{PROMPT_IDS}' --max-new-tokens 6 --json", timeout=60).assert_ok()
    ids_by_magic = magic.result_data["application/json"]["ids"]
    # the Java door, on the model the magic loaded
    java = execute(kc, f'Lora.run("generate --prompt-ids \'{PROMPT_IDS}\' --max-new-tokens 6").json().get("ids")').assert_ok()
    assert java.text.replace(" ", "") == json.dumps(ids_by_magic).replace(" ", "")
    cli_ids = last_json(cli("generate", "--model", str(MODEL), "--prompt-ids", PROMPT_IDS, "--max-new-tokens", "6", "--json").stdout)["ids"]
    assert cli_ids == ids_by_magic


def test_magic_errors_are_one_line(kernel):
    _, kc = kernel
    res = execute(kc, "%lora generate --prompt x --top-p 7")
    assert res.status == "error"
    assert res.content["ename"] == "MagicError"
    assert len(res.content["traceback"]) == 1 and "--top-p" in res.content["evalue"]


def test_cell_magic_takes_json_options(kernel):
    _, kc = kernel
    res = execute(kc, "%%lora score\n" + json.dumps({"model": str(MODEL), "text": "hello world", "json": True}), timeout=60).assert_ok()
    assert res.result_data["application/json"]["loss"] > 0


def test_jshell_door_runs_the_same_commands():
    script = "\n".join([
        f'Lora.load("{MODEL}");',
        f'System.out.println("IDS " + Lora.run("generate --prompt-ids \'{PROMPT_IDS}\' --max-new-tokens 6").json().get("ids"));',
        'System.out.println("LOSS " + Lora.score("hello world").json().get("loss"));',
        "/exit",
    ]) + "\n"
    shell = subprocess.run([str(ROOT / "bin" / "jlora-shell"), "-q"], input=script, capture_output=True, text=True, timeout=300)
    assert shell.returncode == 0, shell.stderr
    ids_line = next(l for l in shell.stdout.splitlines() if "IDS " in l)
    cli_ids = last_json(cli("generate", "--model", str(MODEL), "--prompt-ids", PROMPT_IDS, "--max-new-tokens", "6", "--json").stdout)["ids"]
    assert ids_line.split("IDS ", 1)[1].replace(" ", "") == json.dumps(cli_ids).replace(" ", "")
    cli_loss = last_json(cli("score", "--model", str(MODEL), "--text", "hello world", "--json").stdout)["loss"]
    loss_line = next(l for l in shell.stdout.splitlines() if "LOSS " in l)
    assert abs(float(loss_line.split("LOSS ", 1)[1]) - cli_loss) < 1e-9


def _texts(tmp_path, n=8):
    lines = ["Low-rank adaptation trains two small matrices beside every frozen weight.",
             "The base model stays in place; only the adapter learns.", "Quantized bases keep memory low."]
    data = tmp_path / "texts.jsonl"
    data.write_text("".join(json.dumps({"text": lines[i % 3] + " " + lines[(i + 1) % 3]}) + "\n" for i in range(n)))
    return data


def test_cli_compare_prints_every_run_as_json_and_writes_the_chart(tmp_path):
    png = tmp_path / "chart.png"
    out = cli("compare", "--model", str(MODEL), "--file", str(_texts(tmp_path)), "--configs", "r4,full", "--steps", "3",
              "--batch-size", "2", "--max-seq-length", "32", "--lr", "1e-3", "--plot-file", str(png), "--json")
    assert out.returncode == 0, out.stderr
    j = last_json(out.stdout)
    assert [r["name"] for r in j["runs"]] == ["LoRA r4", "full"]
    for r in j["runs"]:
        assert set(r) >= {"first_loss", "last_loss", "eval_loss", "trainable_parameters", "peak_rss_mb", "tokens_per_s",
                          "output_mb", "losses"}
        assert len(r["losses"]) == 3 and r["peak_rss_mb"] > 0 and r["tokens_per_s"] > 0
    lora, full = j["runs"]
    assert full["trainable_parameters"] == 133440 and lora["trainable_parameters"] < full["trainable_parameters"] / 10
    assert full["output_mb"] > 10 * lora["output_mb"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and j["plot"] == str(png)
    # the console shows the progress of each run, then the table
    assert "run 2/2 full" in out.stdout


def test_cli_full_fine_tuning_writes_a_model_that_loads(tmp_path):
    out_dir = tmp_path / "out"
    train = cli("train", "--model", str(MODEL), "--file", str(_texts(tmp_path)), "--peft", "false", "--steps", "2",
                "--batch-size", "4", "--max-seq-length", "32", "--lr", "1e-3", "--output-folder", str(out_dir), "--json")
    assert train.returncode == 0, train.stderr
    t = last_json(train.stdout)
    assert t["steps"] == 2 and t["last_loss"] < t["first_loss"]
    assert (out_dir / "model" / "model.safetensors").is_file() and not (out_dir / "model" / "adapter_config.json").exists()
    score = cli("score", "--model", str(out_dir / "model"), "--text", "the base model stays in place", "--json")
    assert score.returncode == 0, score.stderr
    base = cli("score", "--model", str(MODEL), "--text", "the base model stays in place", "--json")
    assert last_json(score.stdout)["loss"] != last_json(base.stdout)["loss"]
