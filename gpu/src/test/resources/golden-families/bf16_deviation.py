"""PEFT's own bf16 deviation from its fp32 golden values: the yardstick of the GPU step's bf16 tolerance.

    /work/venv/bin/python bf16_deviation.py OUTDIR GOLDEN_DIR...

For each golden folder (model/, adapter/, cases.safetensors as lib's llama-tiny README describes), runs
transformers + PEFT with the base in bfloat16, LoRA weights in float32 and CPU autocast to bfloat16 (how
PEFT trains in bf16), train mode, labels = input_ids, and writes OUTDIR/<folder name>.json: the max
|logit - golden| and the worst over LoRA tensors of max |grad - golden| / max |golden|.
"""
import json
import os
import sys

import torch
from peft import PeftModel
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

out = sys.argv[1]
for d in sys.argv[2:]:
    cases = load_file(os.path.join(d, "cases.safetensors"))
    ids = cases["input_ids"]
    pm = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(os.path.join(d, "model"),
                                                                        dtype=torch.bfloat16),
                                   os.path.join(d, "adapter"), is_trainable=True)
    for p in pm.parameters():
        if p.requires_grad:
            p.data = p.data.float()
    pm.train()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        o = pm(input_ids=ids, labels=ids)
    o.loss.backward()
    worst, key = 0.0, ""
    for n, p in pm.named_parameters():
        if p.requires_grad:
            g = cases["grad." + n.replace(".default", "")]
            rel = ((p.grad.float() - g).abs().max() / g.abs().max()).item()
            if rel > worst:
                worst, key = rel, n.replace(".default", "")
    name = os.path.basename(os.path.normpath(d))
    r = {"case": name, "torch": torch.__version__, "loss": o.loss.item(),
         "golden_loss": cases["loss_adapter"].item(),
         "logits_max_abs_err": (o.logits.float() - cases["logits_adapter"]).abs().max().item(),
         "grad_max_rel_err": worst, "worst": key}
    json.dump(r, open(os.path.join(out, name + ".json"), "w"), indent=1)
    print(json.dumps(r))
