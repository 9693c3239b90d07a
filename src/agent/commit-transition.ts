import type { AuditEntryInput } from '../audit/audit-entry.ts';
import { type AuditLog, missingHead } from '../audit/audit-log.ts';
import type { Queryable } from '../db/database.ts';
import { SluiceError } from '../errors.ts';
import { type OutboxDraft, outboxInsertCtes, outboxRowsJson } from '../outbox/outbox-message.ts';
import { type Run, type RunContextData, type RunRow, runFromRow } from './run-record.ts';
import { canTransition, isTerminal, type RunState } from './run-state.ts';

/**
 * Moves a run to its next state, with everything that belongs to the move: the transition row,
 * the audit entries and the outbox messages, in one statement (atomic on its own; inside the
 * caller's transaction when it passes one). The update names the
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
  const messages = change.messages ?? [];
  const append = audit.prepareAppend(
    (change.audit ?? []).map((entry) => ({ ...entry, runId: run.id, correlationId: run.correlationId })),
  );
  // ONE statement, so one round trip and atomic without a transaction of its own: the run's new
  // state, its transition row, its outbox messages and its audit entries. The messages and entries
  // are written only if the run moved (the gate), and the audit chain's head is locked last, after
  // the run's row, as when the entries were appended in a statement of their own.
  const extra: string[] = [];
  const outboxParam = messages.length > 0 ? 16 + extra.push(outboxRowsJson(messages)) - 1 : 0;
  const auditParam = append.entries.length > 0 ? 16 + extra.push(append.value) - 1 : 0;
  const updated = await tx.query<RunRow & { audit_entries_written: number }>(
    `WITH RECURSIVE moved AS (
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
    )${outboxParam ? `, ${outboxInsertCtes(outboxParam, 'moved')}` : ''}${
      auditParam ? `, ${append.ctes(auditParam, 'moved')}` : ''
    }
    SELECT moved.*, ${append.entries.length > 0 ? '(SELECT count(*) FROM audit_entry)::int' : '0'} AS audit_entries_written
      FROM moved`,
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
      ...extra,
    ],
  );
  const row = updated.rows[0];
  if (!row) throw new RunFencedError(run.id, run.version);
  const { audit_entries_written: written, ...runRow } = row;
  if (written !== append.entries.length) throw missingHead();
  return runFromRow(runRow);
}
