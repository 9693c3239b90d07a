import { type AuditEntry, type AuditEntryInput, digestOf } from '../audit/audit-entry.ts';
import type { RecordedDecision } from '../policy/backtest-policy.ts';
import { decisions } from '../policy/policy-schema.ts';
import type { Decision, PolicyContext } from '../policy/policy-types.ts';
import type { Proposal } from '../policy/proposal.ts';

/**
 * How a policy decision is written to the audit log, and read back for `sluice policy backtest`.
 * The entry keeps the proposal and the context it was decided in (not only their digest), so a
 * new policy can be replayed against the history months later.
 */

export const DECISION_AUDIT_KIND = 'decision';

export interface DecisionRecord {
  runId: string | null;
  correlationId?: string | null;
  proposal: Proposal;
  context: PolicyContext;
  decision: Decision;
}

export function decisionAuditEntry(record: DecisionRecord): AuditEntryInput {
  return {
    actor: 'sluice:policy',
    runId: record.runId,
    correlationId: record.correlationId ?? null,
    kind: DECISION_AUDIT_KIND,
    inputDigest: digestOf({ proposal: record.proposal, context: record.context }),
    policyVersion: record.decision.policyHash,
    policyRule: record.decision.ruleId,
    decision: record.decision.decision,
    detail: {
      proposal: record.proposal,
      context: record.context,
      reason: record.decision.reason,
      payloadHash: record.decision.payloadHash,
      approval: record.decision.approval ?? null,
    },
  };
}

type AuditFields = Pick<AuditEntry, 'seq' | 'at' | 'runId' | 'kind' | 'decision' | 'policyRule' | 'detail'>;

/** The decision an audit entry records, or undefined for entries of other kinds or without a proposal. */
export function recordedDecisionFromAudit(entry: AuditFields): RecordedDecision | undefined {
  if (entry.kind !== DECISION_AUDIT_KIND) return undefined;
  const detail = entry.detail as { proposal?: unknown; context?: unknown } | null;
  if (!detail || detail.proposal === undefined) return undefined;
  const decision = (decisions as readonly string[]).includes(entry.decision ?? '')
    ? entry.decision
    : undefined;
  if (!decision) return undefined;
  return {
    ref: `#${entry.seq}`,
    runId: entry.runId,
    at: new Date(entry.at),
    proposal: detail.proposal,
    context: detail.context,
    decision: decision as RecordedDecision['decision'],
    ruleId: entry.policyRule,
  };
}
