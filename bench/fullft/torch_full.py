"""PyTorch eager peer of FullFtBench: the same step on the same model folder and ids, as plain torch
ops (bench/train/torch_reference.py's Llama: HF's math), torch.optim.AdamW lr 2e-4, layer-wise
checkpointing (torch.utils.checkpoint, non-reentrant). Modes: full (every weight a parameter) and
lora (PEFT's LoRA r 16, alpha 32, dropout 0.05, all linear layers of the decoder). No lora-nf4:
bitsandbytes' 4-bit layers need CUDA.

    /usr/bin/python3 torch_full.py MODEL_DIR BATCH SEQ STEPS THREADS full|lora

Prints per step loss, time, tokens/s, then one torch-result line with the same fields as
FullFtBench's: steady tokens/s, whole-process peak RSS, RSS before loading and the peak above it.
"""
import os, sys, time
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))
import torch_reference as ref  # noqa: E402


class Dense(torch.nn.Module):
    def __init__(self, weight):
        super().__init__()
        self.weight = weight

    def forward(self, x):
        return F.linear(x, self.weight)


def main():
    d, batch, seq, steps, threads, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    before = ref.status("VmRSS:")
    ref.reset_peak()
    model = ref.Llama(d)
    if mode == "full":
        # the projections as plain linear layers over the checkpoint's weights, and every weight trainable
        for key, lora in list(model.lora.items()):
            model.lora[key] = Dense(lora.weight)
        params = []
        for name, w in model.w.items():
            w.requires_grad_(True)
            params.append(w)
    else:
        params = list(model.lora.parameters())
    loaded = ref.status("VmRSS:")
    vocab = model.c["vocab_size"]
    ids = torch.tensor([[(r * 7919 + t * 104729 + 13) % vocab for t in range(seq)] for r in range(batch)])
    trainable = sum(p.numel() for p in params)
    print(f"torch {mode}: {torch.__version__} eager, {torch.get_num_threads()} threads, {trainable / 1e6:.2f}M trainable;"
          f" RSS before loading {before:.0f} MiB, with the model loaded {loaded:.0f} MiB")
    opt = torch.optim.AdamW(params, lr=2e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    tokens = seconds = 0.0
    for s in range(1, steps + 1):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        logits = model(ids, True)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, vocab), ids[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
        dt = time.perf_counter() - t0
        del logits
        if s > 1:
            tokens += batch * seq
            seconds += dt
        print(f"  step {s}: loss {loss.item():.6f}, {dt:.2f} s, {batch * seq / dt:.0f} tokens/s, peak RSS so far {ref.status('VmHWM:'):.0f} MiB",
              flush=True)
    peak = ref.status("VmHWM:")
    print(f"torch-result mode={mode} tokens_per_s={tokens / seconds:.1f} peak_rss_mib={peak:.0f} before_load_mib={before:.0f}"
          f" added_mib={peak - before:.0f} trainable={trainable}")


if __name__ == "__main__":
    main()
