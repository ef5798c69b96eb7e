// The grammar of one statement (LANGUAGE.md §3), as a chevrotain CST parser. The layout pass has
// already split the file into statements, so the entry rule is `statement`.
// Precedence, loosest first: or < and < not < comparison (non-associative) < + - < * / < unary - <
// ^ (right-associative) < postfix call/index < primary. grammar/sftgo.ebnf is the readable form of
// these rules; test/parse/grammar-drift.test.ts keeps the two in step.
import { CstParser, type CstNode } from './chevrotain.js';
import { parserErrorMessages } from './messages.js';
import {
  AdditiveOperator, AndOperator, ArgumentName, Arrow, Callee, BlockKeyword, Caret, Comma, ComparisonOperator, EntrySeparator, Equals, False, Group,
  Identifier, Import, LBrace, LBracket, Let, LParen, LEXER_TOKENS, Loss, Minus, MultiplicativeOperator, Name, NotOperator,
  NumberLiteral, Objective, OrOperator, Param, Per, PercentLiteral, RankDirectionKeyword, RankScopeKeyword, RBrace, RBracket,
  RParen, Reward, StringLiteral, True,
} from './tokens.js';

export class SftgoParser extends CstParser {
  /**
   * `validate` runs chevrotain's grammar checks (ambiguities, left recursion): a test does that once;
   * the process-wide instance skips them because they cost start-up time on every `sftgoc check`.
   */
  constructor({ validate }: { validate: boolean }) {
    super(LEXER_TOKENS, {
      recoveryEnabled: true,
      maxLookahead: 3,
      errorMessageProvider: parserErrorMessages,
      nodeLocationTracking: 'none',
      skipValidations: !validate,
    });
    this.performSelfAnalysis();
  }

  statement = this.RULE('statement', () => {
    this.OR({
      DEF: [
        { ALT: () => this.SUBRULE(this.objectiveStatement) },
        { ALT: () => this.SUBRULE(this.importStatement) },
        { ALT: () => this.SUBRULE(this.paramStatement) },
        { ALT: () => this.SUBRULE(this.letStatement) },
        { ALT: () => this.SUBRULE(this.groupStatement) },
        { ALT: () => this.SUBRULE(this.lossStatement) },
        { ALT: () => this.SUBRULE(this.rewardStatement) },
        { ALT: () => this.SUBRULE(this.blockStatement) },
      ],
      ERR_MSG: 'a statement (`group`, `loss`, `reward`, `param`, `let`, `import`, `objective` or a settings block)',
    });
  });

  objectiveStatement = this.RULE('objectiveStatement', () => {
    this.CONSUME(Objective);
    this.CONSUME(Identifier);
  });

  importStatement = this.RULE('importStatement', () => {
    this.CONSUME(Import);
    this.CONSUME(StringLiteral);
  });

  paramStatement = this.RULE('paramStatement', () => {
    this.CONSUME(Param);
    this.CONSUME(Identifier);
    this.CONSUME(Equals);
    this.SUBRULE(this.expression);
  });

  letStatement = this.RULE('letStatement', () => {
    this.CONSUME(Let);
    this.CONSUME(Identifier);
    this.CONSUME(Equals);
    this.SUBRULE(this.expression);
  });

  groupStatement = this.RULE('groupStatement', () => {
    this.CONSUME(Group);
    this.CONSUME(Identifier);
    this.CONSUME(Equals);
    this.SUBRULE(this.expression);
  });

  lossStatement = this.RULE('lossStatement', () => {
    this.CONSUME(Loss);
    this.CONSUME(Equals);
    this.SUBRULE(this.expression);
  });

  /** `reward = facts()`: the verifier of on-policy training (LANGUAGE.md §8); the checker reads the call. */
  rewardStatement = this.RULE('rewardStatement', () => {
    this.CONSUME(Reward);
    this.CONSUME(Equals);
    this.SUBRULE(this.expression);
  });

  /** `train { batch = 16, lr = 3e-4 }`: entries separated by commas or newlines. */
  blockStatement = this.RULE('blockStatement', () => {
    this.CONSUME(BlockKeyword);
    this.CONSUME(LBrace);
    this.MANY(() => this.CONSUME(EntrySeparator));
    this.OPTION(() => {
      this.SUBRULE(this.blockEntry);
      this.MANY2(() => {
        this.AT_LEAST_ONE(() => this.CONSUME2(EntrySeparator));
        this.OPTION2(() => this.SUBRULE2(this.blockEntry));
      });
    });
    this.CONSUME(RBrace);
  });

  blockEntry = this.RULE('blockEntry', () => {
    this.CONSUME(Name);
    this.CONSUME(Equals);
    this.SUBRULE(this.expression);
  });

  expression = this.RULE('expression', () => {
    this.SUBRULE(this.andExpression);
    this.MANY(() => {
      this.CONSUME(OrOperator);
      this.SUBRULE2(this.andExpression);
    });
  });

  andExpression = this.RULE('andExpression', () => {
    this.SUBRULE(this.notExpression);
    this.MANY(() => {
      this.CONSUME(AndOperator);
      this.SUBRULE2(this.notExpression);
    });
  });

  notExpression = this.RULE('notExpression', () => {
    this.OR({
      DEF: [
        {
          ALT: () => {
            this.CONSUME(NotOperator);
            this.SUBRULE(this.notExpression);
          },
        },
        { ALT: () => this.SUBRULE(this.comparison) },
      ],
      ERR_MSG: 'an expression',
    });
  });

  /** Non-associative: `a < b < c` is an error, not `(a < b) < c`. */
  comparison = this.RULE('comparison', () => {
    this.SUBRULE(this.additive);
    this.OPTION(() => {
      this.CONSUME(ComparisonOperator);
      this.SUBRULE2(this.additive);
    });
  });

  additive = this.RULE('additive', () => {
    this.SUBRULE(this.multiplicative);
    this.MANY(() => {
      this.CONSUME(AdditiveOperator);
      this.SUBRULE2(this.multiplicative);
    });
  });

  multiplicative = this.RULE('multiplicative', () => {
    this.SUBRULE(this.unary);
    this.MANY(() => {
      this.CONSUME(MultiplicativeOperator);
      this.SUBRULE2(this.unary);
    });
  });

  unary = this.RULE('unary', () => {
    this.OR({
      DEF: [
        {
          ALT: () => {
            this.CONSUME(Minus);
            this.SUBRULE(this.unary);
          },
        },
        { ALT: () => this.SUBRULE(this.power) },
      ],
      ERR_MSG: 'an expression',
    });
  });

  /** Right-associative, and binds tighter than unary minus: `-2^2` is `-(2^2)`, `2^-1` is allowed. */
  power = this.RULE('power', () => {
    this.SUBRULE(this.postfix);
    this.OPTION(() => {
      this.CONSUME(Caret);
      this.SUBRULE(this.unary);
    });
  });

  /** `ce[important]`: restriction to a group. */
  postfix = this.RULE('postfix', () => {
    this.SUBRULE(this.primary);
    this.MANY(() => {
      this.CONSUME(LBracket);
      this.SUBRULE(this.expression);
      this.CONSUME(RBracket);
    });
  });

  primary = this.RULE('primary', () => {
    this.OR({
      DEF: [
        { ALT: () => this.CONSUME(NumberLiteral) },
        { ALT: () => this.CONSUME(PercentLiteral) },
        { ALT: () => this.CONSUME(StringLiteral) },
        { ALT: () => this.CONSUME(True) },
        { ALT: () => this.CONSUME(False) },
        { ALT: () => this.SUBRULE(this.list) },
        { ALT: () => this.SUBRULE(this.parenthesized) },
        { ALT: () => this.SUBRULE(this.nameOrCall) },
      ],
      ERR_MSG: 'an expression',
    });
  });

  nameOrCall = this.RULE('nameOrCall', () => {
    this.CONSUME(Callee);
    this.OPTION(() => this.SUBRULE(this.callArguments));
  });

  /**
   * `(a, name = b, top 30% per batch)`; the comma before a rank is optional: `tfidf(smooth = true top 30%)`.
   * A rank is accepted anywhere so that to-ast.ts can say "the rank must come last" rather than a bare syntax error.
   */
  callArguments = this.RULE('callArguments', () => {
    this.CONSUME(LParen);
    this.OPTION(() => {
      this.OR([{ ALT: () => this.SUBRULE(this.rank) }, { ALT: () => this.SUBRULE(this.argument) }]);
      this.MANY(() => {
        this.OR2([
          {
            ALT: () => {
              this.CONSUME(Comma);
              this.OR3({
                DEF: [{ ALT: () => this.SUBRULE2(this.rank) }, { ALT: () => this.SUBRULE2(this.argument) }],
                ERR_MSG: 'an argument',
              });
            },
          },
          { ALT: () => this.SUBRULE3(this.rank) },
        ]);
      });
      this.OPTION2(() => this.CONSUME2(Comma));
    });
    this.CONSUME(RParen);
  });

  /** A positional or keyword argument; its value may be a schedule's `from -> to`. */
  argument = this.RULE('argument', () => {
    this.OPTION(() => {
      this.CONSUME(ArgumentName);
      this.CONSUME(Equals);
    });
    this.SUBRULE(this.expression);
    this.OPTION2(() => {
      this.CONSUME(Arrow);
      this.SUBRULE2(this.expression);
    });
  });

  /** `top 30% per batch`, `bottom η`. */
  rank = this.RULE('rank', () => {
    this.CONSUME(RankDirectionKeyword);
    this.SUBRULE(this.expression);
    this.OPTION(() => {
      this.CONSUME(Per);
      this.CONSUME(RankScopeKeyword);
    });
  });

  list = this.RULE('list', () => {
    this.CONSUME(LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.expression);
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.expression);
      });
      this.OPTION2(() => this.CONSUME2(Comma));
    });
    this.CONSUME(RBracket);
  });

  parenthesized = this.RULE('parenthesized', () => {
    this.CONSUME(LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(RParen);
  });
}

// Built once per process: constructing the parser runs chevrotain's grammar analysis.
let parserInstance: SftgoParser | undefined;
export function sftgoParser(): SftgoParser {
  parserInstance ??= new SftgoParser({ validate: false });
  return parserInstance;
}

export type { CstNode };
