"""Reference for FullFineTuningTest: one full fine-tuning step of a Llama model folder in plain torch
(the math of transformers' LlamaForCausalLM written out; no transformers needed), float64.

    /usr/bin/python3 full_step_reference.py MODEL_DIR CASES_SAFETENSORS OUT_SAFETENSORS

Reads input_ids [B, T] from CASES, computes the mean causal-LM cross-entropy with labels = input_ids
(shifted inside, as transformers does), its gradient for every parameter, and one
torch.optim.AdamW(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0) step on all of them.
Writes OUT as safetensors (float32): "loss", "grad.<name>" and "step1.<name>" for every parameter.
"""
import json, math, struct, sys
import torch
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        b, e = v["data_offsets"]
        out[k] = torch.frombuffer(bytearray(data[b:e]), dtype=DTYPES[v["dtype"]]).reshape(v["shape"])
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for k, t in tensors.items():
        b = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[k] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def main():
    model_dir, cases_path, out_path = sys.argv[1:4]
    torch.set_default_dtype(torch.float64)
    c = json.load(open(f"{model_dir}/config.json"))
    w = {k: v.double().clone().requires_grad_(True) for k, v in read_safetensors(f"{model_dir}/model.safetensors").items()}
    ids = read_safetensors(cases_path)["input_ids"].long()
    heads, kv = c["num_attention_heads"], c["num_key_value_heads"]
    hd = c.get("head_dim") or c["hidden_size"] // heads
    eps = c["rms_norm_eps"]
    theta = c.get("rope_theta") or c.get("rope_parameters", {}).get("rope_theta", 10000.0)

    def norm(x, weight):
        return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))

    b, t = ids.shape
    inv_freq = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.int64).double() / hd))
    freqs = torch.outer(torch.arange(t).double(), inv_freq)
    emb = torch.cat((freqs, freqs), -1)
    cos, sin = emb.cos(), emb.sin()
    mask = torch.full((t, t), float("-inf")).triu(1)
    x = w["model.embed_tokens.weight"][ids]
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = norm(x, w[p + "input_layernorm.weight"])
        q = F.linear(h, w[p + "self_attn.q_proj.weight"]).view(b, t, heads, hd).transpose(1, 2)
        k = F.linear(h, w[p + "self_attn.k_proj.weight"]).view(b, t, kv, hd).transpose(1, 2)
        v = F.linear(h, w[p + "self_attn.v_proj.weight"]).view(b, t, kv, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(heads // kv, 1)
        v = v.repeat_interleave(heads // kv, 1)
        s = (q @ k.transpose(2, 3)) / math.sqrt(hd) + mask
        o = (s.softmax(-1) @ v).transpose(1, 2).reshape(b, t, -1)
        x = x + F.linear(o, w[p + "self_attn.o_proj.weight"])
        h = norm(x, w[p + "post_attention_layernorm.weight"])
        gate = F.linear(h, w[p + "mlp.gate_proj.weight"])
        up = F.linear(h, w[p + "mlp.up_proj.weight"])
        x = x + F.linear(F.silu(gate) * up, w[p + "mlp.down_proj.weight"])
    head = w.get("lm_head.weight", w["model.embed_tokens.weight"])
    logits = F.linear(norm(x, w["model.norm.weight"]), head)
    loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
    loss.backward()
    out = {"loss": loss.detach().view(1)}
    for k, v in w.items():
        out["grad." + k] = v.grad.clone()
    opt = torch.optim.AdamW(list(w.values()), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    opt.step()
    for k, v in w.items():
        out["step1." + k] = v.detach()
    write_safetensors(out_path, out)
    print(f"loss {loss.item():.6f}, {len(w)} parameters, {sum(v.numel() for v in w.values())} values")


if __name__ == "__main__":
    main()
