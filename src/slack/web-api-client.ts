import { LogLevel, type Logger as SlackLogger, WebClient } from '@slack/web-api';
import type { z } from 'zod';
import { SluiceError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { mapSlackError } from './map-slack-error.ts';
import { postToResponseUrl, type ResponseUrlMessage, SLACK_HOOKS_ORIGIN } from './post-to-response-url.ts';
import { defaultSlackRetryPolicy, nextRetryDelay, type SlackRetryPolicy } from './slack-retry-policy.ts';
import {
  type AuthTestResult,
  authTestResultSchema,
  type MessageRefResult,
  type MessagesPage,
  messageRefResultSchema,
  messagesPageSchema,
  okResultSchema,
  type PostEphemeralResult,
  type PostMessageResult,
  permalinkResultSchema,
  postEphemeralResultSchema,
  postMessageResultSchema,
  type SlackBlock,
  type SlackMetadata,
  type SlackUser,
  type SlackUsergroup,
  usergroupsListResultSchema,
  usergroupUsersResultSchema,
  userInfoResultSchema,
  type ViewResult,
  viewResultSchema,
} from './web-api-schemas.ts';

/**
 * The one way Sluice calls Slack's Web API (executors, the outbox and handlers' helpers all come
 * through here). Built on `@slack/web-api`'s WebClient with its own retries off and rate-limited
 * calls rejected, so that retrying is decided here once (slack-retry-policy.ts) and every failure
 * leaves as a SluiceError (map-slack-error.ts). Arguments and results keep Slack's field names.
 * Nothing here logs arguments, and tokens never leave the Authorization header.
 */

export interface SlackWebApiClientOptions {
  token: string;
  /** The Web API base (SLACK_API_URL); default Slack's own, `https://slack.com/api/`. */
  apiUrl?: string;
  logger?: Logger;
  /** Per attempt; default 10 s. */
  timeoutMs?: number;
  retry?: Partial<SlackRetryPolicy>;
  /** Origins a response_url may point at besides Slack's hooks and the API's own origin. */
  responseUrlOrigins?: string[];
  /** Test seam for the waits between attempts. */
  sleep?: (ms: number) => Promise<void>;
}

interface MessageArgs {
  channel: string;
  /** Always send text: it is the notification and the screen-reader fallback for blocks. */
  text: string;
  blocks?: readonly SlackBlock[];
  thread_ts?: string;
}

export interface PostMessageArgs extends MessageArgs {
  reply_broadcast?: boolean;
  /** Marks the post (e.g. with its effect's idempotency key) so it can be found after a crash. */
  metadata?: SlackMetadata;
  unfurl_links?: boolean;
  unfurl_media?: boolean;
  mrkdwn?: boolean;
}

export interface PostEphemeralArgs extends MessageArgs {
  user: string;
}

export interface UpdateArgs {
  channel: string;
  ts: string;
  text: string;
  blocks?: readonly SlackBlock[];
  metadata?: SlackMetadata;
}

export interface PageArgs {
  channel: string;
  limit?: number;
  cursor?: string;
  oldest?: string;
  latest?: string;
  inclusive?: boolean;
  /** Needed to see message metadata (reconciliation after a crash). */
  include_all_metadata?: boolean;
}

export interface ViewPayload {
  type: 'home' | 'modal';
  blocks: readonly SlackBlock[];
  [field: string]: unknown;
}

export interface SlackWebApiClient {
  postMessage(args: PostMessageArgs): Promise<PostMessageResult>;
  postEphemeral(args: PostEphemeralArgs): Promise<PostEphemeralResult>;
  update(args: UpdateArgs): Promise<MessageRefResult>;
  delete(args: { channel: string; ts: string }): Promise<MessageRefResult>;
  publishView(args: { user_id: string; view: ViewPayload; hash?: string }): Promise<ViewResult>;
  openView(args: { trigger_id: string; view: ViewPayload }): Promise<ViewResult>;
  updateView(args: {
    view_id?: string;
    external_id?: string;
    view: ViewPayload;
    hash?: string;
  }): Promise<ViewResult>;
  history(args: PageArgs): Promise<MessagesPage>;
  replies(args: PageArgs & { ts: string }): Promise<MessagesPage>;
  userInfo(userId: string): Promise<SlackUser>;
  usergroupUsers(usergroupId: string): Promise<string[]>;
  /** Every enabled user group with its members (`usergroups.list` with include_users). */
  usergroupsList(): Promise<SlackUsergroup[]>;
  authTest(): Promise<AuthTestResult>;
  setAssistantStatus(args: { channel_id: string; thread_ts: string; status: string }): Promise<void>;
  setSuggestedPrompts(args: {
    channel_id: string;
    thread_ts: string;
    prompts: Array<{ title: string; message: string }>;
    title?: string;
  }): Promise<void>;
  postToResponseUrl(url: string, message: ResponseUrlMessage): Promise<void>;
  /** A link to one message (no scope needed). */
  getPermalink(args: { channel: string; message_ts: string }): Promise<string>;
}

/** Posts and modal opens are not safe to repeat blindly: a repeat may post twice. */
const NOT_IDEMPOTENT = new Set(['chat.postMessage', 'chat.postEphemeral', 'views.open']);

export function createSlackWebApiClient(options: SlackWebApiClientOptions): SlackWebApiClient {
  const apiUrl = withTrailingSlash(options.apiUrl ?? 'https://slack.com/api/');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const policy: SlackRetryPolicy = { ...defaultSlackRetryPolicy, ...options.retry };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const logger = options.logger?.child({ component: 'slack-web-api' });
  const web = new WebClient(options.token, {
    slackApiUrl: apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: timeoutMs,
    // A method name must never be able to send the token to another host.
    allowAbsoluteUrls: false,
    logger: slackLoggerFor(logger),
  });
  const responseUrlOrigins = [
    SLACK_HOOKS_ORIGIN,
    new URL(apiUrl).origin,
    ...(options.responseUrlOrigins ?? []),
  ];

  async function withRetries<T>(
    method: string,
    idempotent: boolean,
    attemptOnce: (attempt: number) => Promise<T>,
  ) {
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      try {
        const result = await attemptOnce(attempt);
        logger?.debug({ method, attempt, ms: Date.now() - started }, 'slack call succeeded');
        return result;
      } catch (error) {
        const mapped = mapSlackError(error, { method, attempt });
        const delay = nextRetryDelay(mapped, attempt, idempotent, policy);
        const fields = { method, attempt, ms: Date.now() - started, code: mapped.code, ...mapped.details };
        if (delay === undefined) {
          logger?.warn(fields, 'slack call failed');
          throw mapped;
        }
        logger?.info({ ...fields, retryInMs: delay }, 'slack call will be retried');
        await sleep(delay);
      }
    }
  }

  function call<S extends z.ZodType>(method: string, args: object, schema: S): Promise<z.output<S>> {
    return withRetries(method, !NOT_IDEMPOTENT.has(method), async (attempt) => {
      const raw = await web.apiCall(method, { ...args });
      const parsed = schema.safeParse(raw);
      if (!parsed.success) {
        throw new SluiceError('upstream_failed', `Slack's answer to ${method} is not in the expected shape`, {
          details: {
            method,
            attempt,
            outcome: 'unknown',
            issues: parsed.error.issues.slice(0, 5).map(describeIssue),
          },
        });
      }
      return parsed.data;
    });
  }

  return {
    postMessage: (args) => call('chat.postMessage', args, postMessageResultSchema),
    postEphemeral: (args) => call('chat.postEphemeral', args, postEphemeralResultSchema),
    update: (args) => call('chat.update', args, messageRefResultSchema),
    delete: (args) => call('chat.delete', args, messageRefResultSchema),
    publishView: (args) => call('views.publish', args, viewResultSchema),
    openView: (args) => call('views.open', args, viewResultSchema),
    updateView: (args) => call('views.update', args, viewResultSchema),
    history: (args) => call('conversations.history', args, messagesPageSchema),
    replies: (args) => call('conversations.replies', args, messagesPageSchema),
    userInfo: async (user) => (await call('users.info', { user }, userInfoResultSchema)).user,
    usergroupUsers: async (usergroup) =>
      (await call('usergroups.users.list', { usergroup }, usergroupUsersResultSchema)).users,
    usergroupsList: async () =>
      (await call('usergroups.list', { include_users: true }, usergroupsListResultSchema)).usergroups,
    authTest: () => call('auth.test', {}, authTestResultSchema),
    setAssistantStatus: async (args) => {
      await call('assistant.threads.setStatus', args, okResultSchema);
    },
    setSuggestedPrompts: async (args) => {
      await call('assistant.threads.setSuggestedPrompts', args, okResultSchema);
    },
    getPermalink: async (args) => (await call('chat.getPermalink', args, permalinkResultSchema)).permalink,
    postToResponseUrl: (url, message) =>
      withRetries('response_url', false, (attempt) =>
        postToResponseUrl(url, message, { allowedOrigins: responseUrlOrigins, timeoutMs, attempt }),
      ),
  };
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  return `${issue.path.join('.') || '(root)'}: ${issue.message}`;
}

/**
 * WebClient's own log lines, routed to ours. Its debug lines carry request bodies, so they are
 * dropped; its warnings (deprecated arguments, missing fallback text) are kept.
 */
function slackLoggerFor(logger: Logger | undefined): SlackLogger {
  const text = (parts: unknown[]) => parts.map(String).join(' ');
  return {
    debug: () => {},
    info: () => {},
    warn: (...parts: unknown[]) => logger?.warn({ source: 'web-api' }, text(parts)),
    error: (...parts: unknown[]) => logger?.error({ source: 'web-api' }, text(parts)),
    setLevel: () => {},
    getLevel: () => LogLevel.WARN,
    setName: () => {},
  };
}
