"""The peer of bench/families: HF transformers + PEFT LoRA training steps on CPU, one process.

    python peft_gemma3.py MODEL_DIR ROWS.jsonl SEQ STEPS

Loads MODEL_DIR in float32 (as jlora trains LoRA on CPU), LoRA r 16, alpha 32, dropout 0.05 on every
linear layer but the head (PEFT's "all-linear"), gradient checkpointing on, AdamW lr 2e-4; each step one
row of ROWS' "text", tokenized by the folder's tokenizer and cut to SEQ tokens (batch 1). Prints
  peer-result tok_s=T peak_rss_mb=P rss_before_mb=B tokens=N
tok_s: tokens of steps 2..STEPS over their wall time (forward, loss, backward, optimizer step, zero_grad);
peak_rss_mb: getrusage's maxrss of the whole process.
"""
import json, resource, sys, time
import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024


model_dir, rows_file, seq, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rss_before = rss_mb()
torch.manual_seed(42)
tok = AutoTokenizer.from_pretrained(model_dir)
texts = [json.loads(line)["text"] for line in open(rows_file) if line.strip()]
model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
model.config.use_cache = False
model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear",
                                         task_type="CAUSAL_LM"))
model.train()
trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-4, weight_decay=0.0)
timed_tokens, timed_s = 0, 0.0
for step in range(steps):
    ids = tok(texts[step % len(texts)], return_tensors="pt", truncation=True, max_length=seq).input_ids
    t0 = time.perf_counter()
    loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)
    dt = time.perf_counter() - t0
    print(f"peer step {step + 1}: loss {loss.item():.4f}, {ids.shape[1]} tokens, {dt:.2f} s", flush=True)
    if step > 0:
        timed_tokens += ids.shape[1]
        timed_s += dt
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"peer-result tok_s={timed_tokens / timed_s:.1f} peak_rss_mb={peak:.0f} rss_before_mb={rss_before:.0f} "
      f"tokens={timed_tokens} trainable={trainable} threads={torch.get_num_threads()}")
