export type { BacktestChange, BacktestReport, RecordedDecision } from './backtest-policy.ts';
export { backtestPolicy } from './backtest-policy.ts';
export { canonicalJson, payloadHash, sha256Hex } from './canonical-json.ts';
export type { Explanation, RuleTrace } from './decide.ts';
export { decide, explainDecision } from './decide.ts';
export { formatDuration, parseDuration } from './duration.ts';
export type { ExplicitCommandResult } from './parse-explicit-command.ts';
export { parseExplicitCommand } from './parse-explicit-command.ts';
export type { PolicyCheck } from './parse-policy.ts';
export { checkPolicy, parsePolicy } from './parse-policy.ts';
export { actionRisks, decisions } from './policy-schema.ts';
export type {
  ActionRisk,
  ApprovalRequirement,
  Approvers,
  Decision,
  DecisionKind,
  Policy,
  PolicyContext,
} from './policy-types.ts';
export type { Proposal, ProposalCheck, ProposalSource } from './proposal.ts';
export { actionNamePattern, checkProposal, proposalSchema, proposalSources } from './proposal.ts';
export type { SourceProblem } from './source-problems.ts';
export { ConfigFileError, formatProblem } from './source-problems.ts';
