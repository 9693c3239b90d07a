import { decide } from './decide.ts';
import type { Decision, DecisionKind, Policy } from './policy-types.ts';

/**
 * Replays recorded decisions through another policy: what would have happened to each past
 * proposal, in its own context, at its own time (so time windows judge the original moment).
 */

export interface RecordedDecision {
  /** Where the record came from (audit entry id), for the report. */
  ref: string;
  runId: string | null;
  at: Date;
  proposal: unknown;
  context: unknown;
  decision: DecisionKind;
  ruleId: string | null;
}

export interface BacktestChange {
  record: RecordedDecision;
  /** `decision`: the outcome changes; `rule`: same outcome, another rule decides it. */
  kind: 'decision' | 'rule';
  after: Decision;
}

export interface BacktestReport {
  policyHash: string;
  total: number;
  unchanged: number;
  changes: BacktestChange[];
  /** `auto -> escalate` etc. with how many records take that path; outcome changes only. */
  transitions: Record<string, number>;
}

export function backtestPolicy(records: readonly RecordedDecision[], policy: Policy): BacktestReport {
  const changes: BacktestChange[] = [];
  const transitions: Record<string, number> = {};
  for (const record of records) {
    const after = decide(record.proposal, record.context, policy, record.at);
    if (after.decision !== record.decision) {
      const key = `${record.decision} -> ${after.decision}`;
      transitions[key] = (transitions[key] ?? 0) + 1;
      changes.push({ record, kind: 'decision', after });
    } else if (after.ruleId !== record.ruleId) {
      changes.push({ record, kind: 'rule', after });
    }
  }
  return {
    policyHash: policy.hash,
    total: records.length,
    unchanged: records.length - changes.length,
    changes,
    transitions,
  };
}
