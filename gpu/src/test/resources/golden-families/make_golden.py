"""Golden cases of the GPU step's other families: tiny random Qwen2 (q/k/v biases) and Qwen3 (qk-norm),
in the layout of lib's llama-tiny golden folder (see its README), from transformers + PEFT in float32.

    /work/venv/bin/python make_golden.py OUTDIR       # torch, transformers, peft, safetensors; no network

OUTDIR/<family>-tiny/: model/ (save_pretrained), adapter/ (PEFT LoRA r 8, alpha 16, all-linear, A and B
random: init_lora_weights=False), cases.safetensors: input_ids [2,16], logits_adapter, loss_adapter (labels =
input_ids), grad.<PEFT key> of that loss (train mode, dropout 0), step1.<PEFT key> after one
AdamW(lr 1e-3, eps 1e-8, weight_decay 0) step; versions.json.
"""
import json
import os
import sys

import peft
import torch
import transformers
from peft import LoraConfig, get_peft_model
from safetensors.torch import save_file

SHAPE = dict(hidden_size=64, intermediate_size=176, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
             vocab_size=320, max_position_embeddings=256, rms_norm_eps=1e-6, rope_theta=10000.0,
             tie_word_embeddings=False, bos_token_id=0, eos_token_id=0, pad_token_id=1)
FAMILIES = {
    "qwen2": (transformers.Qwen2Config, transformers.Qwen2ForCausalLM, dict(use_sliding_window=False)),
    "qwen3": (transformers.Qwen3Config, transformers.Qwen3ForCausalLM, dict(head_dim=16, use_sliding_window=False)),
}


def build(name, out):
    cfg_cls, model_cls, extra = FAMILIES[name]
    torch.manual_seed(1234)
    d = os.path.join(out, name + "-tiny")
    os.makedirs(d, exist_ok=True)
    model = model_cls(cfg_cls(**SHAPE, **extra)).float()
    with torch.no_grad():  # biases and qk-norm weights away from their zero/one init, so that they matter
        for n, p in model.named_parameters():
            if n.endswith(".bias") or "q_norm" in n or "k_norm" in n:
                p.add_(0.3 * torch.randn_like(p))
    model.save_pretrained(os.path.join(d, "model"), safe_serialization=True)
    ids = torch.randint(2, SHAPE["vocab_size"], (2, 16), generator=torch.Generator().manual_seed(5))
    cases = {"input_ids": ids}
    torch.manual_seed(99)
    pm = get_peft_model(model_cls.from_pretrained(os.path.join(d, "model")).float(),
                        LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules="all-linear",
                                   init_lora_weights=False, task_type="CAUSAL_LM"))
    pm.save_pretrained(os.path.join(d, "adapter"))
    pm.train()
    o = pm(input_ids=ids, labels=ids)
    cases["logits_adapter"] = o.logits.detach().float().contiguous()
    cases["loss_adapter"] = o.loss.detach().view(1).float()
    o.loss.backward()
    named = {n: p for n, p in pm.named_parameters() if p.requires_grad}
    for n, p in named.items():
        cases["grad." + n.replace(".default", "")] = p.grad.float().contiguous()
    torch.optim.AdamW(list(named.values()), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0).step()
    for n, p in named.items():
        cases["step1." + n.replace(".default", "")] = p.detach().float().contiguous()
    save_file({k: v.clone().contiguous() for k, v in cases.items()}, os.path.join(d, "cases.safetensors"))
    json.dump({"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
              open(os.path.join(d, "versions.json"), "w"), indent=1)
    print("built", d, flush=True)


if __name__ == "__main__":
    for family in FAMILIES:
        build(family, sys.argv[1])
