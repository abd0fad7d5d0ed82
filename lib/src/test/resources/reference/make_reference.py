"""Reference outputs of Hugging Face transformers for tiny random Mistral, Qwen2, Qwen3 and
Llama-3-rope models, for jlora's decoder tests (the tests read the files; they never run Python).

    python make_reference.py OUTDIR     # torch, transformers, safetensors; no network

Each OUTDIR/<name>/ gets model/ (save_pretrained, float32) and cases.safetensors:
  input_ids [B,T] int64, logits [B,T,V] float32, loss [1] (labels = input_ids),
  prompt [P] int64 and greedy [P+N] = generate(prompt, max_new_tokens=N, do_sample=False).
Transformers initialises norms to 1 and biases to 0, which would hide a skipped norm or bias:
both are perturbed here, and weights use a wider initializer_range for the same reason.
"""
import json, os, sys
import torch, transformers
from safetensors.torch import save_file
from transformers import (LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM,
                          Qwen2Config, Qwen2ForCausalLM, Qwen3Config, Qwen3ForCausalLM)


def build(out, name, cfg_cls, model_cls, kwargs, batch=2, length=16, prompt_len=6, new_tokens=10):
    torch.manual_seed(20240613)
    cfg = cfg_cls(**kwargs, bos_token_id=0, eos_token_id=0, pad_token_id=1, initializer_range=0.1,
                  attn_implementation="eager")
    model = model_cls(cfg).float().eval()
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "norm" in n:
                p.copy_(1 + 0.2 * torch.randn_like(p))
            elif n.endswith(".bias"):
                p.copy_(0.1 * torch.randn_like(p))
    d = os.path.join(out, name)
    model.save_pretrained(os.path.join(d, "model"), safe_serialization=True)
    g = torch.Generator().manual_seed(7)
    ids = torch.randint(2, cfg.vocab_size, (batch, length), generator=g)
    with torch.no_grad():
        o = model(input_ids=ids, labels=ids)
        prompt = ids[:1, :prompt_len]
        greedy = model.generate(prompt, max_new_tokens=new_tokens, do_sample=False, num_beams=1, pad_token_id=1)
    save_file({"input_ids": ids.clone().contiguous(), "logits": o.logits.float().contiguous(),
               "loss": o.loss.view(1).float(), "prompt": prompt[0].clone().contiguous(),
               "greedy": greedy[0].contiguous()}, os.path.join(d, "cases.safetensors"))
    print("built", name, "loss", float(o.loss), "greedy", greedy[0].tolist(), flush=True)


if __name__ == "__main__":
    out = sys.argv[1]
    common = dict(hidden_size=64, intermediate_size=96, num_hidden_layers=2, vocab_size=128,
                  max_position_embeddings=256, rms_norm_eps=1e-6)
    # Mistral: GQA ratio 4 and a sliding window shorter than the sequences
    build(out, "mistral-tiny", MistralConfig, MistralForCausalLM,
          dict(common, num_attention_heads=8, num_key_value_heads=2, sliding_window=8, tie_word_embeddings=False,
               rope_theta=10000.0))
    # Qwen2: q/k/v biases (o none), tied embeddings, GQA ratio 2
    build(out, "qwen2-tiny", Qwen2Config, Qwen2ForCausalLM,
          dict(common, num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True, rope_theta=1e6))
    # Qwen3: q/k RMSNorm per head, head_dim 32 != hidden/heads, tied, no GQA (ratio 1)
    build(out, "qwen3-tiny", Qwen3Config, Qwen3ForCausalLM,
          dict(common, num_attention_heads=4, num_key_value_heads=4, head_dim=32, tie_word_embeddings=True,
               rope_theta=1e6))
    # Llama with Llama-3.1 rope scaling and attention biases, one KV head, sequences past the
    # original context so that the scaled frequencies matter
    build(out, "llama3-rope-tiny", LlamaConfig, LlamaForCausalLM,
          dict(common, num_attention_heads=4, num_key_value_heads=1, attention_bias=True, tie_word_embeddings=False,
               rope_parameters={"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
                                "high_freq_factor": 4.0, "original_max_position_embeddings": 32}),
          batch=1, length=48, prompt_len=30, new_tokens=16)
    json.dump({"torch": torch.__version__, "transformers": transformers.__version__},
              open(os.path.join(out, "versions.json"), "w"), indent=1)
