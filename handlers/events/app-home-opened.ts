import type { App } from '@slack/bolt';
import type { Logger } from '../../src/logger.ts';
import { buildHomeView } from '../blocks/home-view.ts';
import type { SlackUseCases } from '../slack-use-cases.ts';

/** Publishes the operator console when someone opens the App Home tab, after the ack. */
export function registerAppHomeOpened(app: App, deps: { useCases: SlackUseCases; logger: Logger }): void {
  app.event('app_home_opened', async ({ event, body, client }) => {
    if (event.tab !== 'home') return;
    const teamId = (body as { team_id?: string }).team_id ?? '';
    // Nothing is stored for this event, so Slack's ack (sent once this listener returns) does not
    // wait for the console's queries and views.publish; a failure is logged either way.
    void (async () => {
      const view = await deps.useCases.consoleView({ teamId, userId: event.user });
      await client.views.publish({ user_id: event.user, view: buildHomeView(view) });
    })().catch((error: unknown) =>
      deps.logger.error({ err: error }, 'could not publish the App Home console'),
    );
  });
}
