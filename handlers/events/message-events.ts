import type { App } from '@slack/bolt';
import type { Logger } from '../../src/logger.ts';
import { eventEnvelopeSchema, messageEventSchema } from '../slack-payload-schemas.ts';
import type { SlackUseCases } from '../slack-use-cases.ts';

/**
 * Mentions and direct messages go through the same pipeline as `/agent`; the run replies in
 * thread. Messages from bots (including Sluice itself) and edits are ignored.
 */
export function registerMessageEvents(
  app: App,
  deps: { useCases: SlackUseCases; logger: Logger; botUserId: string },
): void {
  const accept = async (surface: 'mention' | 'dm', event: unknown, body: unknown) => {
    const envelope = eventEnvelopeSchema.safeParse(body);
    const message = messageEventSchema.safeParse(event);
    if (!envelope.success || !message.success) {
      deps.logger.warn('malformed message event ignored');
      return;
    }
    const m = message.data;
    if (!m.user || m.bot_id || m.subtype || m.user === deps.botUserId) return;
    const text = m.text.replace(new RegExp(`<@${deps.botUserId}(\\|[^>]*)?>`, 'g'), '').trim();
    if (!text) return;
    await deps.useCases.acceptMessage({
      key: `event:${envelope.data.event_id}`,
      actor: { teamId: envelope.data.team_id, userId: m.user, channelId: m.channel },
      surface,
      text,
      ts: m.ts,
      threadTs: m.thread_ts,
      payload: body,
    });
  };

  app.event('app_mention', async ({ event, body }) => accept('mention', event, body));
  app.event('message', async ({ event, body }) => {
    if ((event as { channel_type?: string }).channel_type !== 'im') return;
    await accept('dm', event, body);
  });
}
