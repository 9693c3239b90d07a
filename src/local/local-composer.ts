import { randomUUID } from 'node:crypto';
import { encodeComposerText } from './encode-composer-text.ts';
import type { AppAnswer, LocalAppSender } from './local-app-sender.ts';
import type { LocalNotices } from './local-notices.ts';
import type { SlackChannel } from './slack-directory.ts';
import { NO_TEXT_FALLBACK } from './slack-message-content.ts';
import {
  appMentionEvent,
  directMessageEvent,
  eventCallbackPayload,
  slashCommandPayload,
} from './slack-payloads.ts';
import type { SlackWebApiDouble } from './slack-web-api-double.ts';

/**
 * The message box of the local workspace page. Text starting with `/` is a slash command: sent
 * to Sluice as Slack sends one (signed form post with a response_url and a trigger id), and the
 * immediate answer is shown as Slack shows it (ephemeral unless `in_channel`). Anything else is
 * the person's own message: stored in the Slack double as theirs, and delivered to Sluice as the
 * Events API callback Slack would send for it: `message` (channel_type `im`) in the DM with the
 * app, `app_mention` when it mentions the app in a channel, nothing otherwise (Sluice subscribes
 * to no other message events).
 */

export interface SlashCommandSpec {
  command: string;
  description?: string;
  usageHint?: string;
}

export interface ComposerInput {
  userId: string;
  channelId: string;
  text: string;
  threadTs?: string;
}

export interface ComposerResult {
  kind: 'command' | 'message' | 'refused';
  /** Why nothing was sent, when the page should say so. */
  problem?: string;
  /** What was delivered to Sluice, if anything, and how it answered. */
  delivered?: { type: string; status: number; failure?: string };
  ts?: string;
}

export interface LocalComposerDeps {
  slack: SlackWebApiDouble;
  sender: LocalAppSender;
  notices: LocalNotices;
  commands: SlashCommandSpec[];
}

export function createLocalComposer(deps: LocalComposerDeps) {
  const { slack, notices } = deps;
  const identity = slack.identity;

  async function runCommand(input: ComposerInput, channel: SlackChannel): Promise<ComposerResult> {
    const [, command = '', text = ''] = /^(\/\S+)\s*([\s\S]*)$/.exec(input.text.trim()) ?? [];
    const notice = (text: string) => notices.add({ channel: channel.id, user: input.userId, text });
    if (input.threadTs) {
      notice('Slash commands are not supported in threads. Sorry!');
      return { kind: 'refused' };
    }
    if (!deps.commands.some((c) => c.command === command)) {
      notice(
        `\`${command}\` is not a valid command. In Slack, all messages that start with the "/" character are interpreted as commands.`,
      );
      return { kind: 'refused' };
    }
    const fields = slashCommandPayload(
      {
        command,
        text,
        userId: input.userId,
        userName: slack.directory.user(input.userId)?.name,
        channelId: channel.id,
        channelName: channel.isIm ? 'directmessage' : channel.name,
        responseUrl: slack.responseUrl({ kind: 'commands', channel: channel.id, user: input.userId }),
        triggerId: slack.mintTriggerId(input.userId),
      },
      identity,
    );
    const answer = await deps.sender.command(fields);
    if (answer.failure) notice(`\`${command}\` failed with the error "${answer.failure}"`);
    else showCommandAnswer(answer, input, channel);
    return { kind: 'command', delivered: delivered('slash_command', answer) };
  }

  /** Slack turns the body of a command's acknowledgement into a message. */
  function showCommandAnswer(answer: AppAnswer, input: ComposerInput, channel: SlackChannel): void {
    const body = answer.json ?? (answer.body.trim() ? { text: answer.body } : undefined);
    if (!body) return;
    const text = typeof body.text === 'string' ? body.text : NO_TEXT_FALLBACK;
    const blocks = Array.isArray(body.blocks) ? (body.blocks as Record<string, unknown>[]) : undefined;
    if (body.response_type === 'in_channel') {
      // An in-channel answer shows the invocation too, as the person's message.
      slack.messages.post(channel.id, { user: input.userId, team: identity.teamId, text: input.text.trim() });
      slack.messages.post(channel.id, {
        user: identity.botUserId,
        bot_id: identity.botId,
        app_id: identity.appId,
        team: identity.teamId,
        text,
        blocks,
      });
      return;
    }
    slack.messages.postEphemeral({ channel: channel.id, user: input.userId, text, blocks });
  }

  async function postMessage(input: ComposerInput, channel: SlackChannel): Promise<ComposerResult> {
    const text = encodeComposerText(input.text.trim(), slack.directory);
    const message = slack.messages.post(channel.id, {
      user: input.userId,
      team: identity.teamId,
      text,
      client_msg_id: randomUUID(),
      thread_ts: input.threadTs,
    });
    const fields = {
      user: input.userId,
      channel: channel.id,
      text,
      ts: message.ts,
      threadTs: input.threadTs,
    };
    let event: (Record<string, unknown> & { type: string }) | undefined;
    if (channel.isIm && channel.imUser === input.userId) event = directMessageEvent(fields);
    else if (text.includes(`<@${identity.botUserId}>`)) {
      if (slack.directory.isMember(channel, identity.botUserId)) event = appMentionEvent(fields);
      else {
        notices.add({
          channel: channel.id,
          user: input.userId,
          threadTs: input.threadTs,
          text: `You mentioned <@${identity.botUserId}>, but they’re not in this channel. Invite them with \`/invite @${identity.botName}\`.`,
        });
      }
    }
    if (!event) return { kind: 'message', ts: message.ts };
    const answer = await deps.sender.event(eventCallbackPayload({ event }, identity));
    return { kind: 'message', ts: message.ts, delivered: delivered(event.type, answer) };
  }

  return {
    async submit(input: ComposerInput): Promise<ComposerResult> {
      const channel = slack.directory.channel(input.channelId);
      if (!channel) return { kind: 'refused', problem: `There is no conversation ${input.channelId}.` };
      if (!input.text.trim()) return { kind: 'refused' };
      return input.text.trimStart().startsWith('/')
        ? runCommand(input, channel)
        : postMessage(input, channel);
    },
  };
}

export type LocalComposer = ReturnType<typeof createLocalComposer>;

function delivered(type: string, answer: AppAnswer): ComposerResult['delivered'] {
  return { type, status: answer.status, ...(answer.failure ? { failure: answer.failure } : {}) };
}
