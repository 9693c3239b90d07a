import type { AuditLog } from '../audit/audit-log.ts';
import type { Queryable } from '../db/database.ts';
import type { OutboxHooks } from '../outbox/outbox-sender.ts';

/**
 * What the outbox tells the runs: a run's final reply reached Slack (replied -> done, or failed
 * when the action had failed), or Slack refused it for good (replied -> failed). Runs in the
 * same transaction that marks the message, so a run is done exactly when its reply is delivered.
 */
export function runDeliveryHooks(audit: AuditLog): OutboxHooks {
  async function finish(tx: Queryable, runId: string, error: string | null): Promise<void> {
    const finished = await tx.query<{ state: string; correlation_id: string }>(
      `UPDATE runs SET
          state = CASE WHEN $2::text IS NULL THEN COALESCE(final_state, 'done') ELSE 'failed' END,
          error_code = CASE WHEN $2::text IS NULL THEN error_code ELSE 'reply_undeliverable' END,
          error_message = COALESCE($2, error_message),
          version = version + 1, updated_at = clock_timestamp(), finished_at = clock_timestamp()
        WHERE id = $1 AND state = 'replied'
        RETURNING state, correlation_id`,
      [runId, error],
    );
    const row = finished.rows[0];
    if (!row) return;
    await tx.query(
      `INSERT INTO run_transitions (run_id, from_state, to_state, at, detail)
       VALUES ($1, 'replied', $2, clock_timestamp(), $3::jsonb)`,
      [runId, row.state, error ? JSON.stringify({ error }) : null],
    );
    await audit.append(tx, {
      actor: 'system',
      kind: `run.${row.state}`,
      runId,
      correlationId: row.correlation_id,
      ...(error ? { detail: { error } } : {}),
    });
  }
  return {
    async onSent(tx, message) {
      if (message.completesRun && message.runId) await finish(tx, message.runId, null);
    },
    async onFailed(tx, message, error) {
      if (message.completesRun && message.runId)
        await finish(tx, message.runId, `the reply could not be delivered: ${error}`);
    },
  };
}
