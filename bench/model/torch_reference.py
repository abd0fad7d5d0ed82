"""PyTorch eager reference for bench/model/run.sh: the same Llama-shaped model, read from the same
model folder, written as plain torch ops (HF's LlamaForCausalLM math: RMSNorm, rotate_half rotary,
GQA attention, SwiGLU), timed like the Java side, and checked against the logits Java wrote.

    /usr/bin/python3 torch_reference.py MODEL_DIR SEQ NEW_TOKENS REPEATS JAVA_OUT.safetensors THREADS
"""
import json, math, sys, time
import numpy as np
import torch
import os
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from torch_safetensors import read_safetensors  # noqa: E402 (bench/ on the path first)






class Llama:
    def __init__(self, d):
        self.c = json.load(open(f"{d}/config.json"))
        self.w = read_safetensors(f"{d}/model.safetensors")
        c = self.c
        self.h, self.kv = c["num_attention_heads"], c["num_key_value_heads"]
        self.hd = c.get("head_dim") or c["hidden_size"] // self.h
        self.eps = c["rms_norm_eps"]
        self.inv_freq = 1.0 / (c.get("rope_theta", 10000.0) ** (torch.arange(0, self.hd, 2).float() / self.hd))
        self.head = self.w.get("lm_head.weight", self.w["model.embed_tokens.weight"])

    def norm(self, x, w):
        return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))

    @staticmethod
    def rotate_half(x):
        x1, x2 = x.chunk(2, dim=-1)
        return torch.cat((-x2, x1), dim=-1)

    def forward(self, ids, cache=None):
        b, t = ids.shape
        start = 0 if not cache else cache[0][0].shape[2]
        x = self.w["model.embed_tokens.weight"][ids]
        pos = torch.arange(start, start + t).float()
        freqs = torch.outer(pos, self.inv_freq)
        emb = torch.cat((freqs, freqs), -1)
        cos, sin = emb.cos(), emb.sin()
        mask = None
        if t > 1:
            mask = torch.full((t, start + t), float("-inf")).triu(start + 1)
        for i in range(self.c["num_hidden_layers"]):
            p = f"model.layers.{i}."
            w = self.w
            h = self.norm(x, w[p + "input_layernorm.weight"])
            q = torch.nn.functional.linear(h, w[p + "self_attn.q_proj.weight"]).view(b, t, self.h, self.hd).transpose(1, 2)
            k = torch.nn.functional.linear(h, w[p + "self_attn.k_proj.weight"]).view(b, t, self.kv, self.hd).transpose(1, 2)
            v = torch.nn.functional.linear(h, w[p + "self_attn.v_proj.weight"]).view(b, t, self.kv, self.hd).transpose(1, 2)
            q = q * cos + self.rotate_half(q) * sin
            k = k * cos + self.rotate_half(k) * sin
            if cache is not None:
                if len(cache) > i:
                    k = torch.cat((cache[i][0], k), 2)
                    v = torch.cat((cache[i][1], v), 2)
                    cache[i] = (k, v)
                else:
                    cache.append((k, v))
            rep = self.h // self.kv
            k = k.repeat_interleave(rep, 1)
            v = v.repeat_interleave(rep, 1)
            s = q @ k.transpose(2, 3) / math.sqrt(self.hd)
            if mask is not None:
                s = s + mask
            a = (s.softmax(-1) @ v).transpose(1, 2).reshape(b, t, -1)
            x = x + torch.nn.functional.linear(a, w[p + "self_attn.o_proj.weight"])
            h = self.norm(x, w[p + "post_attention_layernorm.weight"])
            g = torch.nn.functional.linear(h, w[p + "mlp.gate_proj.weight"])
            u = torch.nn.functional.linear(h, w[p + "mlp.up_proj.weight"])
            x = x + torch.nn.functional.linear(torch.nn.functional.silu(g) * u, w[p + "mlp.down_proj.weight"])
        return torch.nn.functional.linear(self.norm(x, self.w["model.norm.weight"]), self.head)


def main():
    d, seq, new_tokens, repeats, java_out, threads = sys.argv[1:7]
    seq, new_tokens, repeats, threads = int(seq), int(new_tokens), int(repeats), int(threads)
    torch.set_num_threads(threads)
    m = Llama(d)
    java = read_safetensors(java_out)
    ids = java["input_ids"]
    print(f"torch eager: torch {torch.__version__}, {torch.get_num_threads()} threads")
    with torch.inference_mode():
        logits = m.forward(ids)
        diff = (logits - java["logits"]).abs().max().item()
        print(f"torch vs jlora logits on the same input: max |diff| = {diff:.2e}")
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter(); m.forward(ids); times.append(time.perf_counter() - t0)
        fwd = sorted(times)[len(times) // 2]
        print(f"torch forward [1,{seq}]: {fwd:.3f} s median of {repeats}, {seq / fwd:.0f} tokens/s")
        prompt = ids[:, :16]
        rates, out = [], None
        for _ in range(repeats):
            t0 = time.perf_counter()
            cache, toks, x = [], [], prompt
            for _ in range(new_tokens):
                nxt = m.forward(x, cache)[:, -1].argmax(-1, keepdim=True)
                toks.append(int(nxt)); x = nxt
            rates.append(new_tokens / (time.perf_counter() - t0)); out = toks
        print(f"torch generate {new_tokens} new tokens after a 16-token prompt, KV cache, greedy: "
              f"{sorted(rates)[len(rates) // 2]:.1f} tokens/s median")
        print(f"torch greedy ids: {out}")


if __name__ == "__main__":
    main()
