"""Loads jlora's output folders with the reference stack (transformers + PEFT) and prints the loss of
the given token ids as JSON: {"adapter": loss with PeftModel.from_pretrained(base, ADAPTER),
"merged": loss with AutoModelForCausalLM.from_pretrained(MERGED)}.

    /work/venv/bin/python tests/peft_reference.py BASE ADAPTER MERGED '[5, 9, 23]'
"""
import json
import sys

import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM


def loss(model, ids):
    x = torch.tensor([ids])
    with torch.no_grad():
        return model(input_ids=x, labels=x).loss.item()


def main():
    base_dir, adapter_dir, merged_dir, ids = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    base = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    adapted = PeftModel.from_pretrained(base, adapter_dir)
    merged = AutoModelForCausalLM.from_pretrained(merged_dir, dtype=torch.float32)
    print(json.dumps({"adapter": loss(adapted.eval(), ids), "merged": loss(merged.eval(), ids)}))


if __name__ == "__main__":
    main()
