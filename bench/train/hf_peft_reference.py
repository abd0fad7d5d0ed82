"""Hugging Face transformers + PEFT reference for bench/train/run.sh (the real peer, where a Python
with torch, transformers and peft is at hand; see README.md): the same model folder loaded with
AutoModelForCausalLM in float32, PEFT's LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05,
target_modules="all-linear"), torch.optim.AdamW (lr 2e-4) on the adapter, the ids TrainBench.java
and torch_reference.py use, labels = ids, and transformers' gradient checkpointing (non-reentrant)
for the "on" mode. Prints what torch_reference.py prints, tagged hf.

    PYTHON hf_peft_reference.py MODEL_DIR BATCH SEQ STEPS THREADS on|off [DROPOUT (0.05)]
"""
import sys, time
import torch
import transformers
import peft
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM

# the same memory readings as the eager reference beside it
from torch_reference import reset_peak, status


class PhaseClock:
    """The phases TrainBench prints (StepPhases), for this model: forward (embedding and layers), head
    (final norm, lm_head and loss, forward and backward), backward (the rest of backward: under
    checkpointing it includes the layers' recomputation, which torch stops early by an exception, so
    module hooks cannot time it apart), optimizer; from a pre-hook on the final norm and a gradient
    hook on its input."""

    def __init__(self, model):
        model.get_base_model().model.norm.register_forward_pre_hook(self._head_start)

    def begin(self, t0):
        self.t0, self.head_start, self.head_grad = t0, None, None

    def _head_start(self, module, args):
        self.head_start = time.perf_counter()
        if args[0].requires_grad:
            args[0].register_hook(self._head_grad)

    def _head_grad(self, grad):
        self.head_grad = time.perf_counter()

    def phases(self, t_forward, t_backward, t_end):
        head_bwd = (self.head_grad or t_backward) - t_forward
        return "forward=%.2f head=%.2f backward=%.2f optimizer=%.2f" % (
            self.head_start - self.t0, t_forward - self.head_start + head_bwd,
            t_backward - t_forward - head_bwd, t_end - t_backward)


def main():
    d, batch, seq, steps, threads, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    dropout = float(sys.argv[7]) if len(sys.argv) > 7 else 0.05
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    model = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32)
    rss_loaded = status("VmRSS:")
    whole_peak = status("VmHWM:")
    if mode == "on":
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=dropout, target_modules="all-linear",
                                             task_type="CAUSAL_LM"))
    model.train()
    vocab = model.config.vocab_size
    ids = torch.tensor([[(r * 7919 + t * 104729 + 13) % vocab for t in range(seq)] for r in range(batch)])
    params = [p for p in model.parameters() if p.requires_grad]
    print(f"hf transformers {transformers.__version__} + peft {peft.__version__} (torch {torch.__version__}, "
          f"attention {model.config._attn_implementation}), {torch.get_num_threads()} threads, LoRA r16 all-linear: "
          f"{sum(p.numel() for p in params) / 1e6:.2f}M trainable, checkpointing {mode}; RSS with the model loaded {rss_loaded:.0f} MiB")
    opt = torch.optim.AdamW(params, lr=2e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    clock = PhaseClock(model)
    resident = status("VmRSS:")  # model loaded, LoRA attached
    tokens = seconds = worst = 0.0
    first = float("nan")
    for s in range(1, steps + 1):
        reset = reset_peak()
        before = status("VmRSS:")
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        clock.begin(t0)
        loss = model(input_ids=ids, labels=ids).loss
        t_forward = time.perf_counter()
        loss.backward()
        t_backward = time.perf_counter()
        opt.step()
        dt = time.perf_counter() - t0
        print("hf-phases step=%d %s" % (s, clock.phases(t_forward, t_backward, t0 + dt)), flush=True)
        peak = status("VmHWM:")
        whole_peak = max(whole_peak, peak)
        added = peak - resident if reset else float("nan")
        worst = max(worst, added)
        if s == 1:
            first = added
            first_loss = loss.item()
        if s > 1:
            tokens += batch * seq
            seconds += dt
        print(f"  step {s}: loss {loss.item():.6f}, {dt:.2f} s, {batch * seq / dt:.0f} tokens/s, "
              f"peak {peak:.0f} MiB = loaded model {resident:.0f} + {added:.0f} (RSS before the step {before:.0f})", flush=True)
    print(f"hf-result checkpointing={mode} tokens_per_s={tokens / seconds:.1f} step_added_mib={worst:.0f} first_step_added_mib={first:.0f} first_loss={first_loss:.6f}")
    print(f"hf whole-process peak RSS {max(whole_peak, status('VmHWM:')):.0f} MiB")


if __name__ == "__main__":
    main()
