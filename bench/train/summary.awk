# The summary of bench/train/run.sh's log: per gradient-checkpointing mode, the median tokens/s of each
# side over rounds, and each side's ratio to jlora's harness and door as the median of the per-round
# ratios with every round's ratio (the spread); QLoRA/LoRA step-time ratios through the door; the
# median phases of a step (steady-state steps) of jlora and HF PEFT; the first step's losses; memory.
#   awk -f bench/median.awk -f bench/train/summary.awk LOG
function fields(    i, kv) {
  delete f
  for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
}
/^(jlora|torch|hf)-result/ {
  fields(); split($1, who, "-"); side = who[1]; mode = f["checkpointing"]
  record(side, mode, f["round"], f["tokens_per_s"])
  if (f["first_loss"] != "") loss[side, mode, f["round"]] = f["first_loss"]
  if (!((side, mode) in first) || f["first_step_added_mib"] + 0 > first[side, mode]) first[side, mode] = f["first_step_added_mib"]
  if (!((side, mode) in add) || f["step_added_mib"] + 0 > add[side, mode]) add[side, mode] = f["step_added_mib"]
}
/^door-result/ {
  fields(); side = "door-" f["kind"]; mode = f["checkpointing"]
  record(side, mode, f["round"], f["tokens_per_s"])
  if (!((side, mode) in peak) || f["peak_rss_mib"] + 0 > peak[side, mode]) peak[side, mode] = f["peak_rss_mib"]
}
/^(jlora|hf)-phases/ {
  fields(); split($1, who, "-"); side = who[1]; mode = f["checkpointing"]
  if (f["step"] == 1) next
  for (i = 2; i <= NF; i++) {
    split($i, kv, "=")
    if (kv[1] == "round" || kv[1] == "checkpointing" || kv[1] == "step") continue
    phase[side, mode, kv[1]] = phase[side, mode, kv[1]] " " kv[2]; phases[kv[1]] = 1
  }
}
function record(side, mode, round, value) {
  tps[side, mode, round] = value; all[side, mode] = all[side, mode] " " value
  modes[mode] = 1; rounds[round] = 1; sides[side] = 1; if (round + 0 > maxRound) maxRound = round + 0
}
function ratio(a, b, mode,    r, q, list, per) {
  list = ""; per = ""
  for (r = 1; r <= maxRound; r++) if (((a, mode, r) in tps) && ((b, mode, r) in tps) && tps[b, mode, r] > 0) {
    q = tps[a, mode, r] / tps[b, mode, r]; list = list " " q; per = per sprintf(" %.2f", q)
  }
  return list == "" ? "" : sprintf("%.2f (rounds:%s)", median(list), per)
}
END {
  print "tokens/s: median over rounds; ratios: median of the rounds' ratios (each round's in brackets)"
  print "  jlora = harness (TrainBench), door-lora / door-qlora = bin/jlora train (LoRA / --quantization int4),"
  print "  door-qlora-WHICH = the same QLoRA with --keep-quantized-outputs WHICH (none, attention, all),"
  print "  hf = transformers + PEFT, torch = PyTorch eager (Debian python3-torch)"
  for (mode in modes) {
    printf "checkpointing %s\n", mode
    n = split("jlora door-lora door-qlora door-qlora-none door-qlora-attention door-qlora-all hf torch", order, " ")
    for (k = 1; k <= n; k++) if ((order[k], mode) in all) printf "  %-20s %7.1f tokens/s\n", order[k], median(all[order[k], mode])
    split("jlora door-lora", ours, " "); split("hf torch", peers, " ")
    for (i = 1; i <= 2; i++) for (k = 1; k <= 2; k++) {
      q = ratio(ours[i], peers[k], mode)
      if (q != "") printf "  %s / %s: %s\n", ours[i], peers[k], q
    }
    q = ratio("door-lora", "door-qlora", mode)
    if (q != "") printf "  QLoRA step / LoRA step (door): %s\n", q
    split("none attention all", which, " ")
    for (k = 1; k <= 3; k++) {
      q = ratio("door-lora", "door-qlora-" which[k], mode)
      if (q != "") printf "  QLoRA step keeping %s of its outputs / LoRA step (door): %s\n", which[k], q
    }
    for (s2 = 1; s2 <= 2; s2++) {
      side = s2 == 1 ? "jlora" : "hf"; line = ""
      n = split("data forward head recompute backward optimizer", names, " ")
      for (j = 1; j <= n; j++) if ((side, mode, names[j]) in phase) line = line sprintf(" %s %.2f", names[j], median(phase[side, mode, names[j]]))
      if (line != "") printf "  %s phases (s, median of steady steps):%s\n", side, line
    }
    worst = -1; list = ""
    for (r = 1; r <= maxRound; r++) if ((("jlora", mode, r) in loss) && (("hf", mode, r) in loss)) {
      d = loss["jlora", mode, r] - loss["hf", mode, r]; if (d < 0) d = -d
      if (d > worst) worst = d; list = list sprintf(" %s/%s", loss["jlora", mode, r], loss["hf", mode, r])
    }
    if (worst >= 0) printf "  first-step loss jlora/hf:%s; largest difference %.2g\n", list, worst
  }
  print "memory a step adds above the loaded model (MiB), worst over rounds: first step of a fresh process / largest"
  for (mode in modes) {
    printf "checkpointing %-3s", mode
    split("jlora hf torch", order, " ")
    for (k = 1; k <= 3; k++) if ((order[k], mode) in add) printf "  %s %5d / %5d", order[k], first[order[k], mode], add[order[k], mode]
    n = split("door-lora door-qlora door-qlora-none door-qlora-attention door-qlora-all", doors, " ")
    for (k = 1; k <= n; k++) { side = doors[k]; if ((side, mode) in peak) printf "  %s peak RSS %d", side, peak[side, mode] }
    printf "\n"
  }
}
