import type { Queryable } from '../db/database.ts';
import type { RunState } from './run-state.ts';
import type { Decision, ProposalLike, ReplyDraft } from './run-steps.ts';

/** What earlier steps of a run produced, kept on the run so a resumed run does not redo them. */
export interface RunContextData {
  retrieval?: unknown;
  answer?: ReplyDraft;
  /** What the answer step found: { known, mode, chunkIds }; known=false is a knowledge gap. */
  answerDetail?: unknown;
  proposal?: ProposalLike;
  decision?: Decision;
  approval?: { by: string[]; approvalId?: string | null; at: string };
  effect?: { ok: boolean; result: unknown };
  /** Where a dead-lettered run was, so a redrive can send it back there. */
  deadLetteredFrom?: RunState;
  [key: string]: unknown;
}

export interface Run {
  id: string;
  requestId: number | null;
  correlationId: string;
  origin: string;
  teamId: string | null;
  channelId: string | null;
  userId: string | null;
  threadTs: string | null;
  text: string;
  state: RunState;
  decision: Decision['outcome'] | null;
  outcome: string | null;
  finalState: 'done' | 'failed' | null;
  version: number;
  context: RunContextData;
  errorCode: string | null;
  errorMessage: string | null;
  costUsd: number;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface RunRow {
  id: string;
  request_id: number | null;
  correlation_id: string;
  origin: string;
  team_id: string | null;
  channel_id: string | null;
  user_id: string | null;
  thread_ts: string | null;
  text: string;
  state: RunState;
  decision: Decision['outcome'] | null;
  outcome: string | null;
  final_state: 'done' | 'failed' | null;
  version: number;
  context: RunContextData;
  error_code: string | null;
  error_message: string | null;
  cost_usd: number;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

export function runFromRow(row: RunRow): Run {
  return {
    id: row.id,
    requestId: row.request_id,
    correlationId: row.correlation_id,
    origin: row.origin,
    teamId: row.team_id,
    channelId: row.channel_id,
    userId: row.user_id,
    threadTs: row.thread_ts,
    text: row.text,
    state: row.state,
    decision: row.decision,
    outcome: row.outcome,
    finalState: row.final_state,
    version: row.version,
    context: row.context ?? {},
    errorCode: row.error_code,
    errorMessage: row.error_message,
    costUsd: row.cost_usd,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

export async function loadRun(q: Queryable, runId: string): Promise<Run | null> {
  const result = await q.query<RunRow>('SELECT * FROM runs WHERE id = $1', [runId]);
  return result.rows[0] ? runFromRow(result.rows[0]) : null;
}

export interface RunTransition {
  fromState: RunState | null;
  toState: RunState;
  at: Date;
  detail: unknown;
}

export async function listRunTransitions(q: Queryable, runId: string): Promise<RunTransition[]> {
  const result = await q.query<{
    from_state: RunState | null;
    to_state: RunState;
    at: Date;
    detail: unknown;
  }>('SELECT from_state, to_state, at, detail FROM run_transitions WHERE run_id = $1 ORDER BY id', [runId]);
  return result.rows.map((r) => ({
    fromState: r.from_state,
    toState: r.to_state,
    at: r.at,
    detail: r.detail,
  }));
}
