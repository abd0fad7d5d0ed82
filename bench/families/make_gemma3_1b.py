"""Writes a random model with the shape of google/gemma-3-1b-pt (gemma3_text) for bench/families:

    python make_gemma3_1b.py OUTDIR [LAYERS]     # torch, transformers 5.x, safetensors; no network

Hidden 1152, 26 layers (LAYERS overrides, for a dry run), 4 heads, 1 KV head, head_dim 256, MLP 6912,
vocabulary 262,144, sliding window 512 on 5 of every 6 layers (the 6th global), rope base 1e6 global /
1e4 local, query_pre_attn_scalar 256, tied embeddings; seeded random weights saved as bfloat16
safetensors (as the published checkpoint). The tokenizer is copied in by run.sh.
"""
import sys
import torch
from transformers import Gemma3ForCausalLM, Gemma3TextConfig

out = sys.argv[1]
layers = int(sys.argv[2]) if len(sys.argv) > 2 else 26
cfg = Gemma3TextConfig(
    vocab_size=262144, hidden_size=1152, intermediate_size=6912, num_hidden_layers=layers,
    num_attention_heads=4, num_key_value_heads=1, head_dim=256, hidden_activation="gelu_pytorch_tanh",
    max_position_embeddings=32768, rms_norm_eps=1e-6, query_pre_attn_scalar=256, sliding_window=512,
    layer_types=["full_attention" if (i + 1) % 6 == 0 else "sliding_attention" for i in range(layers)],
    rope_parameters={"full_attention": {"rope_type": "default", "rope_theta": 1e6},
                     "sliding_attention": {"rope_type": "default", "rope_theta": 1e4}},
    tie_word_embeddings=True, bos_token_id=2, eos_token_id=1, pad_token_id=0, initializer_range=0.02)
torch.manual_seed(1234)
torch.set_default_dtype(torch.bfloat16)  # 2 GB instead of 4 while initialising the 1B weights
model = Gemma3ForCausalLM(cfg)
model.save_pretrained(out, safe_serialization=True)
n = sum(p.numel() for p in model.parameters())
print(f"wrote {out}: gemma3_text, {layers} layers, {n:,} parameters, bfloat16")
