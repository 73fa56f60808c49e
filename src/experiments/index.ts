// Experiments over a topology: hash-fairness fuzzing and failover disruption (SPEC §6), as a library.

export {
  DEFAULT_FLOWS,
  DEFAULT_SEED,
  DEFAULT_TRIALS,
  FEW_FLOWS_DIVISOR,
  FEW_FLOWS_MIN,
  planTrials,
  rowAlgorithm,
  runFuzz,
  runTrial,
  worstName,
  type FuzzOptions,
  type FuzzRun,
  type FuzzVariant,
  type StageOutcome,
  type TrialOutcome,
  type TrialPlan,
} from './fuzz.js';
export {
  DEFAULT_FAILOVER_FLOWS,
  DEFAULT_FAILOVER_SEED,
  runFailover,
  type FailoverDetail,
  type FailoverOptions,
  type FailoverRun,
} from './failover.js';
export { SEED_MODES, topologyToYaml, withHashing, type HashingVariant, type SeedMode } from './topology.js';
export { describeFindings, fuzzFindings, type FuzzFindings, type IngressSpread } from './findings.js';
export { FlowEvaluator, type PlanStage, type StageSpread } from './evaluate.js';
export { DEFAULT_BUDGET, DEFAULT_STRATEGY, findingWords, runFuzzSearch, type FuzzSearchOptions, type SearchResult, type SearchRow, type SearchRun, type SearchVariant } from './fuzz-search.js';
export { STRATEGIES, ShapeJudge, better, evolve, hillClimb, shrink, summarize, type ShapeEvaluation, type Strategy } from './search.js';
export { describeShape, repairShape, shapeFlows, typicalShape, type PortRange, type ProtocolMix, type TrafficShape } from './shape.js';
