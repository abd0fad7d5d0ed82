"""Builds tiny-austen's pretraining corpus and tokenizer from Debian's r-cran-janeaustenr.

The package ships Jane Austen's six novels (Project Gutenberg texts, public domain) as R lazy
data; rlazy.py reads them without R. Paragraphs are joined into passages of at most
MAX_TOKENS tokens (long paragraphs split at sentence ends), shuffled with SEED, and written as
JSON lines {"text": ...} for `jlora train`. The tokenizer is a byte-level BPE of VOCAB tokens
trained on the novels with Hugging Face `tokenizers`.

    apt-get download r-cran-janeaustenr      # or pass --deb to a copy
    /work/venv/bin/python make_corpus.py --deb r-cran-janeaustenr_1.0.0-1_all.deb --out build/tiny-austen

Writes OUT/tokenizer.json, OUT/tokenizer_config.json, OUT/corpus.jsonl (all passages, shuffled).
"""
import argparse, json, os, random, re, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rlazy

SEED = 21
VOCAB = 4096
MAX_TOKENS = 128  # passage length in tokens, the EOS the trainer appends included
NOVELS = ["prideprejudice", "sensesensibility", "emma", "mansfieldpark", "northangerabbey", "persuasion"]
SPECIALS = ["<|endoftext|>", "<|pad|>"]


def paragraphs(lines):
    """Blank-line separated paragraphs, each on one line; chapter headings and title pages dropped."""
    out, cur = [], []
    for line in lines + [""]:
        line = (line or "").strip()
        if line:
            cur.append(line)
            continue
        if cur:
            p = re.sub(r"\s+", " ", " ".join(cur)).replace("_", "")
            cur = []
            # headings ("CHAPTER 3", "VOLUME I"), title lines and other short upper-case lines
            if len(p.split()) < 4 or p.upper() == p:
                continue
            out.append(p)
    return out


def sentences(p):
    out = []
    for s in re.split(r"(?:(?<=[.!?])|(?<=[.!?][\"'])) (?=[\"'A-Z])", p):
        if out and re.search(r"\b(Mr|Mrs|Dr|St)\.$", out[-1]):
            out[-1] += " " + s  # "Mr. Darcy" is one sentence
        else:
            out.append(s)
    return out


def passages(paras, count):
    """Paragraphs packed greedily into passages of at most MAX_TOKENS - 1 tokens (EOS makes MAX_TOKENS)."""
    limit = MAX_TOKENS - 1
    units = []
    for p in paras:
        if count(p) <= limit:
            units.append((p, True))
        else:
            units.extend((s, False) for s in sentences(p) if count(s) <= limit)
    out, cur, cur_n = [], [], 0
    for text, whole in units:
        sep = "\n\n" if cur and whole else " "
        n = count(text) + (1 if cur else 0)
        if cur and cur_n + n > limit:
            out.append("".join(cur))
            cur, cur_n = [], 0
            sep, n = "", count(text)
        cur.append((sep if cur else "") + text)
        cur_n += n
    if cur:
        out.append("".join(cur))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--deb", help="r-cran-janeaustenr .deb (default: apt-get download it)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        deb = a.deb
        if deb is None:
            subprocess.run(["apt-get", "download", "r-cran-janeaustenr"], cwd=tmp, check=True)
            deb = os.path.join(tmp, [f for f in os.listdir(tmp) if f.endswith(".deb")][0])
        subprocess.run(["dpkg-deb", "-x", os.path.abspath(deb), tmp], check=True)
        data = os.path.join(tmp, "usr/lib/R/site-library/janeaustenr/data")
        books = rlazy.load(os.path.join(data, "Rdata.rdx"), os.path.join(data, "Rdata.rdb"))
    paras = [p for name in NOVELS for p in paragraphs(books[name])]

    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=SPECIALS, min_frequency=2,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(paras, trainer)
    tok.save(os.path.join(a.out, "tokenizer.json"))
    with open(os.path.join(a.out, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<|endoftext|>",
                   "eos_token": "<|endoftext|>", "pad_token": "<|pad|>", "model_max_length": 512}, f, indent=1)

    count = lambda s: len(tok.encode(s).ids)
    chunks = passages(paras, count)
    random.Random(SEED).shuffle(chunks)
    with open(os.path.join(a.out, "corpus.jsonl"), "w") as f:
        for c in chunks:
            f.write(json.dumps({"text": c}) + "\n")
    total = sum(count(c) + 1 for c in chunks)
    print(f"{len(paras)} paragraphs, {len(chunks)} passages, {total} tokens, vocabulary {tok.get_vocab_size()}")


if __name__ == "__main__":
    main()
