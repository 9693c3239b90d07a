import { signSlackRequest } from '../slack/request-signature.ts';

/**
 * The bytes and headers of a request from Slack to an app: slash commands as a form, events as
 * JSON, interactions as a form with one `payload` field holding JSON, each signed with the v0
 * scheme. The content type is exactly `application/x-www-form-urlencoded` (no charset), as Slack
 * sends it and as Bolt expects it.
 */

export interface SlackInboundRequest {
  body: string;
  contentType: 'application/x-www-form-urlencoded' | 'application/json';
}

export function encodeSlashCommand(fields: Record<string, string>): SlackInboundRequest {
  return { body: new URLSearchParams(fields).toString(), contentType: 'application/x-www-form-urlencoded' };
}

export function encodeEvent(payload: Record<string, unknown>): SlackInboundRequest {
  return { body: JSON.stringify(payload), contentType: 'application/json' };
}

export function encodeInteraction(payload: Record<string, unknown>): SlackInboundRequest {
  return {
    body: new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
    contentType: 'application/x-www-form-urlencoded',
  };
}

/** Headers for sending `request` as Slack would, signed at `timestampSec` (default now). */
export function signedHeaders(
  request: SlackInboundRequest,
  signingSecret: string,
  timestampSec?: number,
): Record<string, string> {
  return {
    'content-type': request.contentType,
    ...signSlackRequest({ signingSecret, body: request.body, timestampSec }),
  };
}
