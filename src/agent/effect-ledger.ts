import type { Queryable } from '../db/database.ts';

/**
 * The effects table: one row per run step that touches the world, keyed by `<run id>:<step>`.
 * pending (decided) -> started (attempt n, after the last pause check) -> succeeded | failed,
 * or abandoned when a pause stops it. See migrations/0021_create_effects.sql.
 */

export interface EffectRecord {
  id: number;
  runId: string;
  step: string;
  idempotencyKey: string;
  action: string;
  state: 'pending' | 'started' | 'succeeded' | 'failed' | 'abandoned';
  attempts: number;
  startedAt: Date | null;
  finishedAt: Date | null;
  result: unknown;
  error: string | null;
}

interface EffectRow {
  id: number;
  run_id: string;
  step: string;
  idempotency_key: string;
  action: string;
  state: EffectRecord['state'];
  attempts: number;
  started_at: Date | null;
  finished_at: Date | null;
  result: unknown;
  error: string | null;
}

function fromRow(r: EffectRow): EffectRecord {
  return {
    id: r.id,
    runId: r.run_id,
    step: r.step,
    idempotencyKey: r.idempotency_key,
    action: r.action,
    state: r.state,
    attempts: r.attempts,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    result: r.result,
    error: r.error,
  };
}

export function effectKey(runId: string, step: string): string {
  return `${runId}:${step}`;
}

export async function recordEffectIntent(
  tx: Queryable,
  input: { runId: string; step: string; action: string },
): Promise<void> {
  await tx.query(
    `INSERT INTO effects (run_id, step, idempotency_key, action, state)
     VALUES ($1, $2, $3, $4, 'pending') ON CONFLICT (run_id, step) DO NOTHING`,
    [input.runId, input.step, effectKey(input.runId, input.step), input.action],
  );
}

export async function loadEffect(q: Queryable, runId: string, step: string): Promise<EffectRecord | null> {
  const result = await q.query<EffectRow>('SELECT * FROM effects WHERE run_id = $1 AND step = $2', [
    runId,
    step,
  ]);
  return result.rows[0] ? fromRow(result.rows[0]) : null;
}

/** Records one more start of the effect; returns the attempt number. */
export async function startEffectAttempt(tx: Queryable, effectId: number): Promise<number> {
  const result = await tx.query<{ attempts: number }>(
    `UPDATE effects SET state = 'started', attempts = attempts + 1, started_at = clock_timestamp()
      WHERE id = $1 AND state IN ('pending', 'started') RETURNING attempts`,
    [effectId],
  );
  if (!result.rows[0]) throw new Error(`effect ${effectId} is already settled`);
  return result.rows[0].attempts;
}

export async function settleEffect(
  tx: Queryable,
  effectId: number,
  outcome: { state: 'succeeded' | 'failed' | 'abandoned'; result?: unknown; error?: string | null },
): Promise<void> {
  await tx.query(
    `UPDATE effects SET state = $2, result = $3::jsonb, error = $4, finished_at = clock_timestamp()
      WHERE id = $1 AND state IN ('pending', 'started')`,
    [
      effectId,
      outcome.state,
      outcome.result === undefined ? null : JSON.stringify(outcome.result),
      outcome.error ?? null,
    ],
  );
}
