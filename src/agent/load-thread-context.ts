import type { Queryable } from '../db/database.ts';
import type { ThreadMessage } from '../llm/types.ts';
import type { Logger } from '../logger.ts';
import type { Run } from './run-record.ts';

/**
 * The earlier messages of the Slack thread a request was written in, for the model as untrusted
 * context (the gateway fences them as data). Only for messages written inside an existing thread:
 * a top-level message or a slash command has no earlier context. The message's own place in the
 * thread comes from the stored Slack event; everything from it on is left out, as are empty
 * messages. Best effort: if Slack cannot be read, the run goes on without context.
 */

export interface ThreadReader {
  replies(args: { channel: string; ts: string; limit?: number }): Promise<{
    messages: { ts?: string; user?: string; bot_id?: string; text?: string }[];
  }>;
}

export const THREAD_CONTEXT_MESSAGES = 10;
const MAX_CHARS_PER_MESSAGE = 2_000;

export async function loadThreadContext(
  deps: { db: Queryable; slack: ThreadReader; logger: Logger },
  run: Pick<Run, 'id' | 'requestId' | 'channelId' | 'threadTs'>,
): Promise<ThreadMessage[]> {
  if (!run.requestId || !run.channelId || !run.threadTs) return [];
  const stored = await deps.db.query<{ ts: string | null; thread_ts: string | null }>(
    `SELECT payload #>> '{event,ts}' AS ts, payload #>> '{event,thread_ts}' AS thread_ts
       FROM requests WHERE id = $1`,
    [run.requestId],
  );
  const event = stored.rows[0];
  if (!event?.ts || !event.thread_ts || event.thread_ts === event.ts) return [];
  try {
    const page = await deps.slack.replies({ channel: run.channelId, ts: event.thread_ts, limit: 100 });
    return page.messages
      .filter((m) => m.ts !== undefined && Number(m.ts) < Number(event.ts) && m.text?.trim())
      .slice(-THREAD_CONTEXT_MESSAGES)
      .map((m) => ({
        author: m.bot_id ? `bot ${m.bot_id}` : m.user ? `<@${m.user}>` : 'unknown',
        text: (m.text ?? '').slice(0, MAX_CHARS_PER_MESSAGE),
      }));
  } catch (error) {
    deps.logger.warn(
      { err: error, runId: run.id },
      'could not read the thread; going on without its context',
    );
    return [];
  }
}
