import type { AuditEntryInput } from '../audit/audit-entry.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Queryable } from '../db/database.ts';
import { SluiceError } from '../errors.ts';
import { enqueueOutbox, type OutboxDraft } from '../outbox/outbox-message.ts';
import { type Run, type RunContextData, type RunRow, runFromRow } from './run-record.ts';
import { canTransition, isTerminal, type RunState } from './run-state.ts';

/**
 * Moves a run to its next state inside the caller's transaction, with everything that belongs to
 * the move: the transition row, the audit entries and the outbox messages. The update names the
 * version the caller read; if another worker moved the run meanwhile (its lease lapsed and the
 * job was taken over), nothing is written and RunFencedError tells the caller to stop.
 */

export class RunFencedError extends Error {
  constructor(runId: string, version: number) {
    super(`run ${runId} moved on from version ${version}; another worker owns it now`);
    this.name = 'RunFencedError';
  }
}

export interface RunChange {
  context?: Partial<RunContextData>;
  decision?: Run['decision'];
  outcome?: string;
  finalState?: 'done' | 'failed';
  error?: { code: string; message: string };
  costUsd?: number;
  inputTokens?: number;
  outputTokens?: number;
  /** Stored on the transition row. */
  detail?: unknown;
  audit?: Omit<AuditEntryInput, 'runId' | 'correlationId'>[];
  messages?: OutboxDraft[];
}

export async function commitTransition(
  tx: Queryable,
  audit: AuditLog,
  run: Run,
  to: RunState,
  change: RunChange = {},
): Promise<Run> {
  if (to !== run.state && !canTransition(run.state, to)) {
    throw new SluiceError('internal', `a run cannot go from ${run.state} to ${to}`);
  }
  // One statement: the run's new state and, when the state changes, its transition row.
  const updated = await tx.query<RunRow>(
    `WITH moved AS (
      UPDATE runs SET
        state = $3,
        version = version + 1,
        context = context || $4::jsonb,
        decision = COALESCE($5, decision),
        outcome = COALESCE($6, outcome),
        final_state = COALESCE($7, final_state),
        error_code = COALESCE($8, error_code),
        error_message = COALESCE($9, error_message),
        cost_usd = cost_usd + $10,
        input_tokens = input_tokens + $11,
        output_tokens = output_tokens + $12,
        updated_at = clock_timestamp(),
        finished_at = CASE WHEN $13 THEN clock_timestamp() ELSE NULL END
      WHERE id = $1 AND version = $2
      RETURNING *
    ), transition AS (
      INSERT INTO run_transitions (run_id, from_state, to_state, at, detail)
      SELECT id, $14, state, clock_timestamp(), $15::jsonb FROM moved WHERE state <> $14
    )
    SELECT * FROM moved`,
    [
      run.id,
      run.version,
      to,
      JSON.stringify(change.context ?? {}),
      change.decision ?? null,
      change.outcome ?? null,
      change.finalState ?? null,
      change.error?.code ?? null,
      change.error?.message ?? null,
      change.costUsd ?? 0,
      change.inputTokens ?? 0,
      change.outputTokens ?? 0,
      isTerminal(to),
      run.state,
      change.detail === undefined ? null : JSON.stringify(change.detail),
    ],
  );
  const row = updated.rows[0];
  if (!row) throw new RunFencedError(run.id, run.version);
  for (const message of change.messages ?? []) await enqueueOutbox(tx, message);
  // Last: appending locks the audit chain's head until this transaction commits.
  await audit.appendAll(
    tx,
    (change.audit ?? []).map((entry) => ({ ...entry, runId: run.id, correlationId: run.correlationId })),
  );
  return runFromRow(row);
}
