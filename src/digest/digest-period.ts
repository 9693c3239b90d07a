/**
 * The half-open window a digest reports on: runs and approvals created at or after `from` and
 * before `to`. Every figure and every documented query uses the same bounds ($1, $2).
 */
export interface DigestPeriod {
  from: Date;
  to: Date;
}

/** Runs that ended badly, as the run read model (src/agent/run-stats.ts) counts them. */
export const FAILED_STATES = ['failed', 'dead_lettered', 'budget_exceeded'] as const;
