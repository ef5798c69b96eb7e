// What the type checker records for lowering: each expression's type and what each identifier
// refers to. Its own file so that helpers of the checker (constant.ts) can read it without
// importing the checker.
import type { Span } from '../diagnostics/span.js';
import type { Expression, Identifier } from '../parse/ast.js';
import type { TokenQuantity } from '../language/values.js';
import type { Definition } from './names.js';
import type { CheckType } from './types.js';

/** What an identifier refers to after resolution. */
export type Reference =
  | { kind: 'definition'; definition: Definition }
  | { kind: 'token'; name: TokenQuantity }
  | { kind: 'clock'; name: 'step' | 'progress' }
  | { kind: 'groups' }
  | { kind: 'rest' };

export interface TypeInfo {
  types: Map<Expression, CheckType>;
  references: Map<Identifier, Reference>;
  definitionTypes: Map<Definition, CheckType>;
  /** Where the objective reads the reference model or rewards (first use), for the `requires` notes. */
  usesReference?: Span;
}
