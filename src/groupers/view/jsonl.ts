// `sftgoc groups --format jsonl`: one JSON object per token, every token of every shown sample:
// {sample, position, token_id, token, loss, scores: {KEY: value}, group, ce?}. `group` is null and
// `scores` empty for tokens that carry no loss; `ce` is present with a model.
import type { GroupsView } from './view-model.js';

export function renderJsonl(view: GroupsView): string[] {
  const lines: string[] = [];
  for (const s of view.samples) {
    for (const t of s.tokens) {
      const record: Record<string, unknown> = {
        sample: s.index, position: t.position, token_id: t.id, token: t.text, loss: t.loss, scores: t.scores, group: t.group,
      };
      if (t.ce !== undefined) record.ce = t.ce;
      lines.push(JSON.stringify(record));
    }
  }
  return lines;
}
