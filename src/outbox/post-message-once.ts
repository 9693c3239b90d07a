import { findPostedMessage } from './find-posted-message.ts';
import { OUTBOX_EVENT_TYPE, type SlackBlockLike, type SlackWriter } from './slack-writer.ts';

/**
 * An idempotent Slack post for executors: posts with the idempotency key in the message's
 * metadata, and on any attempt after the first looks for that key in history first, so calling
 * it twice with the same key leaves one message.
 */
export async function postMessageOnce(
  slack: SlackWriter,
  input: {
    key: string;
    channelId: string;
    threadTs?: string | null;
    text: string;
    blocks?: readonly SlackBlockLike[];
    /** When the first attempt may have happened (for the history lookup). */
    since: Date;
    /** Skip the history lookup on a first attempt, when nothing can have been posted yet. */
    firstAttempt: boolean;
    runId?: string | null;
  },
): Promise<{ ts: string; reconciled: boolean }> {
  if (!input.firstAttempt) {
    const found = await findPostedMessage(slack, {
      channelId: input.channelId,
      threadTs: input.threadTs,
      key: input.key,
      since: input.since,
    });
    if (found) return { ts: found.ts, reconciled: true };
  }
  const posted = await slack.postMessage({
    channel: input.channelId,
    text: input.text,
    ...(input.blocks ? { blocks: input.blocks } : {}),
    ...(input.threadTs ? { thread_ts: input.threadTs } : {}),
    metadata: {
      event_type: OUTBOX_EVENT_TYPE,
      event_payload: { key: input.key, run_id: input.runId ?? '', step: 'effect' },
    },
    unfurl_links: false,
    unfurl_media: false,
  });
  return { ts: posted.ts, reconciled: false };
}
