"""The pure parts of sftgoc_onpolicy.py on inputs from the TypeScript tests (test/engine/torch/
onpolicy.test.ts): a response's text from the byte table, normalize_answer, regex translation, the
reward verifiers and group advantages. Reads JSON from stdin, writes JSON to stdout."""
import json
import sys

sys.path.insert(0, sys.argv[1])
import sftgoc_onpolicy as op  # noqa: E402

req = json.load(sys.stdin)
out = {}
if 'decode' in req:
    out['decode'] = []
    for d in req['decode']:
        text = op.ResponseText(d['table'])
        out['decode'].append([text(ids) for ids in d['cases']])
if 'normalize' in req:
    out['normalize'] = [op.normalize_answer(s) for s in req['normalize']]
if 'regex' in req:
    results = []
    for case in req['regex']:
        try:
            pattern = op.translate_regex(case['pattern'])
            results.append({'matches': [bool(pattern.search(t)) for t in case['texts']]})
        except op.RegexRefused as e:
            results.append({'refused': str(e)})
    out['regex'] = results
if 'rewards' in req:
    out['rewards'] = [op.Rewarder(r['spec'], None)([(rec, text, j) for j, (rec, text) in enumerate(r['rows'])]) for r in req['rewards']]
if 'advantages' in req:
    out['advantages'] = [op.group_advantages(rs) for rs in req['advantages']]
json.dump(out, sys.stdout)
