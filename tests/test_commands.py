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
    missing = cli("score", "--model", "/nonexistent/model", "--text", "x")
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
    # the output folder is the model itself, as transformers' Trainer writes it
    assert (out_dir / "model.safetensors").is_file() and not (out_dir / "adapter_config.json").exists()
    assert t["output"] == str(out_dir) and t["output_kind"] == "model"
    score = cli("score", "--model", str(out_dir), "--text", "the base model stays in place", "--json")
    assert score.returncode == 0, score.stderr
    base = cli("score", "--model", str(MODEL), "--text", "the base model stays in place", "--json")
    assert last_json(score.stdout)["loss"] != last_json(base.stdout)["loss"]


# ---- issue 15: Hugging Face's habits (output folders, one-shot options, --help), quiet stderr ----

TRAIN = ["--batch-size", "4", "--max-seq-length", "32", "--lr", "1e-3"]


def test_output_folder_holds_the_result_and_its_checkpoints(tmp_path):
    data = str(_texts(tmp_path))
    merged = tmp_path / "merged"
    t = cli("train", "--model", str(MODEL), "--file", data, "--steps", "4", "--save-every", "2", *TRAIN,
            "--output-folder", str(merged), "--json")
    assert t.returncode == 0, t.stderr
    j = last_json(t.stdout)
    assert j["output"] == str(merged) and j["output_kind"] == "model"
    assert (merged / "config.json").is_file() and (merged / "model.safetensors").is_file()
    # the checkpoints survive the commit of the result, each a loadable PEFT adapter too
    assert j["checkpoints"] == [str(merged / "checkpoint-2"), str(merged / "checkpoint-4")]
    assert (merged / "checkpoint-2" / "adapter_config.json").is_file()
    by_merged = cli("score", "--model", str(merged), "--text", "the base model stays in place", "--json")
    assert by_merged.returncode == 0, by_merged.stderr

    # the adapter alone, in a folder whose path holds dots (an everyday name like qwen2.5-lora)
    adapter = tmp_path / "runs.v2" / "tiny2.5-lora"
    t = cli("train", "--model", str(MODEL), "--file", data, "--steps", "4", "--save-every", "2", *TRAIN,
            "--merge-adapter", "false", "--output-folder", str(adapter), "--json")
    assert t.returncode == 0, t.stderr
    assert last_json(t.stdout)["output_kind"] == "adapter" and (adapter / "adapter_model.safetensors").is_file()
    by_adapter = cli("score", "--model", str(MODEL), "--adapter", str(adapter), "--text", "the base model stays in place", "--json")
    assert by_adapter.returncode == 0, by_adapter.stderr
    assert abs(last_json(by_adapter.stdout)["loss"] - last_json(by_merged.stdout)["loss"]) < 1e-4

    # a second run into the same folder is refused before its first step, naming --overwrite
    again = cli("train", "--model", str(MODEL), "--file", data, "--steps", "4", *TRAIN, "--output-folder", str(merged))
    assert again.returncode == 2 and "--overwrite" in again.stderr and "step" not in again.stdout

    # OUT/checkpoint-2 resumes, and ends where the uninterrupted run ended
    resumed_dir = tmp_path / "resumed"
    r = cli("train", "--model", str(MODEL), "--file", data, "--steps", "4", *TRAIN, "--merge-adapter", "false",
            "--resume-from-checkpoint", str(adapter / "checkpoint-2"), "--output-folder", str(resumed_dir), "--json")
    assert r.returncode == 0, r.stderr
    rj = last_json(r.stdout)
    assert rj["steps"] == 2
    assert abs(rj["last_loss"] - last_json(t.stdout)["last_loss"]) < 1e-5


def test_one_shot_train_takes_the_load_and_data_options(tmp_path):
    data = tmp_path / "lines.jsonl"
    data.write_text("".join(json.dumps({"line": f"The base model stays in place, number {i}."}) + "\n" for i in range(8)))
    q = cli("train", "--model", str(MODEL), "--file", str(data), "--text-column", "line", "--steps", "2", *TRAIN,
            "--quantization", "int4", "--merge-adapter", "false", "--output-folder", str(tmp_path / "qlora"), "--json")
    assert q.returncode == 0, q.stderr
    assert last_json(q.stdout)["steps"] == 2
    s = cli("score", "--model", str(MODEL), "--quantization", "int4", "--adapter", str(tmp_path / "qlora"), "--text", "hello world", "--json")
    assert s.returncode == 0, s.stderr
    h = cli("train", "--model", str(MODEL), "--file", str(data), "--text-column", "line", "--steps", "2", *TRAIN,
            "--dtype", "float16", "--json")
    assert h.returncode == 0, h.stderr
    assert last_json(h.stdout)["steps"] == 2


def test_qlora_train_merges_into_the_float_base_by_default(tmp_path):
    """train --quantization int4 with the default --merge-adapter writes the float merged model (as PEFT gives)."""
    data = tmp_path / "lines.jsonl"
    data.write_text("".join(json.dumps({"line": f"The base model stays in place, number {i}."}) + "\n" for i in range(8)))
    run = ["train", "--model", str(MODEL), "--file", str(data), "--text-column", "line", "--steps", "2", *TRAIN, "--quantization", "int4"]
    merged = tmp_path / "merged"
    t = cli(*run, "--output-folder", str(merged), "--json")
    assert t.returncode == 0, t.stderr
    j = last_json(t.stdout)
    assert j["output_kind"] == "model" and j["merged_into_base_files"] == str(MODEL.resolve())
    assert "quantization_config" not in json.loads((merged / "config.json").read_text())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lines.jsonl", "merged"]  # no staged adapter left
    # the same run (same seed and data) saving the adapter alone trains the same adapter
    adapter = tmp_path / "adapter"
    a = cli(*run, "--merge-adapter", "false", "--output-folder", str(adapter), "--json")
    assert a.returncode == 0, a.stderr
    assert last_json(a.stdout)["last_loss"] == j["last_loss"]

    def loss(*model):
        s = cli("score", *model, "--text", "the base model stays in place", "--json")
        assert s.returncode == 0, s.stderr
        return last_json(s.stdout)["loss"]
    by_merged = loss("--model", str(merged))
    # the merged model is the float base + the adapter: equal up to float32 rounding (W + s·BA vs xW + s·xAB)
    assert abs(by_merged - loss("--model", str(MODEL), "--adapter", str(adapter))) < 1e-4
    # the adapter was trained against the int4 base: with it, the loss differs from the merged model's by the
    # base's own quantization error (that of the bases alone), the adapter's update being the same on both
    quant_gap = loss("--model", str(MODEL)) - loss("--model", str(MODEL), "--quantization", "int4")
    adapted_gap = by_merged - loss("--model", str(MODEL), "--quantization", "int4", "--adapter", str(adapter))
    assert abs(adapted_gap - quant_gap) < 2e-3, (adapted_gap, quant_gap)
    gen = cli("generate", "--model", str(merged), "--prompt-ids", PROMPT_IDS, "--max-new-tokens", "4", "--json")
    assert gen.returncode == 0, gen.stderr


def test_help_version_and_session_commands():
    for command in ["train", "score", "status", "merge"]:
        h = cli(command, "--help")
        assert h.returncode == 0 and h.stdout.startswith(f"Usage: jlora {command}") and "Example" in h.stdout, h.stdout + h.stderr
    v = cli("--version")
    assert v.returncode == 0 and "jlora " in v.stdout and "DJL " in v.stdout and "libtorch " in v.stdout, v.stdout
    s = cli("status")
    assert s.returncode == 2 and "needs a session" in s.stderr and "bin/jlora-shell" in s.stderr
    assert len(s.stderr.strip().splitlines()) == 1


NOISE = ["SLF4J", "CUDA driver version is insufficient", "AutoNonVariableTypeMode", "Input buffer size", "WARN", "INFO"]


def _bfloat16_model(folder: Path, vocab: int = 262200) -> Path:
    """The golden tiny Llama in bfloat16 (as most Hub models are), with a tied embedding of more than
    16M values: larger than one 64 MiB loading chunk, so its last chunk is partial."""
    import struct
    folder.mkdir(parents=True)
    raw = (MODEL / "model.safetensors").read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    body = raw[8 + n:]
    tensors, blobs, offset = {}, [], 0

    def bf16(f32: bytes) -> bytes:
        return b"".join(f32[i + 2:i + 4] for i in range(0, len(f32), 4))

    for key, info in header.items():
        if key == "__metadata__" or key == "lm_head.weight":
            continue
        data = bf16(body[info["data_offsets"][0]:info["data_offsets"][1]])
        shape = info["shape"]
        if key == "model.embed_tokens.weight":
            rows = bytes(data)
            data = (rows * (vocab // shape[0] + 1))[:vocab * shape[1] * 2]
            shape = [vocab, shape[1]]
        tensors[key] = {"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(tensors).encode()
    head += b" " * (-len(head) % 8)
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", len(head)) + head + b"".join(blobs))
    config = json.loads((MODEL / "config.json").read_text())
    config.update(vocab_size=vocab, tie_word_embeddings=True, dtype="bfloat16")
    (folder / "config.json").write_text(json.dumps(config))
    for f in ["tokenizer.json", "tokenizer_config.json", "generation_config.json"]:
        (folder / f).write_bytes((MODEL / f).read_bytes())
    return folder


def test_no_warnings_reach_the_user_in_a_train_generate_save(tmp_path):
    model = _bfloat16_model(tmp_path / "bf16")
    out = tmp_path / "out"
    t = cli("train", "--model", str(model), "--file", str(_texts(tmp_path)), "--steps", "2", *TRAIN,
            "--merge-adapter", "false", "--output-folder", str(out), "--json")
    assert t.returncode == 0, t.stderr
    g = cli("generate", "--model", str(model), "--adapter", str(out), "--prompt", "The base", "--max-new-tokens", "3")
    assert g.returncode == 0, g.stderr
    for run in (t, g):
        found = [line for line in run.stderr.splitlines() if any(n in line for n in NOISE)]
        assert found == [], "\n".join(found)
