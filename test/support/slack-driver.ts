import { mintTriggerId } from '../../src/local/slack-ids.ts';
import {
  encodeEvent,
  encodeInteraction,
  encodeSlashCommand,
  type SlackInboundRequest,
  signedHeaders,
} from '../../src/local/slack-inbound-request.ts';
import {
  type BlockActionInput,
  blockActionsPayload,
  type EventCallbackInput,
  eventCallbackPayload,
  type SlashCommandInput,
  slashCommandPayload,
  urlVerificationPayload,
  type ViewSubmissionInput,
  viewSubmissionPayload,
} from '../../src/local/slack-payloads.ts';
import type { ResponseUrlTarget } from '../../src/local/slack-response-urls.ts';
import {
  localWorkspaceIdentity,
  type SlackWorkspaceIdentity,
} from '../../src/local/slack-workspace-identity.ts';

/**
 * Plays Slack towards an app: sends slash commands, Events API callbacks, `url_verification`
 * and interactions to its `/slack/events` URL over real HTTP, signed with the v0 scheme, and can
 * sign badly on purpose (wrong secret, stale or future timestamp, missing headers) or send an
 * event as one of Slack's retries (`X-Slack-Retry-Num`, `X-Slack-Retry-Reason`).
 */

export interface SlackDriverOptions {
  /** The app's request URL, e.g. `http://127.0.0.1:3000/slack/events`. */
  url: string;
  signingSecret: string;
  workspace?: SlackWorkspaceIdentity;
  /** Mints the `response_url` sent with commands and actions; pass the Slack double's `responseUrl`. */
  responseUrl?: (target: ResponseUrlTarget) => string;
  /** Mints trigger ids; pass the Slack double's `mintTriggerId` so `views.open` knows the user. */
  triggerId?: (userId: string) => string;
  now?: () => number;
}

export interface SendOptions {
  signature?: 'valid' | 'bad' | 'missing';
  /** `stale` is six minutes ago, `future` six minutes ahead, a number is seconds since the epoch. */
  timestamp?: 'now' | 'stale' | 'future' | 'missing' | number;
  headers?: Record<string, string>;
}

export interface EventSendOptions extends SendOptions {
  /** Sends the event as Slack's nth retry of it. */
  retryNum?: number;
  retryReason?: string;
}

export interface DriverResponse {
  status: number;
  headers: Headers;
  text: string;
  json(): unknown;
  sent: { body: string; headers: Record<string, string>; payload: unknown };
}

const SIX_MINUTES = 6 * 60;

export function createSlackDriver(options: SlackDriverOptions) {
  const workspace = options.workspace ?? localWorkspaceIdentity;
  const now = options.now ?? Date.now;
  const triggerFor = (userId: string) => options.triggerId?.(userId) ?? mintTriggerId(now());
  const responseUrlFor = (target: ResponseUrlTarget) =>
    options.responseUrl?.(target) ??
    `https://hooks.slack.com/${target.kind ?? 'commands'}/${workspace.teamId}/0000000000/unreachable`;

  async function send(
    request: SlackInboundRequest,
    payload: unknown,
    opts: EventSendOptions = {},
  ): Promise<DriverResponse> {
    const nowSec = Math.floor(now() / 1000);
    const choice = opts.timestamp ?? 'now';
    const timestampSec =
      typeof choice === 'number'
        ? choice
        : choice === 'stale'
          ? nowSec - SIX_MINUTES
          : choice === 'future'
            ? nowSec + SIX_MINUTES
            : nowSec;
    const secret = opts.signature === 'bad' ? `${options.signingSecret}-wrong` : options.signingSecret;
    const headers = signedHeaders(request, secret, timestampSec);
    if (opts.signature === 'missing') delete headers['x-slack-signature'];
    if (choice === 'missing') delete headers['x-slack-request-timestamp'];
    if (opts.retryNum !== undefined) {
      headers['x-slack-retry-num'] = String(opts.retryNum);
      headers['x-slack-retry-reason'] = opts.retryReason ?? 'http_timeout';
    }
    Object.assign(headers, opts.headers);
    const response = await fetch(options.url, { method: 'POST', headers, body: request.body });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      text,
      json: () => JSON.parse(text),
      sent: { body: request.body, headers, payload },
    };
  }

  return {
    workspace,

    async command(
      input: Omit<SlashCommandInput, 'responseUrl' | 'triggerId'> & {
        responseUrl?: string;
        triggerId?: string;
      },
      opts?: SendOptions,
    ) {
      const responseUrl =
        input.responseUrl ??
        responseUrlFor({ kind: 'commands', channel: input.channelId, user: input.userId });
      const triggerId = input.triggerId ?? triggerFor(input.userId);
      const fields = slashCommandPayload({ ...input, responseUrl, triggerId }, workspace);
      return { ...(await send(encodeSlashCommand(fields), fields, opts)), responseUrl, triggerId };
    },

    async event(input: EventCallbackInput, opts?: EventSendOptions) {
      const payload = eventCallbackPayload(input, workspace);
      return { ...(await send(encodeEvent(payload), payload, opts)), eventId: payload.event_id as string };
    },

    urlVerification(challenge = 'challenge-from-slack', opts?: SendOptions) {
      const payload = urlVerificationPayload(challenge);
      return send(encodeEvent(payload), payload, opts);
    },

    async blockAction(input: BlockActionInput, opts?: SendOptions) {
      const responseUrl =
        input.responseUrl ??
        (input.message
          ? responseUrlFor({
              kind: 'actions',
              channel: input.message.channel,
              user: input.user.id,
              messageTs: input.message.ts,
              ephemeral: input.message.ephemeral,
            })
          : undefined);
      const triggerId = input.triggerId ?? triggerFor(input.user.id);
      const payload = blockActionsPayload({ ...input, responseUrl, triggerId }, workspace);
      return { ...(await send(encodeInteraction(payload), payload, opts)), responseUrl, triggerId };
    },

    viewSubmission(input: ViewSubmissionInput, opts?: SendOptions) {
      const payload = viewSubmissionPayload(
        { ...input, triggerId: input.triggerId ?? triggerFor(input.user.id) },
        workspace,
      );
      return send(encodeInteraction(payload), payload, opts);
    },

    /** Any request body, signed (or not) as the options say. */
    raw(request: SlackInboundRequest, opts?: EventSendOptions) {
      return send(request, undefined, opts);
    },
  };
}

export type SlackDriver = ReturnType<typeof createSlackDriver>;
