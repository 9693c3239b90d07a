import { mintViewHash, slackId } from './slack-ids.ts';
import type { SlackWorkspaceIdentity } from './slack-workspace-identity.ts';

/**
 * Views (App Home tabs and modals) of a pretend workspace, stored as Slack echoes them from
 * `views.publish`, `views.open` and `views.update`: with an id, a fresh `hash` on every change,
 * `state.values`, and the app's ids. A person's Home keeps its view id across publishes.
 */

type Json = Record<string, unknown>;

export interface StoredView {
  /** The view object exactly as the Web API returned it last. */
  view: Json;
  /** Whose screen it is on. */
  userId: string | undefined;
}

export interface SlackViewStore {
  home(userId: string): StoredView | undefined;
  get(viewId: string): StoredView | undefined;
  byExternalId(externalId: string): StoredView | undefined;
  /** Stores a new version of a view (a new hash); `id` is kept when given. */
  save(input: Json, options: { id?: string; userId?: string; previousViewId?: string | null }): Json;
  all(): StoredView[];
  clear(): void;
}

export function createSlackViewStore(identity: SlackWorkspaceIdentity, now: () => number): SlackViewStore {
  const views = new Map<string, StoredView>();
  const homes = new Map<string, string>();

  return {
    home(userId) {
      const id = homes.get(userId);
      return id ? views.get(id) : undefined;
    },
    get: (viewId) => views.get(viewId),
    byExternalId: (externalId) =>
      [...views.values()].find((v) => externalId && v.view.external_id === externalId),
    save(input, options) {
      const id = options.id ?? slackId('V');
      const previous = views.get(id);
      const view: Json = {
        id,
        team_id: identity.teamId,
        type: input.type,
        ...(input.title === undefined ? {} : { title: input.title }),
        close: input.close ?? null,
        submit: input.submit ?? null,
        blocks: input.blocks ?? [],
        private_metadata: input.private_metadata ?? '',
        callback_id: input.callback_id ?? '',
        state: previous?.view.state ?? { values: {} },
        hash: mintViewHash(now()),
        clear_on_close: input.clear_on_close ?? false,
        notify_on_close: input.notify_on_close ?? false,
        root_view_id: previous?.view.root_view_id ?? id,
        previous_view_id: options.previousViewId ?? previous?.view.previous_view_id ?? null,
        app_id: identity.appId,
        external_id: input.external_id ?? '',
        app_installed_team_id: identity.teamId,
        bot_id: identity.botId,
      };
      const userId = options.userId ?? previous?.userId;
      views.set(id, { view, userId });
      if (input.type === 'home' && userId) homes.set(userId, id);
      return structuredClone(view);
    },
    all: () => [...views.values()],
    clear() {
      views.clear();
      homes.clear();
    },
  };
}
