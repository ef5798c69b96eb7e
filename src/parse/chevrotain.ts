// The one place that loads chevrotain. Its package entry (lib/src/api.js) pulls in ~700 modules (its
// sources and lodash-es), which took about a second to import on a loaded 2-core machine, most of
// `sftgoc check`'s start-up. The package also ships its own single-file ESM build of the same version
// (lib/chevrotain.mjs), which loads in tens of milliseconds. Its "exports" map does not name that
// file, so it is found next to the entry point; if a future version drops it, the entry point is used.
import type * as Chevrotain from 'chevrotain';

async function load(): Promise<typeof Chevrotain> {
  try {
    return (await import(new URL('../chevrotain.mjs', import.meta.resolve('chevrotain')).href)) as typeof Chevrotain;
  } catch {
    return import('chevrotain');
  }
}

const chevrotain = await load();

export const { createToken, createTokenInstance, createSyntaxDiagramsCode, CstParser, EOF, Lexer, tokenMatcher } = chevrotain;
export type { CstElement, CstNode, IParserErrorMessageProvider, IRecognitionException, IToken, TokenType } from 'chevrotain';
/** The lexer's instance type (`Lexer` above is only a value here). */
export type LexerInstance = Chevrotain.Lexer;
