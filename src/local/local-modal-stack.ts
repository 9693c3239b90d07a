import type { SlackWebApiDouble } from './slack-web-api-double.ts';

/**
 * Which modals are open on whose screen. Slack keeps a stack of modals per person: `views.open`
 * (with a trigger id minted for that person) opens one, `response_action: "push"` adds one, and
 * closing or submitting removes the top one unless the app answers with errors or an update. The
 * views themselves live in the Slack double's view store; this only remembers the order, and the
 * field errors the app sent back for a submission.
 */

type Json = Record<string, unknown>;

export interface OpenModal {
  view: Json;
  /** `{ [block_id]: message }` from the app's `response_action: "errors"`. */
  errors: Record<string, string>;
}

export interface LocalModalStack {
  top(userId: string): OpenModal | undefined;
  push(userId: string, viewId: string): void;
  /** Removes the modal (and any pushed above it). */
  close(userId: string, viewId: string): void;
  closeAll(userId: string): void;
  setErrors(viewId: string, errors: Record<string, string>): void;
  /** Stops following the Slack double. */
  detach(): void;
}

export function createLocalModalStack(slack: SlackWebApiDouble, onChange: () => void): LocalModalStack {
  const stacks = new Map<string, string[]>();
  const errors = new Map<string, Record<string, string>>();

  const stack: LocalModalStack = {
    top(userId) {
      const ids = stacks.get(userId) ?? [];
      for (let i = ids.length - 1; i >= 0; i--) {
        const stored = slack.views.get(ids[i]!);
        if (stored) return { view: stored.view, errors: errors.get(ids[i]!) ?? {} };
      }
      return undefined;
    },
    push(userId, viewId) {
      stacks.set(userId, [...(stacks.get(userId) ?? []), viewId]);
      onChange();
    },
    close(userId, viewId) {
      const ids = stacks.get(userId) ?? [];
      const at = ids.indexOf(viewId);
      if (at < 0) return;
      for (const id of ids.slice(at)) errors.delete(id);
      stacks.set(userId, ids.slice(0, at));
      onChange();
    },
    closeAll(userId) {
      for (const id of stacks.get(userId) ?? []) errors.delete(id);
      stacks.delete(userId);
      onChange();
    },
    setErrors(viewId, viewErrors) {
      errors.set(viewId, viewErrors);
      onChange();
    },
    detach: () => unsubscribe(),
  };

  // A modal appears when the app's `views.open` succeeds for a trigger minted for a person.
  const unsubscribe = slack.onChange((change) => {
    if (change.kind !== 'api_call' || change.call.method !== 'views.open') return;
    const response = change.call.response as { ok?: boolean; view?: { id?: string } } | undefined;
    const viewId = response?.ok ? response.view?.id : undefined;
    const userId = viewId ? slack.views.get(viewId)?.userId : undefined;
    if (viewId && userId) stack.push(userId, viewId);
  });

  return stack;
}
