// What `sftgoc groups` shows, independent of the output format: each token of each shown sample
// with its text, whether it carries a loss, its group (loss tokens only) and its scores by scorer
// key (loss tokens only), and the model's ce when a model was given.
import type { Sample } from '../../data/types.js';
import type { SampleScores } from '../sample-scores.js';

export interface ViewToken {
  position: number;
  id: number;
  text: string;
  loss: boolean;
  /** Group name; null for tokens that carry no loss. */
  group: string | null;
  scores: Record<string, number>;
  ce?: number;
}

export interface ViewSample {
  /** Sample.index: the record's place in its file (after skipped records). */
  index: number;
  file: string;
  line: number;
  tokens: ViewToken[];
}

export interface GroupsView {
  objective: string;
  /** Declared groups in partition order, then `rest`. */
  groupNames: string[];
  /** The score columns shown, in order (scorer keys, `ref_ce`, and dynamic scorer keys with a model). */
  scoreKeys: string[];
  /** Short names for headings (`tfidf()` for `tfidf(smooth = true, sublinear = false)`); default the key. */
  labels: Record<string, string>;
  /** The score the heat-map colours by (the first scorer's), if any. */
  heatKey?: string;
  samples: ViewSample[];
}

export interface ViewInputs {
  objective: string;
  groupNames: string[];
  samples: readonly Sample[];
  texts: string[][];
  /** Per score key, per sample, aligned with Sample.ids. */
  scores: Record<string, SampleScores[]>;
  groups: Int32Array[];
  ce?: SampleScores[];
  labels?: Record<string, string>;
}

export function buildView(inputs: ViewInputs): GroupsView {
  const scoreKeys = Object.keys(inputs.scores);
  const samples = inputs.samples.map((s, i): ViewSample => ({
    index: s.index,
    file: s.source.file,
    line: s.source.line,
    tokens: s.ids.map((id, t): ViewToken => {
      const loss = s.lossMask[t] === true;
      const g = inputs.groups[i]![t]!;
      const token: ViewToken = {
        position: t, id, text: inputs.texts[i]![t]!, loss,
        group: loss && g >= 0 ? inputs.groupNames[g]! : null,
        scores: loss ? Object.fromEntries(scoreKeys.map((k) => [k, inputs.scores[k]![i]![t]!])) : {},
      };
      if (inputs.ce !== undefined && loss) token.ce = inputs.ce[i]![t]!;
      return token;
    }),
  }));
  const labels = Object.fromEntries(scoreKeys.map((k) => [k, inputs.labels?.[k] ?? k]));
  return { objective: inputs.objective, groupNames: inputs.groupNames, scoreKeys, labels, heatKey: scoreKeys[0], samples };
}
