/**
 * The part of Slack's Web API the outbox needs, in Slack's own field names. The project's Web API
 * client (src/slack/web-api-client.ts) satisfies it; tests may pass anything that does. Failures
 * must be SluiceErrors as that client throws them: `rate_limited` with `retryAfterMs`, and
 * `details.outcome` = 'not_applied' when Slack answered that it did nothing.
 */

export interface SlackMessageMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

export interface SlackBlockLike {
  type: string;
}

export interface SlackHistoryPage {
  messages: Array<{ ts: string; thread_ts?: string; metadata?: SlackMessageMetadata }>;
  has_more: boolean;
  next_cursor?: string;
}

interface PageArgs {
  channel: string;
  limit?: number;
  cursor?: string;
  oldest?: string;
  include_all_metadata?: boolean;
}

export interface SlackWriter {
  postMessage(args: {
    channel: string;
    text: string;
    blocks?: readonly SlackBlockLike[];
    thread_ts?: string;
    metadata?: SlackMessageMetadata;
    unfurl_links?: boolean;
    unfurl_media?: boolean;
  }): Promise<{ ts: string }>;
  update(args: {
    channel: string;
    ts: string;
    text: string;
    blocks?: readonly SlackBlockLike[];
  }): Promise<unknown>;
  history(args: PageArgs): Promise<SlackHistoryPage>;
  replies(args: PageArgs & { ts: string }): Promise<SlackHistoryPage>;
}

/** The metadata event type that marks Sluice's own posts. */
export const OUTBOX_EVENT_TYPE = 'sluice_outbox';
