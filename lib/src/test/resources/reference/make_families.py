"""Reference outputs of Hugging Face transformers 5.18 + PEFT 0.21 for tiny random Gemma 2, Gemma 3
(text, and the text tower of a multimodal gemma3 checkpoint), Phi-3 (LongRoPE, partial rotary),
OLMo 2 and SmolLM3 models, for jlora's decoder and LoRA tests (the tests read the files; they never
run Python).

    python make_families.py OUTDIR     # torch, transformers, peft, safetensors; no network

Each OUTDIR/<name>/ gets model/ (save_pretrained, float32) and cases.safetensors:
  input_ids [B,T] int64, logits [B,T,V] float32, loss [1] (labels = input_ids),
  prompt [P] int64 and greedy [P+N] = generate(prompt, max_new_tokens=N, do_sample=False);
  phi3 also short_ids [1,S] / short_logits, a sequence within the original context (short factors).
Every family but the multimodal one also gets adapter/ (PEFT save_pretrained: LoRA r=4, alpha 8,
target_modules="all-linear", init_lora_weights=False so A and B are random) and in cases:
  logits_adapter, loss_adapter and grad.<PEFT parameter name without ".default"> for
  loss(input_ids, labels=input_ids).backward() through the adapted model.
Sequences are longer than every sliding window. Transformers initialises norms and biases to
constants, which would hide a skipped norm or bias: both are perturbed, and weights use a wider
initializer_range for the same reason.
"""
import json, os, sys
import torch, transformers, peft
from peft import LoraConfig, get_peft_model
from safetensors.torch import save_file
from transformers import (Gemma2Config, Gemma2ForCausalLM, Gemma3Config, Gemma3ForCausalLM,
                          Gemma3ForConditionalGeneration, Gemma3TextConfig, Olmo2Config, Olmo2ForCausalLM,
                          Phi3Config, Phi3ForCausalLM, SmolLM3Config, SmolLM3ForCausalLM)

COMMON = dict(hidden_size=64, intermediate_size=96, vocab_size=128, rms_norm_eps=1e-6, bos_token_id=0,
              eos_token_id=0, pad_token_id=1, initializer_range=0.1)


def perturb(model, zero_centred_norms):
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "norm" in n:
                # Gemma's norms scale by (1 + weight): centred on 0 there, on 1 elsewhere
                p.copy_((0 if zero_centred_norms else 1) + 0.2 * torch.randn_like(p))
            elif n.endswith(".bias"):
                p.copy_(0.1 * torch.randn_like(p))


def build(out, name, cfg, model_cls, gemma=False, batch=2, length=20, prompt_len=6, new_tokens=14, lora=True,
          short_length=None, greedy_cache=True):
    torch.manual_seed(20240613)
    cfg._attn_implementation = "eager"
    model = model_cls(cfg).float().eval()
    perturb(model, gemma)
    d = os.path.join(out, name)
    model.save_pretrained(os.path.join(d, "model"), safe_serialization=True)
    vocab = COMMON["vocab_size"]
    g = torch.Generator().manual_seed(7)
    ids = torch.randint(2, vocab, (batch, length), generator=g)
    cases = {}
    with torch.no_grad():
        o = model(input_ids=ids, labels=ids)
        prompt = ids[:1, :prompt_len]
        greedy = model.generate(prompt, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                                num_beams=1, pad_token_id=1, use_cache=greedy_cache)
        cases.update({"input_ids": ids.clone().contiguous(), "logits": o.logits.float().contiguous(),
                      "loss": o.loss.view(1).float(), "prompt": prompt[0].clone().contiguous(),
                      "greedy": greedy[0].contiguous()})
        if short_length:
            short = ids[:1, :short_length].clone().contiguous()
            cases["short_ids"] = short
            cases["short_logits"] = model(input_ids=short).logits.float().contiguous()
    if lora:
        pm = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules="all-linear",
                                              init_lora_weights=False))
        pm.save_pretrained(os.path.join(d, "adapter"))
        pm.train()  # dropout is 0; train mode as a trainer would run it
        lo = pm(input_ids=ids, labels=ids)
        lo.loss.backward()
        cases["logits_adapter"] = lo.logits.detach().float().contiguous()
        cases["loss_adapter"] = lo.loss.detach().view(1).float()
        for n, p in pm.named_parameters():
            if p.requires_grad:
                cases["grad." + n.replace(".default", "")] = p.grad.float().contiguous()
    save_file(cases, os.path.join(d, "cases.safetensors"))
    print("built", name, "loss", float(o.loss), "greedy", greedy[0].tolist(), flush=True)


if __name__ == "__main__":
    out = sys.argv[1]
    # Gemma 2: scaled embedding, (1 + w) norms, GeGLU tanh, sandwich norms, query_pre_attn_scalar != head_dim,
    # head_dim != hidden/heads, sliding layers (window 8) alternating with global ones, attention and final
    # logit soft-capping low enough to bite, tied head, GQA 2
    build(out, "gemma2-tiny", Gemma2Config(**COMMON, num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2,
                                           head_dim=24, query_pre_attn_scalar=20, sliding_window=8,
                                           attn_logit_softcapping=4.0, final_logit_softcapping=3.0,
                                           max_position_embeddings=256, tie_word_embeddings=True),
          Gemma2ForCausalLM, gemma=True)
    # Gemma 3 text: as Gemma 2 without soft-capping, plus per-head q/k norms, sliding_window_pattern 3
    # (sliding, sliding, full, sliding), a local rope base for sliding layers and linear scaling on global ones
    gemma3_text = dict(COMMON, num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=1, head_dim=32,
                       query_pre_attn_scalar=24, sliding_window=8, sliding_window_pattern=3,
                       max_position_embeddings=256, tie_word_embeddings=True,
                       rope_parameters={"full_attention": {"rope_type": "linear", "factor": 2.0, "rope_theta": 1e6},
                                        "sliding_attention": {"rope_type": "default", "rope_theta": 1e4}})
    build(out, "gemma3-tiny", Gemma3TextConfig(**gemma3_text), Gemma3ForCausalLM, gemma=True)
    # the text tower of a multimodal gemma3 checkpoint (a tiny SigLIP beside it), text-only inputs
    mm = Gemma3Config(text_config=gemma3_text, vision_config=dict(hidden_size=16, intermediate_size=32,
                      num_hidden_layers=1, num_attention_heads=2, image_size=28, patch_size=14),
                      mm_tokens_per_image=4, boi_token_index=120, eoi_token_index=121, image_token_index=122,
                      bos_token_id=0, eos_token_id=0, pad_token_id=1, initializer_range=0.1)
    build(out, "gemma3-mm-tiny", mm, Gemma3ForConditionalGeneration, gemma=True, lora=False)
    # Phi-3: fused qkv_proj and gate_up_proj, partial rotary (half the head), LongRoPE (original context 16 of
    # 64, so both factor sets and the attention factor matter), a sliding window of 10 on every layer, untied.
    # Greedy crosses 16, where the frequencies change: it is generated without a cache (each step recomputes
    # the sequence), which is what Phi-3's cache reset at that point intends. transformers 5.18's reset drops
    # the cache but still feeds only the last token (so the 17th token is predicted without context);
    # jlora recomputes the whole sequence there instead.
    rot = 8  # rotary dims: head_dim 16 * 0.5
    build(out, "phi3-tiny", Phi3Config(**COMMON, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                                       max_position_embeddings=64, original_max_position_embeddings=16,
                                       sliding_window=10, tie_word_embeddings=False,
                                       rope_parameters={"rope_type": "longrope", "rope_theta": 10000.0,
                                                        "partial_rotary_factor": 0.5,
                                                        "original_max_position_embeddings": 16,
                                                        "short_factor": [1.0, 1.3, 1.7, 2.3][: rot // 2],
                                                        "long_factor": [1.5, 2.5, 4.0, 8.0][: rot // 2]}),
          Phi3ForCausalLM, length=24, prompt_len=10, new_tokens=12, short_length=12, greedy_cache=False)
    # OLMo 2: no input norms, norms after attention and after the MLP, q/k RMSNorm over the whole projection
    build(out, "olmo2-tiny", Olmo2Config(**COMMON, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                                         max_position_embeddings=256, tie_word_embeddings=False,
                                         rope_parameters={"rope_type": "default", "rope_theta": 500000.0}),
          Olmo2ForCausalLM)
    # SmolLM3: every second layer without rotary positions (no_rope_layer_interval 2), those NoPE layers with a
    # sliding window of 8, tied
    build(out, "smollm3-tiny", SmolLM3Config(**COMMON, num_hidden_layers=4, num_attention_heads=4,
                                             num_key_value_heads=2, no_rope_layer_interval=2, use_sliding_window=True,
                                             sliding_window=8, max_position_embeddings=256, tie_word_embeddings=True,
                                             rope_parameters={"rope_type": "default", "rope_theta": 2e6}),
          SmolLM3ForCausalLM)
    json.dump({"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
              open(os.path.join(out, "families-versions.json"), "w"), indent=1)
