import type { App } from '@slack/bolt';
import { encodeApprovalButtonValue } from '../../src/approvals/button-value.ts';
import type { Logger } from '../../src/logger.ts';
import { FEEDBACK_HELPFUL, FEEDBACK_NOT_HELPFUL } from '../blocks/answer-blocks.ts';
import {
  APPROVE_ACTION,
  buildRejectModal,
  decodeButtonValue,
  REJECT_ACTION,
  REJECT_MODAL,
  REJECT_REASON_BLOCK,
  REJECT_REASON_INPUT,
} from '../blocks/approval-card.ts';
import { blockActionSchema, viewSubmissionSchema } from '../slack-payload-schemas.ts';
import type { SlackUseCases } from '../slack-use-cases.ts';

/**
 * Approve, Reject (which first asks why, in a modal) and the feedback buttons. The handler only
 * carries the click to the core: who may vote, on what, and whether it still counts is decided
 * on the server from stored state, never from the button's value.
 */
export function registerApprovalActions(app: App, deps: { useCases: SlackUseCases; logger: Logger }): void {
  /** Hands the click to the core; resolves with what to tell the clicker once Slack has its ack. */
  const clicked = async (
    kind: 'approve' | 'helpful' | 'not_helpful',
    body: unknown,
  ): Promise<string | undefined> => {
    const parsed = blockActionSchema.safeParse(body);
    if (!parsed.success) {
      deps.logger.warn('malformed block action ignored');
      return undefined;
    }
    const b = parsed.data;
    const channel = b.container?.channel_id ?? b.channel?.id ?? '';
    const ts = b.container?.message_ts ?? b.message?.ts;
    const { notice } = await deps.useCases.acceptInteraction({
      key: `interaction:${b.trigger_id}`,
      actor: { teamId: b.team?.id ?? '', userId: b.user.id, channelId: channel },
      kind,
      value: b.actions[0]!.value ?? '',
      message: ts ? { channel, ts } : undefined,
      responseUrl: b.response_url,
      payload: body,
    });
    return notice?.text;
  };

  for (const [actionId, kind] of [
    [APPROVE_ACTION, 'approve'],
    [FEEDBACK_HELPFUL, 'helpful'],
    [FEEDBACK_NOT_HELPFUL, 'not_helpful'],
  ] as const) {
    app.action(actionId, async ({ ack, body, respond }) => {
      const notice = await clicked(kind, body);
      await ack();
      // Only the person who clicked sees it. Not awaited: Slack's ack (sent once this listener
      // returns) is not kept waiting for it.
      if (notice)
        void respond({ response_type: 'ephemeral', replace_original: false, text: notice }).catch(() => {});
    });
  }

  app.action(REJECT_ACTION, async ({ ack, body, client, respond }) => {
    await ack();
    const parsed = blockActionSchema.safeParse(body);
    const value = parsed.success ? decodeButtonValue(parsed.data.actions[0]!.value) : undefined;
    if (!parsed.success || !value) {
      deps.logger.warn('malformed reject click ignored');
      return;
    }
    const b = parsed.data;
    const origin = {
      channel: b.container?.channel_id ?? b.channel?.id ?? '',
      ts: b.container?.message_ts ?? b.message?.ts ?? '',
    };
    // Not awaited: Slack's ack (sent once this listener returns) need not wait for views.open.
    void client.views
      .open({ trigger_id: b.trigger_id, view: buildRejectModal(value, origin) })
      .catch(async (error: unknown) => {
        deps.logger.error({ err: error }, 'could not open the reject reason form');
        await respond({
          response_type: 'ephemeral',
          replace_original: false,
          text: 'Sluice could not open the form for your reason, so nothing was rejected. Please press Reject again.',
        }).catch(() => {});
      });
  });

  app.view(REJECT_MODAL, async ({ ack, body }) => {
    const parsed = viewSubmissionSchema.safeParse(body);
    if (!parsed.success) {
      await ack({
        response_action: 'errors',
        errors: { [REJECT_REASON_BLOCK]: 'Something went wrong; close and try again.' },
      });
      return;
    }
    const v = parsed.data;
    const reason = v.view.state.values[REJECT_REASON_BLOCK]?.[REJECT_REASON_INPUT]?.value?.trim() ?? '';
    if (reason.length < 3) {
      await ack({
        response_action: 'errors',
        errors: { [REJECT_REASON_BLOCK]: 'Please say why (at least 3 characters).' },
      });
      return;
    }
    let origin: { approvalId?: string; payloadHash?: string; channel?: string; ts?: string } = {};
    try {
      origin = JSON.parse(v.view.private_metadata) as typeof origin;
    } catch {
      // A forged or damaged view: the core refuses the empty value below.
    }
    await deps.useCases.acceptInteraction({
      key: `interaction:view:${v.view.id}`,
      actor: {
        teamId: v.team?.id ?? v.user.team_id ?? '',
        userId: v.user.id,
        channelId: origin.channel ?? '',
      },
      kind: 'reject',
      value: encodeApprovalButtonValue({
        approvalId: origin.approvalId ?? '',
        payloadHash: origin.payloadHash ?? '',
      }),
      reason: reason.slice(0, 1000),
      message: origin.channel && origin.ts ? { channel: origin.channel, ts: origin.ts } : undefined,
      payload: body,
    });
    await ack();
  });
}
