import type { App, types } from '@slack/bolt';
import type { Logger } from '../../src/logger.ts';
import { buildFailureMessage } from '../blocks/help-message.ts';

/**
 * When a message event could not be stored, the person hears it in the thread they wrote in
 * (in an assistant thread this also clears the "thinking" status). Slack is not asked to retry:
 * the person was told nothing was done, so a later run would surprise them.
 */
export async function tellNotStored(
  client: App['client'],
  where: { channel: string; threadTs: string },
  logger: Logger,
): Promise<void> {
  const failure = buildFailureMessage(
    'Sluice could not store your request, so nothing was done',
    undefined,
    'Please send it again in a minute; if it keeps failing, tell your Sluice operator.',
  );
  try {
    await client.chat.postMessage({
      channel: where.channel,
      thread_ts: where.threadTs,
      text: failure.text,
      blocks: failure.blocks as types.KnownBlock[],
    });
  } catch (error) {
    logger.error({ err: error }, 'could not tell the person their request was not stored');
  }
}
