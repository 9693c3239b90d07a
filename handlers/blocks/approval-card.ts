import {
  type ApprovalButtonValue,
  decodeApprovalButtonValue,
  encodeApprovalButtonValue,
} from '../../src/approvals/button-value.ts';
import { codeBlock, mrkdwn, plain, splitText, truncate } from './mrkdwn.ts';
import { groupMention, slackDate, userMention } from './slack-format.ts';
import { type Block, LIMITS, type SlackMessage } from './types.ts';

export const APPROVE_ACTION = 'approval_approve';
export const REJECT_ACTION = 'approval_reject';
export const REJECT_MODAL = 'approval_reject_reason';
export const REJECT_REASON_BLOCK = 'reason';
export const REJECT_REASON_INPUT = 'reason_input';

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'frozen' | 'cancelled';

export interface ApprovalVoteView {
  userId: string;
  vote: 'approve' | 'reject';
  at: Date;
  reason?: string;
}

/** Everything an approver needs to decide, exactly as it will run. */
export interface ApprovalCardView {
  approvalId: string;
  runId: string;
  action: string;
  params: Record<string, unknown>;
  /** Hash of the exact action and parameters shown; a vote must carry it back. */
  payloadHash: string;
  risk: 'low' | 'medium' | 'high';
  ruleId: string;
  reason: string;
  requester: string;
  approvers: { users: string[]; groups: string[] };
  quorum: number;
  requesterMayApprove: boolean;
  expiresAt: Date;
  status: ApprovalStatus;
  votes: ApprovalVoteView[];
  /** Why the card is frozen, when a pause covers it. */
  pausedReason?: string;
}

export type { ApprovalButtonValue };

/** The Approve / Reject value: a pointer to the stored approval and the hash of what was shown. */
export const encodeButtonValue = encodeApprovalButtonValue;

/** Parses a button value; anything malformed gives undefined (the vote is then refused). */
export function decodeButtonValue(raw: unknown): ApprovalButtonValue | undefined {
  return typeof raw === 'string' ? decodeApprovalButtonValue(raw) : undefined;
}

const riskBadge: Record<ApprovalCardView['risk'], string> = {
  low: '🟢 low',
  medium: '🟠 medium',
  high: '🔴 high',
};

const statusLine: Record<ApprovalStatus, string> = {
  pending: '⏳ Waiting for approval',
  approved: '✅ Approved',
  rejected: '⛔ Rejected',
  expired: '⌛ Expired: the request was denied',
  frozen: '🧊 Frozen: Sluice is paused',
  cancelled: '✖️ Cancelled',
};

/**
 * The approval card. It shows the exact parameters that will run, the risk, the rule that
 * escalated, requester, approvers and quorum, and expiry; it is updated in place as votes arrive
 * and when it is decided, expires or is frozen by a pause (buttons then disappear).
 */
export function buildApprovalCard(card: ApprovalCardView): SlackMessage {
  const approvals = card.votes.filter((v) => v.vote === 'approve').length;
  const approverNames = [
    ...card.approvers.users.map(userMention),
    ...card.approvers.groups.map(groupMention),
  ];
  const blocks: Block[] = [
    { type: 'header', text: plain(`Approval needed: ${card.action}`, LIMITS.headerText) },
    {
      type: 'section',
      fields: [
        mrkdwn(`*Requested by*\n${userMention(card.requester)}`),
        mrkdwn(`*Risk*\n${riskBadge[card.risk]}`),
        mrkdwn(`*Rule*\n\`${truncate(card.ruleId, 100)}\`: ${truncate(card.reason, 500)}`),
        mrkdwn(`*Approvers*\n${card.quorum} of ${truncate(approverNames.join(', ') || 'nobody', 1500)}`),
        mrkdwn(
          `*Expires*\n${slackDate(card.expiresAt)}${card.requesterMayApprove ? '' : '\nThe requester may not approve.'}`,
        ),
        mrkdwn(`*Votes*\n${approvals} of ${card.quorum} approvals`),
      ],
    },
  ];
  const shownParams = JSON.stringify({ action: card.action, params: card.params }, null, 2);
  // The exact payload is shown whole (several sections if long): approvers approve what they see.
  for (const piece of splitText(shownParams, LIMITS.sectionText - 10)) {
    blocks.push({ type: 'section', text: mrkdwn(codeBlock(piece)) });
  }
  for (const vote of card.votes.slice(-8)) {
    const verb = vote.vote === 'approve' ? '✅ approved' : '⛔ rejected';
    const why = vote.reason ? `: “${truncate(vote.reason, 300)}”` : '';
    blocks.push({
      type: 'context',
      elements: [mrkdwn(`${userMention(vote.userId)} ${verb} ${slackDate(vote.at)}${why}`)],
    });
  }
  const status =
    card.status === 'frozen' && card.pausedReason
      ? `${statusLine.frozen} (${card.pausedReason})`
      : statusLine[card.status];
  blocks.push({ type: 'section', text: mrkdwn(`*${truncate(status, 500)}*`) });
  if (card.status === 'pending') {
    const value = encodeApprovalButtonValue({ approvalId: card.approvalId, payloadHash: card.payloadHash });
    blocks.push({
      type: 'actions',
      block_id: `approval:${card.approvalId}`.slice(0, 255),
      elements: [
        { type: 'button', text: plain('Approve'), action_id: APPROVE_ACTION, style: 'primary', value },
        { type: 'button', text: plain('Reject'), action_id: REJECT_ACTION, style: 'danger', value },
      ],
    });
  }
  blocks.push({
    type: 'context',
    elements: [mrkdwn(`run \`${card.runId}\` · approval \`${card.approvalId}\``)],
  });
  return {
    text: `${statusLine[card.status]}: ${card.action} requested by ${userMention(card.requester)}`,
    blocks: blocks.slice(0, LIMITS.messageBlocks),
    unfurl_links: false,
    unfurl_media: false,
  };
}

/** The modal that asks a rejecter why; the reason is stored and, for model runs, given back to the model. */
export function buildRejectModal(value: ApprovalButtonValue, origin: { channel: string; ts: string }) {
  return {
    type: 'modal' as const,
    callback_id: REJECT_MODAL,
    private_metadata: JSON.stringify({ ...value, ...origin }),
    title: plain('Reject request', 24),
    submit: plain('Reject', 24),
    close: plain('Cancel', 24),
    blocks: [
      {
        type: 'input' as const,
        block_id: REJECT_REASON_BLOCK,
        label: plain('Why are you rejecting this?', 2000),
        element: {
          type: 'plain_text_input' as const,
          action_id: REJECT_REASON_INPUT,
          multiline: true,
          min_length: 3,
          max_length: 1000,
          placeholder: plain('The requester will see this.', 150),
        },
      },
    ],
  };
}
