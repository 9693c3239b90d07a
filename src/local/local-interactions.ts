import { findBlockElement, inputBlocks } from './find-block-element.ts';
import type { AppAnswer, LocalAppSender } from './local-app-sender.ts';
import type { LocalModalStack } from './local-modal-stack.ts';
import {
  appHomeOpenedEvent,
  blockActionsPayload,
  eventCallbackPayload,
  viewClosedPayload,
  viewSubmissionPayload,
} from './slack-payloads.ts';
import type { SlackWebApiDouble } from './slack-web-api-double.ts';

/**
 * Clicks, modal submissions and the App Home tab on the local workspace page, each delivered to
 * Sluice as Slack delivers it: a signed `block_actions` with the button's action_id, value and
 * block_id and the message (or view) it sits in; a `view_submission` with `state.values` built
 * from the view's input blocks; `app_home_opened` when the Home tab is opened. Slack's own
 * client-side checks (a required field left empty, a text shorter than `min_length`) stop a
 * submission before it is sent, as they do in Slack.
 */

type Json = Record<string, unknown>;

export type ButtonLocation =
  | { kind: 'message'; channel: string; ts: string; ephemeral?: boolean }
  | { kind: 'view'; viewId: string };

export interface InteractionResult {
  ok: boolean;
  /** Why nothing was sent, or how Sluice answered. */
  problem?: string;
  delivered?: { type: string; status: number; failure?: string };
}

export interface LocalInteractionsDeps {
  slack: SlackWebApiDouble;
  sender: LocalAppSender;
  modals: LocalModalStack;
}

export function createLocalInteractions(deps: LocalInteractionsDeps) {
  const { slack, modals } = deps;
  const identity = slack.identity;
  const userOf = (userId: string) => ({ id: userId, name: slack.directory.user(userId)?.name });

  async function clickButton(input: {
    userId: string;
    blockId: string;
    actionId: string;
    location: ButtonLocation;
  }): Promise<InteractionResult> {
    const { userId, location } = input;
    const source =
      location.kind === 'message'
        ? location.ephemeral
          ? slack.messages.findEphemeral(location.channel, userId, location.ts)
          : slack.messages.find(location.channel, location.ts)
        : slack.views.get(location.viewId)?.view;
    const element = source ? findBlockElement(source.blocks, input.blockId, input.actionId) : undefined;
    if (!source || !element) return { ok: false, problem: 'That button is no longer there.' };
    const message =
      location.kind === 'message'
        ? {
            channel: location.channel,
            ts: location.ts,
            text: String(source.text ?? ''),
            blocks: source.blocks as Json[] | undefined,
            ephemeral: location.ephemeral ?? false,
          }
        : undefined;
    const payload = blockActionsPayload(
      {
        user: userOf(userId),
        action: {
          action_id: element.action_id,
          block_id: input.blockId,
          value: element.value,
          text: element.text?.text,
          type: element.type,
          style: element.style,
        },
        message,
        view: location.kind === 'view' ? (source as Json) : undefined,
        responseUrl: message
          ? slack.responseUrl({
              kind: 'actions',
              channel: message.channel,
              user: userId,
              messageTs: message.ts,
              ephemeral: message.ephemeral,
            })
          : undefined,
        triggerId: slack.mintTriggerId(userId),
      },
      identity,
    );
    return delivered('block_actions', await deps.sender.interaction(payload));
  }

  async function submitView(input: {
    userId: string;
    viewId: string;
    values: Record<string, Record<string, string>>;
  }): Promise<InteractionResult> {
    const stored = slack.views.get(input.viewId);
    if (!stored) return { ok: false, problem: 'That view is no longer open.' };
    const values: Json = {};
    const refused: Record<string, string> = {};
    for (const field of inputBlocks(stored.view.blocks)) {
      const value = input.values[field.blockId]?.[field.actionId] ?? '';
      if (!field.optional && !value.trim()) refused[field.blockId] = 'Please complete this required field.';
      else if (value && field.minLength && value.length < field.minLength) {
        refused[field.blockId] = `Must have at least ${field.minLength} characters`;
      }
      values[field.blockId] = { [field.actionId]: { type: field.type, value: value || null } };
    }
    if (Object.keys(refused).length > 0) {
      modals.setErrors(input.viewId, refused);
      return { ok: false, problem: 'Slack checks these fields before sending.' };
    }
    const payload = viewSubmissionPayload(
      { user: userOf(input.userId), view: stored.view, values, triggerId: slack.mintTriggerId(input.userId) },
      identity,
    );
    const answer = await deps.sender.interaction(payload);
    if (answer.failure) {
      modals.setErrors(input.viewId, { '': 'We had some trouble connecting. Try again?' });
      return delivered('view_submission', answer);
    }
    applyResponseAction(input.userId, input.viewId, answer.json ?? {});
    return delivered('view_submission', answer);
  }

  /** What Slack does with the app's answer to a submission. */
  function applyResponseAction(userId: string, viewId: string, body: Json): void {
    switch (body.response_action) {
      case 'errors':
        modals.setErrors(viewId, (body.errors ?? {}) as Record<string, string>);
        return;
      case 'update':
        slack.views.save(body.view as Json, { id: viewId });
        modals.setErrors(viewId, {});
        return;
      case 'push': {
        const pushed = slack.views.save(body.view as Json, { userId, previousViewId: viewId });
        modals.push(userId, String(pushed.id));
        return;
      }
      case 'clear':
        modals.closeAll(userId);
        return;
      default:
        modals.close(userId, viewId);
    }
  }

  async function closeView(input: { userId: string; viewId: string }): Promise<InteractionResult> {
    const stored = slack.views.get(input.viewId);
    modals.close(input.userId, input.viewId);
    if (!stored?.view.notify_on_close) return { ok: true };
    const payload = viewClosedPayload({ user: userOf(input.userId), view: stored.view }, identity);
    return delivered('view_closed', await deps.sender.interaction(payload));
  }

  async function openHome(input: { userId: string }): Promise<InteractionResult> {
    const dm = slack.directory.channel(input.userId);
    if (!dm) return { ok: false, problem: 'Unknown user.' };
    const viewId = slack.views.home(input.userId)?.view.id as string | undefined;
    const event = appHomeOpenedEvent({ user: input.userId, channel: dm.id, viewId });
    return delivered('app_home_opened', await deps.sender.event(eventCallbackPayload({ event }, identity)));
  }

  return { clickButton, submitView, closeView, openHome };
}

export type LocalInteractions = ReturnType<typeof createLocalInteractions>;

function delivered(type: string, answer: AppAnswer): InteractionResult {
  return {
    ok: !answer.failure,
    delivered: { type, status: answer.status, ...(answer.failure ? { failure: answer.failure } : {}) },
  };
}
