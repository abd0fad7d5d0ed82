"""Has Hugging Face PEFT load adapters that jlora trained and checks its logits against jlora's.

    python check_peft_families.py CASES.json     # torch, transformers, peft; no network

CASES.json is a list of {"model": base model folder, "adapter": adapter folder jlora saved,
"input_ids": [[...]], "logits": jlora's logits [B][T][V] with the adapter}. Prints one line per case
and exits 1 when PEFT refuses an adapter or a logit differs by 1e-4 or more.
"""
import json, sys
import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM

failed = False
for case in json.load(open(sys.argv[1])):
    base = AutoModelForCausalLM.from_pretrained(case["model"], dtype=torch.float32, attn_implementation="eager")
    model = PeftModel.from_pretrained(base, case["adapter"]).eval()
    with torch.no_grad():
        logits = model(input_ids=torch.tensor(case["input_ids"])).logits
    diff = (logits - torch.tensor(case["logits"])).abs().max().item()
    ok = diff < 1e-4
    failed |= not ok
    print(("ok  " if ok else "FAIL"), case["model"], "max |logits - jlora| =", diff, flush=True)
sys.exit(1 if failed else 0)
