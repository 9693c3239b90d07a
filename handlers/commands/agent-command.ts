import type { App, types } from '@slack/bolt';
import { parseAgentCommand } from '../../src/agent/parse-agent-command.ts';
import type { Logger } from '../../src/logger.ts';
import { buildFailureMessage, buildHelpMessage } from '../blocks/help-message.ts';
import { slashCommandSchema } from '../slack-payload-schemas.ts';
import type { SlackUseCases } from '../slack-use-cases.ts';

/**
 * `/agent`: validate, route by code, store, ack with a short ephemeral reply. Help is answered
 * at once (nothing to store); everything else is stored before the ack and finished by workers.
 */
export function registerAgentCommand(app: App, deps: { useCases: SlackUseCases; logger: Logger }): void {
  app.command(/^\/agent/, async ({ body, ack }) => {
    const parsed = slashCommandSchema.safeParse(body);
    if (!parsed.success) {
      deps.logger.warn({ issues: parsed.error.issues.slice(0, 5) }, 'malformed slash command refused');
      await ack({
        response_type: 'ephemeral',
        ...buildFailureMessage('That command arrived malformed', undefined, 'Please try again.'),
      });
      return;
    }
    const c = parsed.data;
    const command = parseAgentCommand(c.text, { channelId: c.channel_id });
    if (command.kind === 'help') {
      await ack({ response_type: 'ephemeral', ...buildHelpMessage(command.note) });
      return;
    }
    try {
      const accepted = await deps.useCases.acceptCommand({
        key: `command:${c.trigger_id}`,
        actor: { teamId: c.team_id, userId: c.user_id, channelId: c.channel_id },
        command,
        rawText: c.text,
        responseUrl: c.response_url,
        payload: body,
      });
      const { text, blocks } = accepted.reply;
      await ack({
        response_type: 'ephemeral',
        text,
        ...(blocks ? { blocks: blocks as types.KnownBlock[] } : {}),
      });
    } catch (error) {
      deps.logger.error({ err: error }, 'could not accept /agent command');
      await ack({
        response_type: 'ephemeral',
        ...buildFailureMessage(
          'Sluice could not store your request, so nothing was done',
          undefined,
          'Please try again in a minute; if it keeps failing, tell your Sluice operator.',
        ),
      });
    }
  });
}
