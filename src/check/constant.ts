// Compile-time values of number-typed expressions: literals, percents, arithmetic of those, and
// params or lets bound to them (a param through its `--param` override when one is given). Used for
// rank amounts, `over =` and the other places that need a constant.
import type { Expression } from '../parse/ast.js';
import type { TypeInfo } from './type-info.js';

export function constantValue(e: Expression, info: TypeInfo, overrides: Record<string, number>): number | undefined {
  const recur = (x: Expression) => constantValue(x, info, overrides);
  switch (e.kind) {
    case 'Number':
    case 'Percent':
      return e.value;
    case 'Paren':
      return recur(e.inner);
    case 'Unary': {
      const v = e.op === '-' ? recur(e.operand) : undefined;
      return v === undefined ? undefined : -v;
    }
    case 'Binary': {
      const l = recur(e.left);
      const r = recur(e.right);
      if (l === undefined || r === undefined) return undefined;
      return e.op === '+' ? l + r : e.op === '-' ? l - r : e.op === '*' ? l * r : e.op === '/' ? l / r : e.op === '^' ? l ** r : undefined;
    }
    case 'Identifier': {
      const ref = info.references.get(e);
      if (ref?.kind !== 'definition' || ref.definition.kind === 'group') return undefined;
      const def = ref.definition;
      if (def.kind === 'param' && Object.hasOwn(overrides, def.name)) return overrides[def.name];
      return info.definitionTypes.get(def) === 'number' ? recur(def.value) : undefined;
    }
    default:
      return undefined;
  }
}
