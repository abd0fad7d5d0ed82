"""A notebook on a Gemma 3-shaped model (issue 17): %lora load of the tiny gemma3_text golden model
(sliding and global layers, q/k norms, scaled embedding, tied head), then attach, train and generate
through a real Jupyter client. The golden folder has no tokenizer (its vocabulary is 128 tokens), so
the test gives its copy a word-level tokenizer.json of 128 words."""
import json
import shutil
from pathlib import Path

from kernel_harness import KERNEL_NAME, execute, start_kernel, stop_kernel

ROOT = Path(__file__).resolve().parent.parent
GEMMA3 = ROOT / "lib" / "src" / "test" / "resources" / "reference" / "gemma3-tiny" / "model"


def word_level_tokenizer(vocab_size):
    """A tokenizers WordLevel tokenizer.json: 0 <eos>, 1 <pad>, then w2..w127 split on whitespace."""
    vocab = {"<eos>": 0, "<pad>": 1}
    vocab.update({f"w{i}": i for i in range(2, vocab_size)})
    special = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": False, "special": True} for t, i in (("<eos>", 0), ("<pad>", 1))]
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": special, "normalizer": None,
            "pre_tokenizer": {"type": "Whitespace"}, "post_processor": None, "decoder": None,
            "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "<pad>"}}


def test_gemma3_shaped_model_loads_attaches_trains_and_generates(tmp_path):
    model = tmp_path / "gemma3-tiny"
    shutil.copytree(GEMMA3, model)
    (model / "tokenizer.json").write_text(json.dumps(word_level_tokenizer(128)))
    data = tmp_path / "counting.jsonl"
    # sequences longer than the sliding window (8), so training runs through the window masks
    with data.open("w") as f:
        for start in range(2, 50, 3):
            f.write(json.dumps({"text": " ".join(f"w{start + i}" for i in range(20))}) + "\n")
    km, kc = start_kernel(KERNEL_NAME)
    try:
        loaded = execute(kc, f"%lora load --model {model}", timeout=120).assert_ok()
        assert "gemma3" in loaded.text
        execute(kc, "%lora attach --lora-r 4 --lora-dropout 0", timeout=60).assert_ok()
        execute(kc, f"%lora data --file {data} --max-seq-length 32", timeout=60).assert_ok()
        trained = execute(kc, "%lora train --steps 4 --lr 1e-2 --batch-size 2", timeout=300).assert_ok()
        assert "4" in trained.text
        out = execute(kc, '%lora generate --prompt "w2 w3 w4 w5 w6 w7 w8 w9 w10 w11" --max-new-tokens 12 --json',
                      timeout=120).assert_ok()
        ids = out.result_data["application/json"]["ids"]
        assert 0 < len(ids) <= 12 and all(0 <= i < 128 for i in ids)
    finally:
        stop_kernel(km, kc)
