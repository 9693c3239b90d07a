import type { Queryable } from '../db/database.ts';
import type { SlackBlockLike } from './slack-writer.ts';

/**
 * A Slack write waiting in the outbox. It is inserted with the state change that produced it, in
 * the same transaction, and delivered later by the sender. The key is its idempotency key: the
 * same key enqueued twice is stored once, and it travels in the Slack message's metadata.
 */

interface OutboxCommon {
  /** Unique; for a run's messages `<run id>:<step>`. */
  key: string;
  runId?: string | null;
  step?: string | null;
  channelId: string;
  text: string;
  blocks?: readonly SlackBlockLike[];
  /** Delivering this message finishes the run (the run's final reply). */
  completesRun?: boolean;
}

export interface OutboxPost extends OutboxCommon {
  operation: 'post';
  threadTs?: string | null;
}

export interface OutboxUpdate extends OutboxCommon {
  operation: 'update';
  /** The key of the earlier outbox post whose Slack message this edits (same channel). */
  targetKey: string;
}

export type OutboxDraft = OutboxPost | OutboxUpdate;

export interface OutboxMessage {
  id: number;
  key: string;
  runId: string | null;
  channelId: string;
  threadTs: string | null;
  operation: 'post' | 'update';
  targetKey: string | null;
  payload: { text: string; blocks?: SlackBlockLike[]; step?: string | null };
  completesRun: boolean;
  state: 'pending' | 'sent' | 'failed';
  attempts: number;
  failures: number;
  maybeSent: boolean;
  slackTs: string | null;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/** Adds a message to the outbox inside `tx`; returns false when its key was already there. */
export async function enqueueOutbox(tx: Queryable, draft: OutboxDraft): Promise<boolean> {
  const inserted = await tx.query(`WITH ${outboxInsertCtes(1)} SELECT id FROM outbox_message`, [
    outboxRowsJson([draft]),
  ]);
  return inserted.rows.length > 0;
}

/**
 * The outbox's insert as CTEs of another statement (src/agent/commit-transition.ts): the drafts
 * of parameter `$param` (`outboxRowsJson`), stored in their order, a key already there skipped,
 * each channel registered with the sender; when `gate` names a CTE of the statement, only if it
 * has a row. Leaves `outbox_message` (id, channel_id) with the rows inserted.
 */
export function outboxInsertCtes(param: number, gate?: string): string {
  return `outbox_message AS (
      INSERT INTO outbox_messages (key, run_id, channel_id, thread_ts, operation, target_key, payload, completes_run)
      SELECT m ->> 'key', (m ->> 'run_id')::uuid, m ->> 'channel_id', m ->> 'thread_ts', m ->> 'operation',
             m ->> 'target_key', m -> 'payload', (m ->> 'completes_run')::boolean
        FROM jsonb_array_elements($${param}::jsonb) WITH ORDINALITY AS x(m, n)
       ${gate ? `WHERE EXISTS (SELECT 1 FROM ${gate})` : ''}
       ORDER BY n
      ON CONFLICT (key) DO NOTHING
      RETURNING id, channel_id
    ), outbox_channel AS (
      INSERT INTO outbox_channels (channel_id) SELECT DISTINCT channel_id FROM outbox_message
      ON CONFLICT (channel_id) DO NOTHING
    )`;
}

/** The value of `outboxInsertCtes`'s parameter. */
export function outboxRowsJson(drafts: readonly OutboxDraft[]): string {
  return JSON.stringify(
    drafts.map((draft) => ({
      key: draft.key,
      run_id: draft.runId ?? null,
      channel_id: draft.channelId,
      thread_ts: draft.operation === 'post' ? (draft.threadTs ?? null) : null,
      operation: draft.operation,
      target_key: draft.operation === 'update' ? draft.targetKey : null,
      payload: {
        text: draft.text,
        ...(draft.blocks ? { blocks: draft.blocks } : {}),
        step: draft.step ?? null,
      },
      completes_run: draft.completesRun ?? false,
    })),
  );
}

export interface OutboxRow {
  id: number;
  key: string;
  run_id: string | null;
  channel_id: string;
  thread_ts: string | null;
  operation: 'post' | 'update';
  target_key: string | null;
  payload: OutboxMessage['payload'];
  completes_run: boolean;
  state: OutboxMessage['state'];
  attempts: number;
  failures: number;
  maybe_sent: boolean;
  slack_ts: string | null;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
}

export function messageFromRow(row: OutboxRow): OutboxMessage {
  return {
    id: row.id,
    key: row.key,
    runId: row.run_id,
    channelId: row.channel_id,
    threadTs: row.thread_ts,
    operation: row.operation,
    targetKey: row.target_key,
    payload: row.payload,
    completesRun: row.completes_run,
    state: row.state,
    attempts: row.attempts,
    failures: row.failures,
    maybeSent: row.maybe_sent,
    slackTs: row.slack_ts,
    lastError: row.last_error,
    createdAt: row.created_at,
    sentAt: row.sent_at,
  };
}

/** Messages not yet delivered, per channel: the outbox's depth, for status pages. */
export async function countPendingOutbox(q: Queryable): Promise<number> {
  const result = await q.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM outbox_messages WHERE state = 'pending'",
  );
  return result.rows[0]?.n ?? 0;
}
