import { randomBytes } from 'node:crypto';
import { mintEventId, mintTriggerId } from './slack-ids.ts';
import { localWorkspaceIdentity, type SlackWorkspaceIdentity } from './slack-workspace-identity.ts';

/**
 * The requests Slack sends to an app, built as Slack builds them: slash commands, Events API
 * callbacks, `url_verification`, and interaction payloads (`block_actions`, `view_submission`).
 * Pure functions; slack-inbound-request.ts encodes and signs them, the test driver and the local
 * workspace send them. Field lists follow Slack's documented payload examples.
 */

type Json = Record<string, unknown>;

/** Slack still sends its deprecated verification token; apps verify signatures instead. */
export const LEGACY_VERIFICATION_TOKEN = 'unusedlegacyverificationtok';

export interface SlashCommandInput {
  command: string;
  text?: string;
  userId: string;
  userName?: string;
  channelId: string;
  channelName?: string;
  responseUrl: string;
  triggerId?: string;
}

/** The form fields of a slash command invocation. */
export function slashCommandPayload(
  input: SlashCommandInput,
  workspace: SlackWorkspaceIdentity = localWorkspaceIdentity,
): Record<string, string> {
  return {
    token: LEGACY_VERIFICATION_TOKEN,
    team_id: workspace.teamId,
    team_domain: workspace.teamDomain,
    channel_id: input.channelId,
    channel_name: input.channelName ?? input.channelId,
    user_id: input.userId,
    user_name: input.userName ?? input.userId.toLowerCase(),
    command: input.command,
    text: input.text ?? '',
    api_app_id: workspace.appId,
    is_enterprise_install: 'false',
    response_url: input.responseUrl,
    trigger_id: input.triggerId ?? mintTriggerId(),
  };
}

export interface EventCallbackInput {
  /** The inner event, e.g. `{ type: 'app_mention', user, text, channel, ts }`. */
  event: Json & { type: string };
  eventId?: string;
  /** Seconds since the epoch. */
  eventTime?: number;
}

export function eventCallbackPayload(
  input: EventCallbackInput,
  workspace: SlackWorkspaceIdentity = localWorkspaceIdentity,
): Json {
  const eventTime = input.eventTime ?? Math.floor(Date.now() / 1000);
  return {
    token: LEGACY_VERIFICATION_TOKEN,
    team_id: workspace.teamId,
    api_app_id: workspace.appId,
    event: { event_ts: `${eventTime}.000100`, ...input.event },
    type: 'event_callback',
    event_id: input.eventId ?? mintEventId(),
    event_time: eventTime,
    authorizations: [
      {
        enterprise_id: null,
        team_id: workspace.teamId,
        user_id: workspace.botUserId,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
    event_context: `4-${randomBytes(24).toString('base64url')}`,
  };
}

export function urlVerificationPayload(challenge: string): Json {
  return { token: LEGACY_VERIFICATION_TOKEN, challenge, type: 'url_verification' };
}

export interface MessageEventInput {
  user: string;
  channel: string;
  text: string;
  ts: string;
  threadTs?: string;
}

/** `app_mention`: someone wrote `<@bot>` in a channel. */
export function appMentionEvent(input: MessageEventInput): Json & { type: string } {
  return {
    type: 'app_mention',
    user: input.user,
    text: input.text,
    ts: input.ts,
    channel: input.channel,
    ...(input.threadTs ? { thread_ts: input.threadTs } : {}),
  };
}

/** `message` in a direct message with the app (`message.im`). */
export function directMessageEvent(input: MessageEventInput): Json & { type: string } {
  return {
    type: 'message',
    channel_type: 'im',
    user: input.user,
    text: input.text,
    ts: input.ts,
    channel: input.channel,
    ...(input.threadTs ? { thread_ts: input.threadTs } : {}),
  };
}

/** A message in an assistant thread: `message.im` in the thread Slack opened in the DM with the app. */
export function assistantThreadMessageEvent(
  input: MessageEventInput & { threadTs: string },
): Json & { type: string } {
  return {
    ...directMessageEvent(input),
    // Slack opened the thread on the person's behalf, so its root is theirs.
    parent_user_id: input.user,
  };
}

export interface AssistantThreadInput {
  /** Who opened the assistant container. */
  user: string;
  /** The DM with the app that holds the thread. */
  channel: string;
  threadTs: string;
  /** What the person was viewing; Slack sends `{}` when it is nothing the app may know. */
  context?: { channel_id?: string; team_id?: string; enterprise_id?: string | null };
}

function assistantThreadEvent(
  type: 'assistant_thread_started' | 'assistant_thread_context_changed',
  input: AssistantThreadInput,
): Json & { type: string } {
  return {
    type,
    assistant_thread: {
      user_id: input.user,
      context: input.context ?? {},
      channel_id: input.channel,
      thread_ts: input.threadTs,
    },
  };
}

/** `assistant_thread_started`: the person opened the assistant container (a new thread). */
export function assistantThreadStartedEvent(input: AssistantThreadInput): Json & { type: string } {
  return assistantThreadEvent('assistant_thread_started', input);
}

/** `assistant_thread_context_changed`: with the container open, the person moved to another channel. */
export function assistantThreadContextChangedEvent(input: AssistantThreadInput): Json & { type: string } {
  return assistantThreadEvent('assistant_thread_context_changed', input);
}

export function appHomeOpenedEvent(input: {
  user: string;
  channel: string;
  viewId?: string;
}): Json & { type: string } {
  return {
    type: 'app_home_opened',
    user: input.user,
    channel: input.channel,
    tab: 'home',
    ...(input.viewId ? { view: { id: input.viewId } } : {}),
  };
}

export interface InteractionUser {
  id: string;
  name?: string;
}

function userBlock(user: InteractionUser, workspace: SlackWorkspaceIdentity): Json {
  const name = user.name ?? user.id.toLowerCase();
  return { id: user.id, username: name, name, team_id: workspace.teamId };
}

export interface BlockActionInput {
  user: InteractionUser;
  action: {
    action_id: string;
    block_id?: string;
    value?: string;
    text?: string;
    type?: string;
    style?: string;
  };
  /** The message the button is on, with its channel; omit for a button in a view. */
  message?: { channel: string; ts: string; text?: string; blocks?: Json[]; ephemeral?: boolean };
  view?: Json;
  responseUrl?: string;
  triggerId?: string;
  stateValues?: Json;
}

export function blockActionsPayload(
  input: BlockActionInput,
  workspace: SlackWorkspaceIdentity = localWorkspaceIdentity,
): Json {
  const { action, message, view } = input;
  const container = message
    ? {
        type: 'message',
        message_ts: message.ts,
        channel_id: message.channel,
        is_ephemeral: message.ephemeral ?? false,
      }
    : { type: 'view', view_id: view?.id };
  return {
    type: 'block_actions',
    user: userBlock(input.user, workspace),
    api_app_id: workspace.appId,
    token: LEGACY_VERIFICATION_TOKEN,
    container,
    trigger_id: input.triggerId ?? mintTriggerId(),
    team: { id: workspace.teamId, domain: workspace.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    ...(message ? { channel: { id: message.channel, name: message.channel } } : {}),
    ...(message
      ? {
          message: {
            type: 'message',
            ts: message.ts,
            text: message.text ?? '',
            blocks: message.blocks ?? [],
          },
        }
      : {}),
    ...(view ? { view } : {}),
    state: { values: input.stateValues ?? {} },
    ...(input.responseUrl ? { response_url: input.responseUrl } : {}),
    actions: [
      {
        type: action.type ?? 'button',
        action_id: action.action_id,
        block_id: action.block_id ?? 'actions',
        text: { type: 'plain_text', text: action.text ?? action.action_id, emoji: true },
        ...(action.value === undefined ? {} : { value: action.value }),
        ...(action.style ? { style: action.style } : {}),
        action_ts: `${(Date.now() / 1000).toFixed(6)}`,
      },
    ],
  };
}

export interface ViewSubmissionInput {
  user: InteractionUser;
  /** The view as the app opened it (id, callback_id, private_metadata, blocks, ...). */
  view: Json;
  /** `state.values`: `{ [block_id]: { [action_id]: { type, value } } }`. */
  values?: Json;
  triggerId?: string;
}

export function viewSubmissionPayload(
  input: ViewSubmissionInput,
  workspace: SlackWorkspaceIdentity = localWorkspaceIdentity,
): Json {
  return {
    type: 'view_submission',
    team: { id: workspace.teamId, domain: workspace.teamDomain },
    user: userBlock(input.user, workspace),
    api_app_id: workspace.appId,
    token: LEGACY_VERIFICATION_TOKEN,
    trigger_id: input.triggerId ?? mintTriggerId(),
    view: { ...input.view, state: { values: input.values ?? {} } },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

export interface ViewClosedInput {
  user: InteractionUser;
  view: Json;
  isCleared?: boolean;
}

/** Sent only for views opened with `notify_on_close: true`, when the person closes them. */
export function viewClosedPayload(
  input: ViewClosedInput,
  workspace: SlackWorkspaceIdentity = localWorkspaceIdentity,
): Json {
  return {
    type: 'view_closed',
    team: { id: workspace.teamId, domain: workspace.teamDomain },
    user: userBlock(input.user, workspace),
    api_app_id: workspace.appId,
    token: LEGACY_VERIFICATION_TOKEN,
    view: input.view,
    is_cleared: input.isCleared ?? false,
    is_enterprise_install: false,
    enterprise: null,
  };
}
