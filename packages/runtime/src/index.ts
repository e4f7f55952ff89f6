// Public API of @palisade/runtime: the Falco-compatible rule engine, its rules checker and the
// condition parser (for tooling). Event and alert contracts live in @palisade/core.

export { checkRules, type RulesCheckReport, renderRulesCheck } from './check-rules.js';
export { parseEventLines, readEventStream, toRuntimeEvent } from './event-stream.js';
export {
  type LoadResult,
  type ReloadResult,
  RuleEngine,
  type RuleEngineOptions,
  type RuleSelection,
  type RuleSelector,
} from './rule-engine.js';
export type { RuleCheck, RuleLoadStatus } from './rules/compile-ruleset.js';
export { type ConditionNode, printCondition } from './rules/condition-ast.js';
export { ConditionSyntaxError, parseCondition } from './rules/condition-parser.js';
export { FIELDS, type FieldDef, type FieldType } from './rules/fields.js';
export { ENGINE_VERSION, type LoadProblem, type RulesFileInput } from './rules/rules-loader.js';
