import type { ActionResult } from '../../../src/actions/define-action.ts';
import type { ClaimResult, EffectLedger } from '../../../src/actions/effect-ledger.ts';

interface Row {
  status: 'running' | 'succeeded' | 'failed' | 'uncertain';
  payloadHash: string;
  retryable: boolean;
  attempts: number;
  leaseUntil: number;
  result: ActionResult | null;
  error: string | null;
}

/** The ledger's semantics in memory, for tests that run thousands of executions. */
export function createMemoryEffectLedger(
  now: () => number = Date.now,
): EffectLedger & { rows: Map<string, Row> } {
  const rows = new Map<string, Row>();
  return {
    rows,
    async claim(r): Promise<ClaimResult> {
      const row = rows.get(r.key);
      if (!row) {
        rows.set(r.key, {
          status: 'running',
          payloadHash: r.payloadHash,
          retryable: false,
          attempts: 1,
          leaseUntil: now() + r.leaseMs,
          result: null,
          error: null,
        });
        return { kind: 'claimed', attempt: 1 };
      }
      if (row.payloadHash !== r.payloadHash)
        return { kind: 'payload_mismatch', recordedPayloadHash: row.payloadHash };
      const lapsed = row.status === 'running' && row.leaseUntil < now();
      if ((row.status === 'failed' && row.retryable) || (lapsed && r.retryUnknownOutcome)) {
        Object.assign(row, {
          status: 'running',
          attempts: row.attempts + 1,
          retryable: false,
          leaseUntil: now() + r.leaseMs,
        });
        return { kind: 'claimed', attempt: row.attempts };
      }
      if (row.status === 'succeeded' || row.status === 'failed') {
        return { kind: 'settled', status: row.status, result: row.result, error: row.error };
      }
      if (row.status === 'running' && !lapsed) return { kind: 'in_progress' };
      row.status = 'uncertain';
      return { kind: 'uncertain' };
    },
    async complete(key, attempt, result) {
      const row = rows.get(key);
      if (!row || row.attempts !== attempt || row.status !== 'running')
        throw new Error(`stale settle of ${key}`);
      Object.assign(row, {
        status: result.ok ? 'succeeded' : 'failed',
        retryable: !result.ok && Boolean(result.retryable),
        result,
        error: result.ok ? null : result.summary,
      });
    },
    async fail(key, attempt, error, retryable) {
      const row = rows.get(key);
      if (!row || row.attempts !== attempt || row.status !== 'running')
        throw new Error(`stale settle of ${key}`);
      Object.assign(row, { status: 'failed', retryable, error });
    },
  };
}
