import { type App, Assistant } from '@slack/bolt';
import type { Logger } from '../../src/logger.ts';
import {
  assistantMessageEventSchema,
  assistantThreadEventSchema,
  eventEnvelopeSchema,
} from '../slack-payload-schemas.ts';
import type { SlackUseCases } from '../slack-use-cases.ts';
import { withoutBotMention } from './message-events.ts';
import { tellNotStored } from './tell-not-stored.ts';

/**
 * Slack's assistant surface (Bolt's `Assistant`): suggested prompts when a person opens an
 * assistant thread, and each message they write there goes through the same pipeline as a DM,
 * with a "thinking" status while the run works. The run's reply reaches the thread through the
 * outbox, and Slack clears the status when it lands. The thread's first question becomes its
 * title (Slack lists assistant threads by title in the app's History tab).
 *
 * Bolt treats every threaded `message.im` as an assistant message, so with this registered a
 * reply in an ordinary DM thread comes here too; it is stored all the same, and a status Slack
 * refuses is only logged.
 */

export const SUGGESTED_PROMPTS_TITLE = 'Try asking';

/** Also the defaults in manifest.json (`features.assistant_view.suggested_prompts`). */
export const SUGGESTED_PROMPTS: readonly { title: string; message: string }[] = [
  { title: 'Rotate a password', message: 'How do I rotate the staging database password?' },
  { title: 'Restart a service', message: 'Restart payments-worker in staging' },
  { title: 'What Sluice may do', message: 'What is Sluice allowed to do?' },
];

export const THINKING_STATUS = 'is thinking…';

/** Long enough to tell threads apart in Slack's History list, short enough to fit on its line. */
export const MAX_TITLE_CHARS = 60;

/**
 * A thread title from the person's question: Slack markup shown as its label (`<url|label>`,
 * `<#C123|ops>`), one line, at most MAX_TITLE_CHARS, cut at a word where there is one.
 */
export function threadTitle(text: string): string {
  const plain = text
    .replace(/<([^<>|]*)\|([^<>]*)>/g, '$2')
    .replace(/<([^<>]*)>/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
  if (plain.length <= MAX_TITLE_CHARS) return plain;
  const cut = plain.slice(0, MAX_TITLE_CHARS - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space >= MAX_TITLE_CHARS / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/**
 * The request is stored only after the status call, so the status cannot land after a fast reply
 * (it would then show until Slack's two-minute timeout); but the ack waits for it no longer than
 * this, to stay well inside Slack's three seconds when Slack is slow or rate-limits the call.
 */
const STATUS_WAIT_MS = 1_000;

export function registerAssistant(
  app: App,
  deps: { useCases: SlackUseCases; logger: Logger; botUserId: string },
): void {
  const logger = deps.logger.child({ surface: 'assistant' });

  const assistant = new Assistant({
    threadStarted: async ({ event, client }) => {
      const parsed = assistantThreadEventSchema.safeParse(event);
      if (!parsed.success) {
        logger.warn('malformed assistant_thread_started ignored');
        return;
      }
      const { channel_id, thread_ts } = parsed.data.assistant_thread;
      // Not awaited: nothing is stored for this event, so Slack's ack does not wait for the call.
      void client.assistant.threads
        .setSuggestedPrompts({
          channel_id,
          thread_ts,
          title: SUGGESTED_PROMPTS_TITLE,
          prompts: [...SUGGESTED_PROMPTS],
        })
        .catch((error: unknown) => logger.warn({ err: error }, 'could not set suggested prompts'));
    },

    // Sluice answers from its own knowledge base and does not use the channel the person is
    // viewing. Without this listener Bolt's default store would rewrite the thread's first bot
    // message (conversations.replies + chat.update) on every move.
    threadContextChanged: async () => {},

    userMessage: async ({ event, body, client, context, setTitle }) => {
      const envelope = eventEnvelopeSchema.safeParse(body);
      const message = assistantMessageEventSchema.safeParse(event);
      if (!envelope.success || !message.success) {
        logger.warn('malformed assistant thread message ignored');
        return;
      }
      const m = message.data;
      if (!m.user || m.bot_id || m.subtype || m.user === deps.botUserId) return;
      const text = withoutBotMention(m.text, deps.botUserId);
      if (!text) return;
      const thread = { channel_id: m.channel, thread_ts: m.thread_ts };
      // A Slack retry may arrive after the reply; a status set then would linger.
      if (!context.retryNum) await showThinking(client, thread, logger);
      try {
        const { firstInThread } = await deps.useCases.acceptMessage({
          key: `event:${envelope.data.event_id}`,
          actor: { teamId: envelope.data.team_id, userId: m.user, channelId: m.channel },
          surface: 'assistant',
          text,
          ts: m.ts,
          threadTs: m.thread_ts,
          payload: body,
        });
        // Not awaited: a title is only cosmetic, and the ack waits neither for the database to say
        // whether this is the thread's first question nor for Slack.
        void firstInThread
          .then((first) => (first ? setTitle(threadTitle(text)) : undefined))
          .catch((error: unknown) => logger.warn({ err: error }, 'could not set the thread title'));
      } catch (error) {
        logger.error({ err: error }, 'could not accept assistant thread message');
        await tellNotStored(client, { channel: m.channel, threadTs: m.thread_ts }, logger);
      }
    },
  });
  app.assistant(assistant);
}

async function showThinking(
  client: App['client'],
  thread: { channel_id: string; thread_ts: string },
  logger: Logger,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const request = client.assistant.threads.setStatus({ ...thread, status: THINKING_STATUS });
  const call = request.then(
    () => undefined,
    (error: unknown) => logger.warn({ err: error }, 'could not set the thinking status'),
  );
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, STATUS_WAIT_MS);
  });
  await Promise.race([call, waited]);
  clearTimeout(timer);
}
