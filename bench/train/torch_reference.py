"""PyTorch eager reference for bench/train/run.sh: the LoRA training step TrainBench.java times, on
the same model folder, written as plain torch ops (HF's Llama math; PEFT's LoRA: y = W x + s B(A(drop(x))),
r 16, alpha 32, dropout 0.05, all linear layers of the decoder, A kaiming-uniform, B zero) with
torch.optim.AdamW (lr 2e-4) on the LoRA arrays, the same ids, and optionally layer-wise
checkpointing (torch.utils.checkpoint, non-reentrant). Prints per step loss, time, tokens/s and
the memory the step adds above the loaded model (peak RSS during the step minus RSS with the model
loaded and LoRA attached).

    /usr/bin/python3 torch_reference.py MODEL_DIR BATCH SEQ STEPS THREADS on|off
"""
import json, math, sys, time
import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint
import os
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from torch_safetensors import read_safetensors  # noqa: E402 (bench/ on the path first)






def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class Lora(torch.nn.Module):
    def __init__(self, weight, r=16, alpha=32, dropout=0.05):
        super().__init__()
        self.weight = weight  # frozen
        self.a = torch.nn.Parameter(torch.empty(r, weight.shape[1]))
        torch.nn.init.kaiming_uniform_(self.a, a=math.sqrt(5))
        self.b = torch.nn.Parameter(torch.zeros(weight.shape[0], r))
        self.scale = alpha / r
        self.dropout = dropout

    def forward(self, x):
        return F.linear(x, self.weight) + F.linear(F.linear(F.dropout(x, self.dropout, True), self.a), self.b) * self.scale


class Llama(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        c = json.load(open(f"{d}/config.json"))
        w = read_safetensors(f"{d}/model.safetensors", all_float=True)
        self.c, self.w = c, w
        self.h, self.kv = c["num_attention_heads"], c["num_key_value_heads"]
        self.hd = c.get("head_dim") or c["hidden_size"] // self.h
        self.eps = c["rms_norm_eps"]
        self.inv_freq = 1.0 / (c.get("rope_theta", 10000.0) ** (torch.arange(0, self.hd, 2).float() / self.hd))
        self.head = w.get("lm_head.weight", w["model.embed_tokens.weight"])
        self.lora = torch.nn.ModuleDict()
        for i in range(c["num_hidden_layers"]):
            for m in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                      "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"):
                self.lora[f"{i}_{m.replace('.', '_')}"] = Lora(w[f"model.layers.{i}.{m}.weight"])

    def norm(self, x, w):
        return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))

    @staticmethod
    def rotate_half(x):
        x1, x2 = x.chunk(2, dim=-1)
        return torch.cat((-x2, x1), dim=-1)

    def layer(self, i, x, cos, sin, mask):
        b, t, _ = x.shape
        w, p = self.w, f"model.layers.{i}."
        L = lambda m, v: self.lora[f"{i}_{m}"](v)
        h = self.norm(x, w[p + "input_layernorm.weight"])
        q = L("self_attn_q_proj", h).view(b, t, self.h, self.hd).transpose(1, 2)
        k = L("self_attn_k_proj", h).view(b, t, self.kv, self.hd).transpose(1, 2)
        v = L("self_attn_v_proj", h).view(b, t, self.kv, self.hd).transpose(1, 2)
        q = q * cos + self.rotate_half(q) * sin
        k = k * cos + self.rotate_half(k) * sin
        rep = self.h // self.kv
        k = k.repeat_interleave(rep, 1)
        v = v.repeat_interleave(rep, 1)
        s = (q @ k.transpose(2, 3)) / math.sqrt(self.hd) + mask
        o = (s.softmax(-1) @ v).transpose(1, 2).reshape(b, t, -1)
        x = x + L("self_attn_o_proj", o)
        h = self.norm(x, w[p + "post_attention_layernorm.weight"])
        return x + L("mlp_down_proj", F.silu(L("mlp_gate_proj", h)) * L("mlp_up_proj", h))

    def forward(self, ids, checkpointing):
        b, t = ids.shape
        x = self.w["model.embed_tokens.weight"][ids]
        freqs = torch.outer(torch.arange(t).float(), self.inv_freq)
        emb = torch.cat((freqs, freqs), -1)
        cos, sin = emb.cos(), emb.sin()
        mask = torch.full((t, t), float("-inf")).triu(1)
        for i in range(self.c["num_hidden_layers"]):
            if checkpointing:
                x = checkpoint(self.layer, i, x, cos, sin, mask, use_reentrant=False)
            else:
                x = self.layer(i, x, cos, sin, mask)
        return F.linear(self.norm(x, self.w["model.norm.weight"]), self.head)


def main():
    d, batch, seq, steps, threads, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    model = Llama(d)
    rss_loaded = status("VmRSS:")
    whole_peak = status("VmHWM:")
    vocab = model.c["vocab_size"]
    ids = torch.tensor([[(r * 7919 + t * 104729 + 13) % vocab for t in range(seq)] for r in range(batch)])
    params = list(model.lora.parameters())
    print(f"torch {torch.__version__} eager, {torch.get_num_threads()} threads, LoRA r16 all-linear: "
          f"{sum(p.numel() for p in params) / 1e6:.2f}M trainable, checkpointing {mode}; RSS with the model loaded {rss_loaded:.0f} MiB")
    opt = torch.optim.AdamW(params, lr=2e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    resident = status("VmRSS:")  # model loaded, LoRA attached
    tokens = seconds = worst = 0.0
    first = float("nan")
    for s in range(1, steps + 1):
        reset = reset_peak()
        before = status("VmRSS:")
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        logits = model(ids, mode == "on")
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, vocab), ids[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
        dt = time.perf_counter() - t0
        del logits
        peak = status("VmHWM:")
        whole_peak = max(whole_peak, peak)
        added = peak - resident if reset else float("nan")
        worst = max(worst, added)
        if s == 1:
            first = added
        if s > 1:
            tokens += batch * seq
            seconds += dt
        print(f"  step {s}: loss {loss.item():.6f}, {dt:.2f} s, {batch * seq / dt:.0f} tokens/s, "
              f"peak {peak:.0f} MiB = loaded model {resident:.0f} + {added:.0f} (RSS before the step {before:.0f})", flush=True)
    print(f"torch-result checkpointing={mode} tokens_per_s={tokens / seconds:.1f} step_added_mib={worst:.0f} first_step_added_mib={first:.0f}")
    print(f"torch whole-process peak RSS {max(whole_peak, status('VmHWM:')):.0f} MiB")


if __name__ == "__main__":
    main()
