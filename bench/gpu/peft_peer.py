"""The peer of bench/gpu: HF transformers + PEFT LoRA training throughput and peak device memory.

Builds a randomly initialised Llama from a config (no download; the Llama-3.2-1B shape by default),
wraps it with LoRA r16 on all linear layers, and times AdamW steps on random tokens, bf16, with
gradient checkpointing on or off. Prints one JSON object as the last line.

  python3 bench/gpu/peft_peer.py --checkpointing on            # on the GPU machine
  python3 bench/gpu/peft_peer.py --tiny --device cpu --steps 2  # a smoke run anywhere
"""
import argparse
import json
import time

import torch
from peft import LoraConfig, get_peft_model
from transformers import LlamaConfig, LlamaForCausalLM

# meta-llama/Llama-3.2-1B's config.json, the shape issue 20's anchors were measured at
LLAMA_3_2_1B = dict(hidden_size=2048, intermediate_size=8192, num_hidden_layers=16, num_attention_heads=32,
                    num_key_value_heads=8, head_dim=64, vocab_size=128256, max_position_embeddings=131072,
                    rms_norm_eps=1e-5, rope_theta=500000.0, tie_word_embeddings=True,
                    rope_scaling=dict(rope_type="llama3", factor=32.0, low_freq_factor=1.0, high_freq_factor=4.0,
                                      original_max_position_embeddings=8192))
TINY = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, head_dim=16, vocab_size=256, max_position_embeddings=512)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpointing", choices=["on", "off"], default="on")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=1024)
    ap.add_argument("--steps", type=int, default=12, help="timed steps, after --warmup")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--tiny", action="store_true", help="a 2-layer model, for a smoke run")
    a = ap.parse_args()
    if a.tiny:
        a.seq = min(a.seq, 128)
        a.batch = min(a.batch, 2)

    torch.manual_seed(0)
    dtype = torch.bfloat16
    cfg = LlamaConfig(**(TINY if a.tiny else LLAMA_3_2_1B), torch_dtype=dtype)
    model = LlamaForCausalLM(cfg).to(device=a.device, dtype=dtype)
    if a.checkpointing == "on":
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    model.config.use_cache = False
    model = get_peft_model(model, LoraConfig(r=16, lora_alpha=16, lora_dropout=0.0, target_modules="all-linear",
                                             task_type="CAUSAL_LM"))
    # fp32 master LoRA weights, as the jlora GPU step keeps them (PEFT's autocast_adapter_dtype does this too)
    for p in model.parameters():
        if p.requires_grad:
            p.data = p.data.float()
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    model.train()

    ids = torch.randint(0, cfg.vocab_size, (a.batch, a.seq), device=a.device)
    cuda = a.device.startswith("cuda")

    def step():
        with torch.autocast(device_type="cuda" if cuda else "cpu", dtype=dtype):
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.item()

    for _ in range(a.warmup):
        step()
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    losses = [step() for _ in range(a.steps)]
    if cuda:
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    out = dict(side="hf-peft", torch=torch.__version__, checkpointing=a.checkpointing, batch=a.batch, seq=a.seq,
               steps=a.steps, trainable=trainable, tokens_per_s=a.batch * a.seq * a.steps / dt,
               peak_gib=torch.cuda.max_memory_allocated() / 2**30 if cuda else None,
               device=torch.cuda.get_device_name() if cuda else "cpu", last_loss=losses[-1])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
