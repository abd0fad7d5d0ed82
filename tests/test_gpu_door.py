"""train --device gpu through bin/jlora (issue 20): the GPU trainer behind the same command, options and
output folder as the CPU path. Without a GPU the trainer runs on its host backend
(-Djlora.gpu.backend=host), which computes what the CUDA kernels compute, in fp32; the device script
(bench/gpu/run.sh) checks the CUDA side. Needs gpu/target/jlora-gpu.jar (bin/test builds it with a
JDK >= 22 and then runs this file); skipped without it.
"""
import json
import os
import shutil
import subprocess

import pytest

# the CPU path's command tests: the same model, data and options
from test_commands import JLORA, MODEL, ROOT, TRAIN as CPU_TRAIN, _texts, last_json

TRAIN = [*CPU_TRAIN, "--steps", "6"]
TEXT = "the base model stays in place"

pytestmark = pytest.mark.skipif(not (ROOT / "gpu" / "target" / "jlora-gpu.jar").is_file(),
                                reason="gpu/target/jlora-gpu.jar not built (bin/test builds it with a JDK >= 22)")


def cli(*args, host=True):
    env = dict(os.environ)
    if host:
        env["JLORA_JAVA_OPTS"] = "-Djlora.gpu.backend=host"
    return subprocess.run([JLORA, *args], capture_output=True, text=True, timeout=300, env=env)


def texts(tmp_path):
    return str(_texts(tmp_path))


def test_gpu_training_writes_an_adapter_and_a_model_the_cpu_path_loads(tmp_path):
    data = texts(tmp_path)
    adapter = tmp_path / "adapter"
    t = cli("train", "--device", "gpu", "--model", str(MODEL), "--file", data, *TRAIN, "--merge-adapter", "false",
            "--output-folder", str(adapter), "--json")
    assert t.returncode == 0, t.stderr
    j = last_json(t.stdout)
    assert j["output_kind"] == "adapter" and j["steps"] == 6 and j["last_loss"] < j["first_loss"]
    assert "host" in j["device"]
    assert {p.name for p in adapter.iterdir()} == {"adapter_config.json", "adapter_model.safetensors",
                                                   "jlora-checksums.json"}
    assert "step 5/6" in t.stderr  # progress every --plot-every steps (default 5) and at the end
    merged = tmp_path / "new" / "folders" / "merged"  # parents created, as on the CPU path
    m = cli("train", "--device", "gpu", "--model", str(MODEL), "--file", data, *TRAIN, "--output-folder", str(merged),
            "--json")
    assert m.returncode == 0, m.stderr
    assert last_json(m.stdout)["output_kind"] == "model" and (merged / "model.safetensors").is_file()
    # the same run (seeded) gives the same adapter: merged and base + adapter score alike on the CPU path
    by_adapter = cli("score", "--model", str(MODEL), "--adapter", str(adapter), "--text", TEXT, "--json", host=False)
    by_merged = cli("score", "--model", str(merged), "--text", TEXT, "--json", host=False)
    base = cli("score", "--model", str(MODEL), "--text", TEXT, "--json", host=False)
    for r in (by_adapter, by_merged, base):
        assert r.returncode == 0, r.stderr
    assert abs(last_json(by_adapter.stdout)["loss"] - last_json(by_merged.stdout)["loss"]) < 1e-4
    assert abs(last_json(by_adapter.stdout)["loss"] - last_json(base.stdout)["loss"]) > 1e-3
    # QLoRA: the base quantized to NF4 with double quantization, as the CPU path's --quantization int4
    qlora = tmp_path / "qlora"
    q = cli("train", "--device", "gpu", "--model", str(MODEL), "--file", data, *TRAIN, "--quantization", "int4",
            "--merge-adapter", "false", "--output-folder", str(qlora), "--json")
    assert q.returncode == 0, q.stderr
    qj = last_json(q.stdout)
    assert qj["last_loss"] < qj["first_loss"] and abs(qj["first_loss"] - j["first_loss"]) > 1e-4
    assert (qlora / "adapter_model.safetensors").is_file()
    # LLM.int8 projections, as the CPU path's --quantization int8
    i8 = cli("train", "--device", "gpu", "--model", str(MODEL), "--file", data, *TRAIN, "--quantization", "int8",
             "--json")
    assert i8.returncode == 0, i8.stderr
    assert last_json(i8.stdout)["last_loss"] < last_json(i8.stdout)["first_loss"]
    # the output was checked before training: a second run into it is refused, naming --overwrite
    again = cli("train", "--device", "gpu", "--model", str(MODEL), "--file", data, *TRAIN, "--output-folder", str(merged))
    assert again.returncode == 2 and "--overwrite" in again.stderr


def test_what_the_gpu_trainer_lacks_is_one_line(tmp_path):
    data = texts(tmp_path)
    q = cli("train", "--device", "gpu", "--model", str(MODEL), "--file", data, *TRAIN, "--quantization", "float16")
    assert q.returncode == 1
    assert q.stderr.strip().splitlines() == [
        "jlora: --device gpu: the GPU trainer quantizes to int4, nf4, fp4 or int8, not float16"]
    p = cli("train", "--device", "gpu", "--model", str(MODEL), "--file", data, *TRAIN, "--peft", "false")
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == ["jlora: --device gpu does not support full fine-tuning (--peft false) yet"]
    d = cli("train", "--device", "gpu", "--model", str(MODEL), "--file", data, *TRAIN, "--use-dora")
    assert d.returncode == 1 and "does not support DoRA" in d.stderr and len(d.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="this machine has an NVIDIA driver")
def test_no_driver_is_one_line_and_no_crash(tmp_path):
    r = cli("train", "--device", "gpu", "--model", str(MODEL), "--file", texts(tmp_path), *TRAIN, host=False)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jlora: no CUDA driver: libcuda.so.1 not found"), r.stderr


def test_checkpoints_are_interchangeable_between_the_cpu_and_the_gpu_trainer(tmp_path):
    """A CPU checkpoint resumed on the GPU trainer ends where the uninterrupted CPU run ends, and the other
    way round (dropout off: each trainer draws its own masks; the host backend computes in fp32 as the CPU does)."""
    data = texts(tmp_path)
    opts = ["--lora-dropout", "0", "--eval-split", "0.25", "--merge-adapter", "false", "--json"]
    cpu = cli("train", "--model", str(MODEL), "--file", data, *TRAIN, "--save-every", "3", *opts,
              "--output-folder", str(tmp_path / "cpu"), host=False)
    assert cpu.returncode == 0, cpu.stderr
    on_gpu = cli("train", "--device", "gpu", "--model", str(MODEL), "--file", data, *TRAIN, *opts,
                 "--resume-from-checkpoint", str(tmp_path / "cpu" / "checkpoint-3"), "--output-folder",
                 str(tmp_path / "gpu-resumed"))
    assert on_gpu.returncode == 0, on_gpu.stderr
    g = last_json(on_gpu.stdout)
    assert g["steps"] == 3
    assert abs(g["last_loss"] - last_json(cpu.stdout)["last_loss"]) < 1e-4
    # the held-out rows are evaluated as the CPU trainer evaluates them (at the end, dropout off)
    assert g["eval_loss"] is not None and abs(g["eval_loss"] - last_json(cpu.stdout)["eval_loss"]) < 1e-4

    gpu = cli("train", "--device", "gpu", "--model", str(MODEL), "--file", data, *TRAIN, "--save-every", "3", *opts,
              "--output-folder", str(tmp_path / "gpu"))
    assert gpu.returncode == 0, gpu.stderr
    # the adapter_config.json of both lists all-linear's modules alike (PEFT 0.21: every module path)
    modules = [json.loads((tmp_path / d / "adapter_config.json").read_text())["target_modules"] for d in ("cpu", "gpu")]
    assert modules[0] == modules[1] and "model.layers.1.mlp.down_proj" in modules[1]
    ckpt = tmp_path / "gpu" / "checkpoint-3"
    assert {"trainable.safetensors", "optimizer.safetensors", "trainer_state.json", "adapter_config.json",
            "adapter_model.safetensors"} <= {p.name for p in ckpt.iterdir()}
    on_cpu = cli("train", "--model", str(MODEL), "--file", data, *TRAIN, *opts, "--resume-from-checkpoint", str(ckpt),
                 "--output-folder", str(tmp_path / "cpu-resumed"), host=False)
    assert on_cpu.returncode == 0, on_cpu.stderr
    c = last_json(on_cpu.stdout)
    assert c["steps"] == 3
    assert abs(c["last_loss"] - last_json(gpu.stdout)["last_loss"]) < 1e-4


def test_dpo_on_the_gpu_trainer(tmp_path):
    """dpo --device gpu: TRL's sigmoid loss against the adapter-disabled reference; the loss starts at log 2
    (policy = reference while B is zero) and falls; the adapter loads on the CPU path."""
    pairs = tmp_path / "pairs.jsonl"
    rows = [{"prompt": "The base model", "chosen": " stays in place.", "rejected": " learns everything."},
            {"prompt": "Quantized bases", "chosen": " keep memory low.", "rejected": " need more memory."},
            {"prompt": "Low-rank adaptation", "chosen": " trains small matrices.", "rejected": " trains every weight."}]
    pairs.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "dpo"
    d = cli("dpo", "--device", "gpu", "--model", str(MODEL), "--file", str(pairs), "--steps", "8", "--batch-size", "2",
            "--lr", "5e-3", "--dpo-beta", "0.5", "--merge-adapter", "false", "--output-folder", str(out), "--json")
    assert d.returncode == 0, d.stderr
    j = last_json(d.stdout)
    assert abs(j["first_loss"] - 0.693147) < 1e-4 and j["last_loss"] < j["first_loss"] - 0.01, j
    score = cli("score", "--model", str(MODEL), "--adapter", str(out), "--text", TEXT, "--json", host=False)
    assert score.returncode == 0, score.stderr
    # the same DPO on both trainers: a CPU run's checkpoint resumed on the GPU trainer ends where the CPU run ends
    dpo = ["--file", str(pairs), "--steps", "6", "--batch-size", "2", "--lr", "5e-3", "--dpo-beta", "0.5",
           "--eval-split", "0.34", "--merge-adapter", "false", "--json"]
    cpu = cli("dpo", "--model", str(MODEL), *dpo, "--save-every", "3", "--output-folder", str(tmp_path / "cpu"),
              host=False)
    assert cpu.returncode == 0, cpu.stderr
    gpu = cli("dpo", "--device", "gpu", "--model", str(MODEL), *dpo, "--resume-from-checkpoint",
              str(tmp_path / "cpu" / "checkpoint-3"), "--output-folder", str(tmp_path / "gpu"))
    assert gpu.returncode == 0, gpu.stderr
    assert abs(last_json(gpu.stdout)["last_loss"] - last_json(cpu.stdout)["last_loss"]) < 1e-4
    assert abs(last_json(gpu.stdout)["eval_loss"] - last_json(cpu.stdout)["eval_loss"]) < 1e-4
