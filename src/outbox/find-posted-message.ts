import { OUTBOX_EVENT_TYPE, type SlackWriter } from './slack-writer.ts';

/**
 * Reconciliation: finds a message Sluice posted with `key` in its metadata, by reading the
 * channel's history (or the thread's replies) back to shortly before the post was first tried.
 * Used before posting again whenever an earlier attempt may have reached Slack (a crash, a
 * timeout, a 5xx), so a retry never produces a second copy. Executors that post to Slack use it
 * for their own idempotency keys too.
 */

export interface PostedMessageQuery {
  channelId: string;
  threadTs?: string | null;
  key: string;
  /** When the first attempt could have been made; history is read back to a little before it. */
  since: Date;
  /** Pages of history to read at most (200 messages each). */
  maxPages?: number;
}

/** Slack message timestamps are seconds with microseconds; clocks may differ a little. */
const CLOCK_MARGIN_MS = 5 * 60_000;

export async function findPostedMessage(
  slack: SlackWriter,
  query: PostedMessageQuery,
): Promise<{ ts: string } | null> {
  const oldest = toSlackTs(new Date(query.since.getTime() - CLOCK_MARGIN_MS));
  const maxPages = query.maxPages ?? 10;
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const args = {
      channel: query.channelId,
      limit: 200,
      oldest,
      include_all_metadata: true,
      ...(cursor ? { cursor } : {}),
    };
    const result = query.threadTs
      ? await slack.replies({ ...args, ts: query.threadTs })
      : await slack.history(args);
    const found = result.messages.find(
      (m) => m.metadata?.event_type === OUTBOX_EVENT_TYPE && m.metadata.event_payload.key === query.key,
    );
    if (found) return { ts: found.ts };
    if (!result.has_more || !result.next_cursor) return null;
    cursor = result.next_cursor;
  }
  return null;
}

export function toSlackTs(date: Date): string {
  const ms = Math.max(0, date.getTime());
  return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1000).padStart(6, '0')}`;
}
