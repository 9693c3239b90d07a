import type { App } from '@slack/bolt';
import type { Logger } from '../../src/logger.ts';
import { eventEnvelopeSchema, messageEventSchema } from '../slack-payload-schemas.ts';
import type { SlackUseCases } from '../slack-use-cases.ts';
import { tellNotStored } from './tell-not-stored.ts';

/**
 * Mentions and direct messages go through the same pipeline as `/agent`; the run replies in
 * thread. Messages from bots (including Sluice itself) and edits are ignored; a request that
 * could not be stored is answered in its thread, so it never fails silently.
 */
export function registerMessageEvents(
  app: App,
  deps: { useCases: SlackUseCases; logger: Logger; botUserId: string },
): void {
  const accept = async (surface: 'mention' | 'dm', event: unknown, body: unknown, client: App['client']) => {
    const envelope = eventEnvelopeSchema.safeParse(body);
    const message = messageEventSchema.safeParse(event);
    if (!envelope.success || !message.success) {
      deps.logger.warn('malformed message event ignored');
      return;
    }
    const m = message.data;
    if (!m.user || m.bot_id || m.subtype || m.user === deps.botUserId) return;
    const text = withoutBotMention(m.text, deps.botUserId);
    if (!text) return;
    try {
      await deps.useCases.acceptMessage({
        key: `event:${envelope.data.event_id}`,
        actor: { teamId: envelope.data.team_id, userId: m.user, channelId: m.channel },
        surface,
        text,
        ts: m.ts,
        threadTs: m.thread_ts,
        payload: body,
      });
    } catch (error) {
      deps.logger.error({ err: error, surface }, 'could not accept message event');
      await tellNotStored(client, { channel: m.channel, threadTs: m.thread_ts ?? m.ts }, deps.logger);
    }
  };

  app.event('app_mention', async ({ event, body, client }) => accept('mention', event, body, client));
  app.event('message', async ({ event, body, client }) => {
    if ((event as { channel_type?: string }).channel_type !== 'im') return;
    await accept('dm', event, body, client);
  });
}

/** The text without mentions of Sluice itself (`<@U…>` or `<@U…|name>`), trimmed. */
export function withoutBotMention(text: string, botUserId: string): string {
  return text.replace(new RegExp(`<@${botUserId}(\\|[^>]*)?>`, 'g'), '').trim();
}
