// The package's library entry. It never imports TensorFlow.js, so compiling and checking objectives
// stays cheap; training lives behind the CLI and the train/ modules.
export { compile, compileFile, canonicalParamName, type CompileOptions, type CompileResult } from './compile.js';
export { parse, type ParseResult } from './parse/index.js';
export { renderDiagnostic, renderDiagnostics, summarize, type SourceLookup } from './diagnostics/render.js';
export { hasErrors, sortDiagnostics, type Diagnostic, type Severity } from './diagnostics/diagnostic.js';
export type { Span, Position } from './diagnostics/span.js';
export { allCodes, type CodeInfo } from './codes.js';
export { memoryHost, nodeHost, type CompileHost } from './check/host.js';
export type { SettingOverride } from './check/set-overrides.js';
export type { Override } from './language/overrides.js';
export { printObjective, printExpr, objectiveToJson } from './ir/print.js';
export { verifyObjective } from './ir/verify.js';
export type * from './ir/nodes.js';
export { evaluateObjective, scorerKey, rankKey, keep, type EvalInputs, type EvalResult } from './ir/reference-eval.js';
