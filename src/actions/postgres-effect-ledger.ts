import type { Queryable } from '../db/database.ts';
import { SluiceError } from '../errors.ts';
import type { ActionResult } from './define-action.ts';
import type { ClaimResult, EffectLedger } from './effect-ledger.ts';

/**
 * The effects ledger in the `action_effects` table (migration 0041). Claims use the database
 * clock for leases, so replicas with drifting clocks agree; settling is fenced by the attempt
 * number, so an attempt whose lease lapsed cannot overwrite the attempt that took over.
 */

interface EffectRow {
  status: 'running' | 'succeeded' | 'failed' | 'uncertain';
  payload_hash: string;
  retryable: boolean;
  lease_expired: boolean;
  result: ActionResult | null;
  error: string | null;
}

export function createPostgresEffectLedger(db: Queryable): EffectLedger {
  return {
    async claim(r) {
      const inserted = await db.query<{ attempts: number }>(
        `INSERT INTO action_effects (idempotency_key, action, payload_hash, run_id, status, attempts, started_at, lease_until)
         VALUES ($1, $2, $3, $4, 'running', 1, now(), now() + $5::int8 * interval '1 millisecond')
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING attempts`,
        [r.key, r.action, r.payloadHash, r.runId, r.leaseMs],
      );
      if (inserted.rows[0]) return { kind: 'claimed', attempt: Number(inserted.rows[0].attempts) };

      const retaken = await db.query<{ attempts: number }>(
        `UPDATE action_effects
            SET status = 'running', attempts = attempts + 1, retryable = false, error = NULL, result = NULL,
                started_at = now(), finished_at = NULL, lease_until = now() + $3::int8 * interval '1 millisecond'
          WHERE idempotency_key = $1 AND payload_hash = $2
            AND ((status = 'failed' AND retryable) OR (status = 'running' AND lease_until < now() AND $4::boolean))
          RETURNING attempts`,
        [r.key, r.payloadHash, r.leaseMs, r.retryUnknownOutcome],
      );
      if (retaken.rows[0]) return { kind: 'claimed', attempt: Number(retaken.rows[0].attempts) };

      const found = await db.query<EffectRow>(
        `SELECT status, payload_hash, retryable, lease_until < now() AS lease_expired, result, error
           FROM action_effects WHERE idempotency_key = $1`,
        [r.key],
      );
      const row = found.rows[0];
      if (!row)
        throw new SluiceError('internal', `effect ${r.key} vanished while being claimed`, {
          retryable: true,
        });
      return settledOrBlocked(db, r.key, row, r.payloadHash);
    },
    async complete(key, attempt, result) {
      const final = result.ok || !result.retryable;
      await settle(db, key, attempt, {
        status: result.ok ? 'succeeded' : 'failed',
        retryable: !final,
        result,
        error: result.ok ? null : result.summary,
      });
    },
    async fail(key, attempt, error, retryable) {
      await settle(db, key, attempt, { status: 'failed', retryable, result: null, error });
    },
  };
}

async function settledOrBlocked(
  db: Queryable,
  key: string,
  row: EffectRow,
  payloadHash: string,
): Promise<ClaimResult> {
  if (row.payload_hash !== payloadHash)
    return { kind: 'payload_mismatch', recordedPayloadHash: row.payload_hash };
  if (row.status === 'succeeded' || row.status === 'failed') {
    return { kind: 'settled', status: row.status, result: row.result, error: row.error };
  }
  if (row.status === 'running' && !row.lease_expired) return { kind: 'in_progress' };
  // A lapsed claim on an action that cannot be retried blindly: remember that nobody knows.
  await db.query(
    `UPDATE action_effects SET status = 'uncertain', finished_at = now()
      WHERE idempotency_key = $1 AND status = 'running' AND lease_until < now()`,
    [key],
  );
  return { kind: 'uncertain' };
}

async function settle(
  db: Queryable,
  key: string,
  attempt: number,
  s: {
    status: 'succeeded' | 'failed';
    retryable: boolean;
    result: ActionResult | null;
    error: string | null;
  },
): Promise<void> {
  const updated = await db.query(
    `UPDATE action_effects SET status = $3, retryable = $4, result = $5::jsonb, error = $6, finished_at = now()
      WHERE idempotency_key = $1 AND attempts = $2 AND status = 'running'`,
    [key, attempt, s.status, s.retryable, s.result === null ? null : JSON.stringify(s.result), s.error],
  );
  if (updated.rowCount !== 1) {
    throw new SluiceError(
      'conflict',
      `effect ${key} attempt ${attempt} was taken over before it finished; its outcome was not recorded`,
    );
  }
}
