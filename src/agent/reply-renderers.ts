import type { DigestRenderer } from '../digest/digest-to-render.ts';
import type { ViewPayload } from '../slack/web-api-client.ts';
import type { ConsoleSnapshot } from './console-view.ts';
import type { ReplyDraft } from './run-steps.ts';

/**
 * How the core's results become Slack messages. The Block Kit builders live with the Slack
 * transport (handlers/blocks); the composition root passes them in, so the core never imports
 * the transport and the transport's builders stay pure.
 */

export interface AnswerToRender {
  runId: string;
  text: string;
  citations: { n: number; source: string; heading?: string; link?: string }[];
  mode: 'model' | 'fallback' | 'no-model';
}

export interface ApprovalCardToRender {
  approvalId: string;
  runId: string;
  action: string;
  params: Record<string, unknown>;
  payloadHash: string;
  risk: 'low' | 'medium' | 'high';
  ruleId: string;
  reason: string;
  requester: string;
  approvers: { users: string[]; groups: string[] };
  quorum: number;
  requesterMayApprove: boolean;
  expiresAt: Date;
  status: 'pending' | 'approved' | 'rejected' | 'expired' | 'frozen' | 'cancelled';
  votes: { userId: string; vote: 'approve' | 'reject'; at: Date; reason?: string }[];
  pausedReason?: string;
}

export interface ReplyRenderers {
  answer(answer: AnswerToRender): ReplyDraft;
  unknown(runId: string, question: string): ReplyDraft;
  approvalCard(card: ApprovalCardToRender): ReplyDraft;
  digest: DigestRenderer;
  /** The App Home tab's view of the operator console. */
  home(view: ConsoleSnapshot): ViewPayload;
}

/** Plain-text renderers, for the CLI and tests that do not care about Block Kit. */
export const plainRenderers: ReplyRenderers = {
  answer: (a) => ({
    text: `${a.text}\n${a.citations.map((c) => `[${c.n}] ${c.source}${c.heading ? ` › ${c.heading}` : ''}`).join('\n')}`,
  }),
  unknown: (runId, question) => ({ text: `I could not find anything about "${question}" (run ${runId}).` }),
  approvalCard: (c) => ({
    text: `Approval needed: ${c.action} (${c.reason}); ${c.quorum} approval(s) required.`,
  }),
  home: (v) => ({
    type: 'home',
    blocks: [
      {
        type: 'section',
        text: { type: 'plain_text', text: `Runs today: ${v.today.runs}; paused: ${v.pauses.length > 0}` },
      },
    ],
  }),
  digest: (d) => ({
    text: `Sluice digest: ${d.figures.runs.total} runs, ${d.figures.runs.succeeded} succeeded, ${d.figures.runs.failed} failed.`,
    blocks: [],
  }),
};
