"""Encodes texts with Hugging Face `tokenizers` and `transformers`, for scripts/dataset/check-hf.ts.

Reads a JSON list of strings on stdin; writes {"tokenizers": [...], "transformers": [...], "chat": str}
where each entry is {"ids": [...], "offsets": [[start, end], ...]} in code points. Needs only
`pip install tokenizers transformers jinja2` (no PyTorch). Usage: see check-hf.ts.
"""
import json
import sys

from tokenizers import Tokenizer
from transformers import AutoTokenizer

directory = sys.argv[1]
texts = json.load(sys.stdin)
fast = Tokenizer.from_file(f"{directory}/tokenizer.json")
auto = AutoTokenizer.from_pretrained(directory)
out = {"tokenizers": [], "transformers": []}
for text in texts:
    enc = fast.encode(text, add_special_tokens=False)
    out["tokenizers"].append({"ids": enc.ids, "offsets": [list(o) for o in enc.offsets], "decoded": fast.decode(enc.ids, skip_special_tokens=False)})
    batch = auto(text, add_special_tokens=False, return_offsets_mapping=True)
    out["transformers"].append({"ids": batch["input_ids"], "offsets": [list(o) for o in batch["offset_mapping"]], "decoded": auto.decode(batch["input_ids"])})
messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
out["chat"] = auto.apply_chat_template(messages, tokenize=False)
out["special"] = {"eos": auto.eos_token_id, "pad": auto.pad_token_id, "unk": auto.unk_token_id, "vocab": len(auto)}
json.dump(out, sys.stdout)
