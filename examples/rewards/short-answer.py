#!/usr/bin/env python3
# A reward program for `reward = command("rewards/short-answer.py")` (docs/on-policy.md).
# sftgoc runs it once per training step, without a shell, in the directory sftgoc was started in.
# stdin: one JSON object a line, {"prompt": TEXT, "response": TEXT, "record": {"index": I,
# "answer"?: TEXT, "facts"?: [TEXT]}}, for every response of the step in order.
# stdout: one number a line, in the same order, as many lines as it was given; exit 0.
# Anything else (a hang past the timeout, a non-zero exit, a line that is not a number, the wrong
# count) stops the run with an error naming the response; `sftgoc run --resume` redoes the step.
#
# This one rewards stating the record's facts on the first line of the answer, and takes a little
# off for every word beyond twelve on that line: facts first, briefly.
import json
import re
import sys


def words(text):
    return re.findall(r"[\w.-]+", text.lower())


for line in sys.stdin:
    item = json.loads(line)
    first_line = item["response"].strip().split("\n")[0]
    said = " ".join(words(first_line))
    facts = item["record"].get("facts") or ([item["record"]["answer"]] if "answer" in item["record"] else [])
    found = sum(1 for f in facts if " ".join(words(f)) in said) / len(facts) if facts else 0.0
    extra_words = max(0, len(words(first_line)) - 12)
    print(f"{found - 0.02 * extra_words:.6f}")
