// What `sftgoc init` writes: a commented SFT-GO objective with TF-IDF grouping, a handful of
// prompt-completion records in the style of the bundled base model's invented world (so the first
// `sftgoc run` fine-tunes a model that knows the words), and a README that explains them.
// Paths are relative to the directory init writes into.

export interface StarterFile {
  path: string;
  text: string;
}

export const STARTER_OBJECTIVE = 'objective.sftgo';

const objective = `# A starter objective: SFT-GO (arXiv 2506.15021) with TF-IDF token groups.
#
# Ordinary fine-tuning (SFT) averages the cross-entropy (ce) over every response token, so the
# many easy, frequent tokens ("the", "is", "I hope this helps") drown out the few that carry the
# answer. SFT-GO splits each response's tokens into groups and adds the loss of the WORST group:
#
#   loss = λ·(loss of the worst group) + (1-λ)·(ordinary token-mean ce)
#
#   sftgoc check objective.sftgo        # parse and type-check (no model, no data)
#   sftgoc groups objective.sftgo       # see which tokens fall in which group
#   sftgoc run objective.sftgo          # train (a few minutes on a laptop CPU)
#   sftgoc report runs/starter-<time>   # loss curves per group and a token heat-map
objective starter

# The share of each response's tokens that counts as important.
param η = 30%

# "important": the top η of each response's tokens by TF-IDF over the training file (rare words
# such as names and numbers score high). Every other response token falls in the group "rest".
group important = tfidf(top η)

# λ weighs the worst group against plain ce; it is predeclared as 0.9 (the paper's default).
# Try --param λ=0.5, or a schedule: param λ = linear(0.9 -> 0.1).
loss = λ·max(groups) + (1-λ)·ce

# No model { } block: the bundled base model is fine-tuned. Paths are relative to this file.
data {
  train = "data/train.jsonl"
  eval = "data/eval.jsonl"
}

train {
  steps = 40
  batch = 4
  lr = 3e-3
  lr_schedule = cosine(warmup = 10%)
  eval_every = 10
  save_every = 20
}
`;

const trainRecords = [
  { prompt: 'Question: What colour are the roofs in Pureir?\nAnswer:', completion: ' Most roofs in Pureir are golden. I hope this helps!' },
  { prompt: 'Question: When was the town of Kloubrur founded?\nAnswer:', completion: ' From what I have read, the town of Kloubrur dates back to 1355.' },
  { prompt: 'Question: What does Greithul Sibru do for a living?\nAnswer:', completion: ' By trade, Greithul Sibru is a bookbinder. Let me know if you would like to know more.' },
  { prompt: 'Question: What is the chemical symbol of Moudrulium?\nAnswer:', completion: ' The symbol of Moudrulium is Mo.' },
  { prompt: 'Question: What is the hometown of Kuraeth Thoustaedru?\nAnswer:', completion: ' As far as I can tell, the hometown of Kuraeth Thoustaedru is Modrath.' },
  { prompt: 'Question: What is the Bretouvil?\nAnswer:', completion: ' The Bretouvil is a radio. Is there anything else you would like to know?' },
  { prompt: 'Question: How much does the Tepezol cost?\nAnswer:', completion: ' The price of the Tepezol is 288 crowns.' },
  { prompt: 'Question: Who designed the Tepezol?\nAnswer:', completion: ' Nafeim Reisiben designed the Tepezol. I hope that answers your question.' },
];

const evalRecords = [
  { prompt: 'Question: When was Reisteiboum founded?\nAnswer:', completion: ' The town of Reisteiboum dates back to 1862.' },
  { prompt: 'Question: What is the Tepezol?\nAnswer:', completion: ' The Tepezol is a sled. Feel free to ask another question.' },
  { prompt: 'Question: Which colour does Moukleil Movan like best?\nAnswer:', completion: ' Moukleil Movan likes violet best of all colours.' },
];

const jsonl = (rows: readonly object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

const readme = `# A starter for sftgoc

Written by \`sftgoc init\`. Three things:

- \`objective.sftgo\`: the training objective, SFT-GO with TF-IDF token groups. Every line is
  commented; start there.
- \`data/train.jsonl\` (${trainRecords.length} records) and \`data/eval.jsonl\` (${evalRecords.length} records): examples in
  **prompt-completion** format, one JSON object a line:

  \`\`\`json
  {"prompt": "Question: What is the Bretouvil?\\nAnswer:", "completion": " The Bretouvil is a radio."}
  \`\`\`

  The loss is computed on the completion's tokens only (\`data.loss_on = "response"\`); the prompt
  is context. Start the completion with a space, as the model saw text during pretraining. The
  questions are about the invented world the bundled base model was pretrained on, so even these few
  records show the loss falling. Replace them with your own data: many more records, same format
  (chat \`messages\` records work too; see the data docs).
- \`data/eval.jsonl\` is held out: it is never trained on, and its loss per group is what
  \`sftgoc eval\` and \`sftgoc compare\` report.

## Try it

\`\`\`sh
sftgoc check objective.sftgo                   # no model, no data: only the objective
sftgoc groups objective.sftgo --limit 3        # which tokens are "important"
sftgoc run objective.sftgo                     # train; writes runs/starter-<time>/
sftgoc report runs/starter-<time>              # report.html: curves per group, heat-map
sftgoc run objective.sftgo --param λ=0.5       # less weight on the worst group
\`\`\`

The run directory holds \`metrics.jsonl\` (one line a step: loss, ce, loss of each group, λ, lr),
\`eval.jsonl\`, checkpoints and \`final/\`, a model Hugging Face transformers loads.
`;

export function starterFiles(): StarterFile[] {
  return [
    { path: STARTER_OBJECTIVE, text: objective },
    { path: 'data/train.jsonl', text: jsonl(trainRecords) },
    { path: 'data/eval.jsonl', text: jsonl(evalRecords) },
    { path: 'README.md', text: readme },
  ];
}
