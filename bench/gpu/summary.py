"""Summarises bench/gpu/run.sh's speed rounds (results.jsonl lines with tokens_per_s on stdin): every
run, then per checkpointing mode the median of the per-round jlora/PEFT ratios with their spread."""
import json
import statistics
import sys

rows = [json.loads(line) for line in sys.stdin if line.strip()]
for r in rows:
    print("%-16s %-18s checkpointing %-3s %9.0f tokens/s  peak %6.2f GiB  loss %.4f" % (
        r["step"], r["side"], r["checkpointing"], r["tokens_per_s"], r["peak_gib"] or 0, r["last_loss"]))
by_round = {}
for r in rows:
    step = r["step"]
    if "-r" in step:
        by_round.setdefault((r["checkpointing"], step.rsplit("-r", 1)[1]), {})[r["side"]] = r
for mode in ("on", "off"):
    pairs = [v for (m, _), v in sorted(by_round.items()) if m == mode and {"jlora-gpu", "hf-peft"} <= set(v)]
    if not pairs:
        continue
    ratios = [p["jlora-gpu"]["tokens_per_s"] / p["hf-peft"]["tokens_per_s"] for p in pairs]
    mem = [(p["jlora-gpu"]["peak_gib"], p["hf-peft"]["peak_gib"]) for p in pairs]
    print("checkpointing %s: jlora/PEFT tokens/s median %.2fx over %d rounds (%s); peak %.2f vs %.2f GiB" % (
        mode, statistics.median(ratios), len(ratios), ", ".join("%.2f" % x for x in ratios), mem[0][0], mem[0][1]))
q = [r for r in rows if r["side"] == "jlora-gpu-qlora"]
lora_on = [r["tokens_per_s"] for r in rows if r["side"] == "jlora-gpu" and r["checkpointing"] == "on"]
if q and lora_on:
    print("QLoRA (int4) / LoRA step time, checkpointing on: %.2f (%.0f vs median %.0f tokens/s), peak %.2f GiB" % (
        statistics.median(lora_on) / q[0]["tokens_per_s"], q[0]["tokens_per_s"], statistics.median(lora_on),
        q[0]["peak_gib"]))
