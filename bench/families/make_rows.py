"""Writes N JSONL rows {"text": ...} of seeded pseudo-English, each ~900 words (well over 512 tokens).

    python make_rows.py OUT.jsonl [N]
"""
import json, random, sys

WORDS = ("the a of and to in is was for on that with as by at from this it an be are or which model data "
         "training language small weights layer memory fine tuning notebook step token vocabulary head "
         "attention window local global rotary norm learning rate adapter rank alpha quantized base float "
         "batch sequence loss gradient checkpoint java library process machine river mountain city garden "
         "winter summer music history science story morning evening friend teacher student question answer "
         "simple careful quickly slowly between under over before after because while although").split()
rng = random.Random(17)
n = int(sys.argv[2]) if len(sys.argv) > 2 else 8
with open(sys.argv[1], "w") as f:
    for _ in range(n):
        sentences = []
        for _ in range(90):
            s = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))
            sentences.append(s[0].upper() + s[1:] + ".")
        f.write(json.dumps({"text": " ".join(sentences)}) + "\n")
