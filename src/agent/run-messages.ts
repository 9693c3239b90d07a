import type { ActivePause } from '../control/active-pauses.ts';
import { formatPauseScope } from '../control/pause-scope.ts';
import type { OutboxDraft } from '../outbox/outbox-message.ts';
import type { Run } from './run-record.ts';
import type { Decision, ReplyDraft } from './run-steps.ts';

/**
 * The processor's own words to the requester, and the outbox drafts that carry them. Every
 * message names the run id, so a person can quote it to an operator.
 */

/** A post in the run's thread (or channel); none when the run has nowhere to reply. */
export function runMessage(run: Run, step: string, reply: ReplyDraft, completesRun = false): OutboxDraft[] {
  if (!run.channelId) return [];
  return [
    {
      operation: 'post',
      key: `${run.id}:${step}`,
      runId: run.id,
      step,
      channelId: run.channelId,
      threadTs: run.threadTs,
      text: reply.text,
      ...(reply.blocks ? { blocks: reply.blocks } : {}),
      completesRun,
    },
  ];
}

export function denialReply(run: Run, decision: Decision): ReplyDraft {
  return (
    decision.reply ?? {
      text: `Not done: ${decision.reason} (policy rule ${decision.ruleId}; run ${run.id}).`,
    }
  );
}

export function pausedReply(run: Run, pause: ActivePause): ReplyDraft {
  const scope = formatPauseScope({ kind: pause.scopeKind, value: pause.scopeValue });
  return {
    text: `Sluice is paused (${scope}) by ${pause.pausedBy}: ${pause.reason}. Nothing was done for this request; ask again once it is resumed. (run ${run.id})`,
  };
}

export function deadLetterReply(run: Run): ReplyDraft {
  return {
    text: `Sorry, I could not finish this request. It has been set aside for an operator, who has been told (run ${run.id}).`,
  };
}

export function alertText(run: Run, reason: string, message: string): ReplyDraft {
  return {
    text: `Run ${run.id} was dead-lettered (${reason}): ${message}. Requested by ${run.userId ?? 'unknown'} in ${run.channelId ?? 'no channel'}. Once the cause is fixed, redrive it: \`sluice runs redrive ${run.id}\`.`,
  };
}

export function stoppedReply(run: Run, why: string): ReplyDraft {
  return { text: `This request stopped: ${why} (run ${run.id}).` };
}

export function rejectedReply(run: Run, by: string[], reason: string | undefined): ReplyDraft {
  return {
    text: `Rejected by ${by.map((u) => `<@${u}>`).join(', ')}${reason ? `: ${reason}` : ''}. Nothing was done (run ${run.id}).`,
  };
}

export function expiredReply(run: Run): ReplyDraft {
  return {
    text: `The approval request expired without a decision, so nothing was done. Ask again to re-request it (run ${run.id}).`,
  };
}
