// One small source per checker diagnostic code; the golden test renders each and checks that the
// code it is named after is among the diagnostics. `files` are extra files the host serves.
export interface ErrorCase {
  source: string;
  files?: Record<string, string>;
  params?: Record<string, number>;
}

export const ERROR_CASES: Record<string, ErrorCase> = {
  E0201: { source: 'loss = mean(cee)' },
  E0202: { source: 'let w = v·2\nlet v = sg(p)\nloss = mean(w·ce)' },
  E0203: { source: 'param τ = 0.1\nparam τ = 0.2\nloss = mean(ce)' },
  E0204: { source: 'let step = 3\nloss = mean(ce)' },
  E0205: { source: 'import "./missing.sftgo"\nloss = mean(ce)' },
  E0206: {
    source: 'import "./a.sftgo"\nloss = mean(ce)',
    files: { 'a.sftgo': 'import "./b.sftgo"\n', 'b.sftgo': 'import "./main.sftgo"\n' },
  },
  E0207: {
    source: 'import "./base.sftgo"\nlet a = b·2\nloss = mean(a·ce)',
    files: { 'base.sftgo': 'let a = 1\nlet b = a + 1\n' },
  },
  E0208: { source: 'import "std/sftgo"\nlet η = 20%' },
  E0209: { source: 'loss = mean(ce)', params: { tau: 0.5 } },
  E0210: { source: 'group g = tfidf(top 30%)' },
  E0211: { source: 'loss = mean(ce)\nloss = max(groups)' },
  E0212: { source: 'loss = avg(ce)' },
  E0214: { source: 'import "./notes.txt"\nloss = mean(ce)' },
  E0213: { source: 'objective a\nobjective b\nloss = mean(ce)' },
  E0301: { source: 'loss = max(groups) + groups' },
  E0302: { source: 'loss = mean(0.5)' },
  E0303: { source: 'loss = clip(ce, 0)' },
  E0304: { source: 'group g = tfidf(top 30%)\nloss = smoothmax(groups, temprature = 0.5)' },
  E0305: { source: 'group g = tfidf(top 30%)\nloss = g' },
  E0306: { source: 'let x = groups\nloss = mean(ce)' },
  E0307: { source: 'group g = tfidf(top 30%)\nloss = mean(ce[0.5])' },
  E0308: { source: 'param λ = linear(0.9 -> mean(ce))\nloss = λ·mean(ce)' },
  E0309: { source: 'loss = mean(ce) + [1, 2]' },
  E0310: { source: 'loss = mean(ce(1))' },
  E0311: { source: 'param w = sg(p)\nloss = mean(w·ce)' },
  E0401: { source: 'loss = mean(ce)\ntrain { lr = 1e-4, batchsize = 8 }' },
  E0402: { source: 'loss = mean(ce)\ntrain { lr = 1e-4 }\ntrain { lr = 3e-4 }' },
  E0403: { source: 'loss = mean(ce)\ndata { format = "csv", max_len = -1 }' },
  E0404: { source: 'loss = mean(ce)\ntrain { lr = mean(ce) }' },
  E0501: { source: 'group g = tfidf(top 130%)\nloss = max(groups)' },
  E0502: { source: 'loss = mean(ce, top 30%)' },
  E0503: { source: 'group g = loss(top 30% per corpus)\nloss = max(groups)' },
  E0504: { source: 'group g = tfidf()\nloss = max(groups)' },
  E0505: { source: 'let k = sg(p)\ngroup g = tfidf(top k)\nloss = max(groups)' },
  E0506: { source: 'group g = regex("([a-z")\nloss = max(groups)' },
  E0508: { source: 'loss = mean(excess)' },
  E0701: { source: 'loss = mean(ce·advantage)\nreward = exact()' },
  E0702: { source: 'loss = mean(ce·advantage)\nsample { n = 4 }' },
  E0703: { source: 'loss = mean(ce·advantage)\nsample { n = 4 }\nreward = fact()' },
  E0704: { source: 'loss = mean(ce·advantage)\nsample { n = 4 }\nreward = command("./score.py", timeout = 0)', files: { 'score.py': '#!/usr/bin/env python3\n' } },
  E0705: { source: 'loss = mean(ce·advantage)\nsample { n = 4 }\nreward = command("./missing.py")' },
  W0706: { source: 'loss = mean(ce)\nsample { n = 4 }\nreward = contains()' },
  E0707: { source: 'loss = mean(ce·advantage)\nsample { n = 4 }\nreward = exact()\nreward = facts()' },
  W0215: { source: 'group g = tfidf(top 30%)\nloss = λ·max(groups) + (1-λ)·ce', params: { λ: 2 } },
  E0601: { source: Array.from({ length: 10_001 }, (_, i) => `param p${i} = 1`).join('\n') + '\nloss = mean(ce)' },
  E0602: { source: `loss = mean(${Array.from({ length: 600 }, () => 'ce').join(' + ')})` },
  E0603: { source: `param big = ${Array.from({ length: 10_001 }, () => '(1)').join(' + ')}\nloss = mean(ce)` },
  E0604: { source: 'train { steps = 1e999 }\nloss = mean(ce)' },
  E0605: {
    source: 'import "./f0.sftgo"\nloss = mean(ce)',
    files: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f${i}.sftgo`, `import "./f${i + 1}.sftgo"\n`])),
  },
};
