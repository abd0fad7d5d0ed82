"""How closely does PyTorch itself reproduce the golden one-step AdamW parameters?

Re-runs make_golden.py's adapter case (the same model, adapter and ids, transformers + PEFT, one
AdamW step at lr 1e-3) with the torch at hand and compares with the golden grad.* and step1.*,
relative to each tensor's largest entry, as GoldenTrainingTest compares jlora's. Needs a Python with
torch, transformers, peft and safetensors (bench/train/run.sh makes one from local wheels):

    PYTHON bench/train/golden_reproducibility.py THREADS [GOLDEN_DIR]
"""
import sys, torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM
from peft import PeftModel
G = sys.argv[2] if len(sys.argv) > 2 else "../shared/golden/llama-tiny"
torch.set_num_threads(int(sys.argv[1]))
cases = load_file(G + "/cases.safetensors")
ids = cases["input_ids"]
base = AutoModelForCausalLM.from_pretrained(G + "/model").float()
pm = PeftModel.from_pretrained(base, G + "/adapter", is_trainable=True)
pm.train()
o = pm(input_ids=ids, labels=ids)
o.loss.backward()
named = {n: p for n, p in pm.named_parameters() if p.requires_grad}
gerr = {}
for n, p in named.items():
    k = n.replace(".default", "")
    g = cases["grad." + k]
    gerr[k] = ((p.grad - g).abs().max() / g.abs().max()).item()
opt = torch.optim.AdamW(list(named.values()), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
opt.step()
worst = (0, None)
for n, p in named.items():
    k = n.replace(".default", "")
    e = cases["step1." + k]
    r = ((p.detach() - e).abs().max() / e.abs().max()).item()
    worst = max(worst, (r, k))
print(f"torch {torch.__version__}, {sys.argv[1]} threads: worst gradient error {max(gerr.values()):.3g}, worst step1 error {worst[0]:.3g} ({worst[1]})")
