import { strict as assert } from 'node:assert';
import { containsAnswer, exactMatch, factShare, normalizeAnswer, scoreCompletion, scoreSummary } from '../../src/data/score.js';

describe('scoring generated answers (src/data/score.ts)', () => {
  describe('normalizeAnswer', () => {
    const cases: Array<[string, string]> = [
      ['The Sisoth.', 'sisoth'],
      ['  An  amber\tkettle!\n', 'amber kettle'],
      ['a', ''],
      ['', ''],
      ['...', ''],
      // Articles go only as whole words.
      ['Theodora and Anna', 'theodora and anna'],
      // Punctuation becomes a space: words stay apart.
      ["Movan's kettle", 'movan s kettle'],
      ['red/blue', 'red blue'],
      ['well-known', 'well known'],
      // Numbers: thousands commas dropped, decimal points kept, a leading minus kept.
      ['About 1,862 people.', 'about 1862 people'],
      ['1,234,567', '1234567'],
      ['It melts at 3.5 degrees.', 'it melts at 3.5 degrees'],
      ['Founded in 1437, by monks', 'founded in 1437 by monks'],
      ['-40 degrees', '-40 degrees'],
      ['\u221240', '-40'],
      ['range 10-20', 'range 10 20'],
      // Unicode: NFKC folds full-width digits and letters and the ﬁ ligature; case folds; accents stay.
      ['\uff11\uff18\uff16\uff12', '1862'],
      ['ＴＨＥ Ｓｉｓｏｔｈ', 'sisoth'],
      ['ﬁre', 'fire'],
      ['Éléonore', 'éléonore'],
      // Zero-width space and soft hyphen are deleted, a non-breaking space is a space.
      ['Sis\u200both', 'sisoth'],
      ['Sis\u00adoth', 'sisoth'],
      ['amber\u00a0kettle', 'amber kettle'],
      // Symbols are punctuation too.
      ['£12 + 5%', '12 5'],
      ['«Velmora»', 'velmora'],
    ];
    for (const [input, expected] of cases) {
      it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => assert.equal(normalizeAnswer(input), expected));
    }
  });

  describe('exactMatch and containsAnswer', () => {
    it('exact match is equality after normalisation', () => {
      assert.equal(exactMatch('The Sisoth.', 'sisoth'), true);
      assert.equal(exactMatch(' 1,862', '1862'), true);
      assert.equal(exactMatch('The Sisoth flows.', 'Sisoth'), false);
      assert.equal(exactMatch('', ''), true);
      assert.equal(exactMatch('', 'Sisoth'), false);
    });

    it('containment is of whole words', () => {
      assert.equal(containsAnswer('It flows through the Sisoth.', 'Sisoth'), true);
      assert.equal(containsAnswer('It flows through Sisothan.', 'Sisoth'), false);
      assert.equal(containsAnswer('The Kopel came out in 1907.', '1907'), true);
      assert.equal(containsAnswer('The Kopel came out in 19070.', '1907'), false);
      assert.equal(containsAnswer('It costs 706 crowns, they say.', '706 crowns'), true);
      assert.equal(containsAnswer('It costs 706 silver crowns.', '706 crowns'), false, 'the words must be consecutive');
      assert.equal(containsAnswer('Born on 11 September 1924.', '11 September 1924'), true);
      assert.equal(containsAnswer('About 37,988 people live there.', '37988'), true);
      assert.equal(containsAnswer('It melts at 1.5 degrees.', '15 degrees'), false, 'a decimal point is not dropped');
    });

    it('edge cases: empty completion, empty answer, exact implies contains', () => {
      assert.equal(containsAnswer('', 'Sisoth'), false);
      assert.equal(containsAnswer('Anything at all', ''), false, 'an answer of nothing is found nowhere');
      assert.equal(containsAnswer('', 'the'), true, 'but an empty completion matches it exactly');
      assert.equal(containsAnswer('The.', 'a'), true);
    });
  });

  describe('factShare', () => {
    it('is the share of facts found as whole words', () => {
      const completion = 'Sure! The Gaenem costs 706 crowns and came out in 1992. It is a harp.';
      assert.equal(factShare(completion, ['706 crowns', '1992', 'harp', 'Rudas Seigae']), 3 / 4);
      assert.equal(factShare(completion, ['white']), 0);
      assert.equal(factShare('', ['white', 'harp']), 0);
      assert.equal(factShare(completion, []), undefined);
    });
  });

  describe('scoreCompletion and scoreSummary', () => {
    it('scores what the record has, and nothing else', () => {
      assert.deepEqual(scoreCompletion(' The Sisoth.', { answer: 'Sisoth', facts: ['Sisoth', 'Velmora'] }), { exact: 1, contains: 1, facts: 0.5 });
      assert.deepEqual(scoreCompletion('It is the Sisoth.', { answer: 'Sisoth' }), { exact: 0, contains: 1 });
      assert.deepEqual(scoreCompletion('It is the Sisoth.', { facts: ['Velmora'] }), { facts: 0 });
      assert.deepEqual(scoreCompletion('It is the Sisoth.', {}), {});
      assert.deepEqual(scoreCompletion('', { answer: 'Sisoth' }), { exact: 0, contains: 0 });
    });

    it('means over the completions that have each score', () => {
      const summary = scoreSummary([
        { exact: 1, contains: 1, facts: 1 },
        { exact: 0, contains: 1 },
        { facts: 0.5 },
        {},
      ]);
      assert.deepEqual(summary, { n: 4, nAnswer: 2, nFacts: 2, exact: 0.5, contains: 1, facts: 0.75 });
      assert.deepEqual(scoreSummary([]), { n: 0, nAnswer: 0, nFacts: 0 });
      assert.deepEqual(scoreSummary([{}, {}]), { n: 2, nAnswer: 0, nFacts: 0 });
    });
  });
});
