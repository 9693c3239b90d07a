import type { SlackApiRequest } from './slack-api-request.ts';
import { assistantMethods } from './slack-assistant-methods.ts';
import { chatMethods } from './slack-chat-methods.ts';
import { conversationMethods } from './slack-conversation-methods.ts';
import type { SlackMethodContext, SlackMethodHandler } from './slack-method-context.ts';
import { SlackMethodError } from './slack-method-error.ts';
import { viewMethods } from './slack-view-methods.ts';
import { workspaceMethods } from './slack-workspace-methods.ts';

/**
 * The Slack double's answer to one Web API call, in Slack's envelope: `{ ok: true, ... }` or
 * `{ ok: false, error }`, checked in Slack's order (the method exists, the body is readable,
 * a token is present, the token is known) before the method runs. Warnings such as
 * `missing_charset` ride along on every answer.
 */

const METHODS: Record<string, SlackMethodHandler> = {
  ...chatMethods,
  ...conversationMethods,
  ...viewMethods,
  ...workspaceMethods,
  ...assistantMethods,
};

/** Every Web API method the double implements. */
export const slackDoubleMethods: readonly string[] = Object.keys(METHODS);

export function answerSlackMethod(
  request: SlackApiRequest,
  context: SlackMethodContext,
  tokens: ReadonlySet<string>,
): Record<string, unknown> {
  const { method } = request;
  const warningFields = request.warnings.length
    ? { warning: request.warnings.join(','), response_metadata: { warnings: request.warnings } }
    : {};
  const handler = METHODS[method];
  if (!handler) return { ok: false, error: 'unknown_method', req_method: method, ...warningFields };
  if (request.problem) return { ok: false, error: request.problem, ...warningFields };
  if (!request.token) return { ok: false, error: 'not_authed', ...warningFields };
  if (!tokens.has(request.token)) return { ok: false, error: 'invalid_auth', ...warningFields };
  try {
    return { ok: true, ...warningFields, ...handler(request.args, context) };
  } catch (error) {
    if (error instanceof SlackMethodError)
      return { ok: false, error: error.error, ...warningFields, ...error.extra };
    throw error;
  }
}
