"""Expected assistant-only labels for multi-turn Qwen3 conversations, as TRL gives them.

Writes, beside this script:
  tokenizer/            the golden llama-tiny byte-level BPE plus Qwen3's chat tokens (<|im_start|>,
                        <|im_end|> special; <think>, </think> added), EOS <|im_end|>, and Qwen3's real
                        chat template (../chat-templates/qwen3.jinja, which drops earlier turns' reasoning)
  qwen3-multiturn.json  {"rows": [{"messages", "text", "ids", "labels", "trl_text", "trl_ids", "trl_labels"}]}

"labels": transformers' apply_chat_template(return_assistant_tokens_mask=True) with Qwen3's real
template marked with {% generation %} around what the assistant writes (after its header, through
<|im_end|>\\n), the way TRL's training templates mark it; the marks change no rendered character
(checked). "trl_*": TRL's own path: get_training_chat_template(tokenizer) (TRL swaps Qwen3's template
for its qwen3_training one, which keeps every turn's think block) and the same mask, labels as TRL's
SFTTrainer builds them (input id where the mask is 1, else -100).

Run: /work/venv/bin/python make_masks.py   (transformers 5.18, trl 1.13, tokenizers)
"""
import json
import os
import shutil

from tokenizers import AddedToken, Tokenizer
from transformers import PreTrainedTokenizerFast
from trl.chat_template_utils import get_training_chat_template, qwen3_chat_template

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "golden", "llama-tiny", "model", "tokenizer.json")
# as Qwen3's tokenizer_config.json holds it (the file adds a final newline, which trim_blocks drops)
QWEN3 = open(os.path.join(HERE, "..", "chat-templates", "qwen3.jinja"), encoding="utf-8").read().rstrip("\n")


def marked(template):
    """Qwen3's template with {% generation %} around the assistant's part of its turn."""
    header = "{{- '<|im_start|>' + message.role + '\\n' }}{%- generation %}"
    old_branch = "        {%- if loop.index0 > ns.last_query_index %}\n            {%- if loop.last or (not loop.last and reasoning_content) %}"
    assert template.count(old_branch) == 1
    t = template.replace(old_branch, "        " + header + "\n" + old_branch)
    t = t.replace("'<|im_start|>' + message.role + '\\n<think>\\n' + reasoning_content", "'<think>\\n' + reasoning_content")
    assert t.count("{{- '<|im_start|>' + message.role + '\\n' + content }}") == 2
    t = t.replace("{{- '<|im_start|>' + message.role + '\\n' + content }}", "{{- content }}")
    end = "        {{- '<|im_end|>\\n' }}\n    {%- elif message.role == \"tool\" %}"
    assert t.count(end) == 1
    t = t.replace(end, "        {{- '<|im_end|>\\n' }}\n        {%- endgeneration %}\n    {%- elif message.role == \"tool\" %}")
    return t


def tokenizer():
    tok = Tokenizer.from_file(GOLDEN)
    tok.add_special_tokens([AddedToken("<|im_start|>", special=True, normalized=False),
                            AddedToken("<|im_end|>", special=True, normalized=False)])
    tok.add_tokens([AddedToken("<think>", special=False, normalized=False),
                    AddedToken("</think>", special=False, normalized=False)])
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                 bos_token=None, unk_token=None)
    hf.chat_template = QWEN3
    out = os.path.join(HERE, "tokenizer")
    shutil.rmtree(out, ignore_errors=True)
    hf.save_pretrained(out)
    for extra in ("special_tokens_map.json",):
        p = os.path.join(out, extra)
        if os.path.exists(p):
            os.remove(p)
    return hf


CONVERSATIONS = [
    # earlier reasoning inside the content, a last turn with reasoning_content, a system prompt
    [{"role": "system", "content": "You are terse."},
     {"role": "user", "content": "What is 2+2?"},
     {"role": "assistant", "content": "<think>\nadd them\n</think>\n\n4."},
     {"role": "user", "content": "And 3+3?"},
     {"role": "assistant", "content": "6.", "reasoning_content": "again, add"}],
    # unicode, three turns, no reasoning anywhere
    [{"role": "user", "content": "Bonjour, ça va ? 😀"},
     {"role": "assistant", "content": "Très bien, merci ! 你好"},
     {"role": "user", "content": "Et toi ?"},
     {"role": "assistant", "content": "  Moi aussi.  "},
     {"role": "user", "content": "Au revoir"},
     {"role": "assistant", "content": "À bientôt."}],
    # a tool call with no content, the tool's answer, the final reply
    [{"role": "user", "content": "Multiply 2 by 3."},
     {"role": "assistant", "content": "",
      "tool_calls": [{"type": "function", "function": {"name": "multiply", "arguments": {"a": 2, "b": 3}}}]},
     {"role": "tool", "content": "6"},
     {"role": "assistant", "content": "It is 6."}],
]


def labels_of(hf, messages, template):
    out = hf.apply_chat_template(messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True,
                                 chat_template=template)
    ids = list(out["input_ids"])
    mask = list(out["assistant_masks"])
    assert 1 in mask
    return ids, [i if m else -100 for i, m in zip(ids, mask)]


def main():
    assert QWEN3 == qwen3_chat_template, "not the template TRL knows as Qwen3's"
    hf = tokenizer()
    gen = marked(QWEN3)
    trl_template = get_training_chat_template(hf)
    assert trl_template is not None and "{% generation %}" in trl_template.replace("{%- generation %}", "{% generation %}")
    rows = []
    for messages in CONVERSATIONS:
        text = hf.apply_chat_template(messages, tokenize=False)
        assert text == hf.apply_chat_template(messages, tokenize=False, chat_template=gen), "marks changed the text"
        ids, labels = labels_of(hf, messages, gen)
        assert ids == hf(text, add_special_tokens=False)["input_ids"]
        trl_text = hf.apply_chat_template(messages, tokenize=False, chat_template=trl_template)
        trl_ids, trl_labels = labels_of(hf, messages, trl_template)
        rows.append({"messages": messages, "text": text, "ids": ids, "labels": labels,
                     "trl_text": trl_text, "trl_ids": trl_ids, "trl_labels": trl_labels})
    with open(os.path.join(HERE, "qwen3_training.jinja"), "w", encoding="utf-8") as f:
        f.write(trl_template)
    with open(os.path.join(HERE, "qwen3-multiturn.json"), "w", encoding="utf-8") as f:
        json.dump({"rows": rows}, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
