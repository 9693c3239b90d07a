import type { SlackWriter } from '../outbox/slack-writer.ts';
import type { SlackWebApiClient } from '../slack/web-api-client.ts';

/** The outbox's view of Slack, on the one Web API client. */
export function slackWriterFrom(client: SlackWebApiClient): SlackWriter {
  return {
    postMessage: (args) => client.postMessage(args as Parameters<SlackWebApiClient['postMessage']>[0]),
    update: (args) => client.update(args as Parameters<SlackWebApiClient['update']>[0]),
    history: (args) => client.history(args),
    replies: (args) => client.replies(args),
  };
}
