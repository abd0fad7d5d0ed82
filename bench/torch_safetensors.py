"""The safetensors reader of the bench's PyTorch references (they run with Debian's python3-torch,
which has no safetensors package): every tensor of one file, half-precision ones widened to float32
(every one with all_float). Imported by bench/model and bench/train, whose scripts put bench/ on the path.
"""
import json
import struct

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64, "I32": torch.int32}


def read_safetensors(path, all_float=False):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        b, e = v["data_offsets"]
        t = torch.frombuffer(bytearray(data[b:e]), dtype=DTYPES[v["dtype"]]) if e > b else torch.empty(0, dtype=DTYPES[v["dtype"]])
        t = t.reshape(v["shape"])
        out[k] = t.float() if all_float or v["dtype"] in ("F16", "BF16") else t
    return out
