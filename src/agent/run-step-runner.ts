import { digestOf } from '../audit/audit-entry.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { findBlockingPause } from '../control/kill-switch.ts';
import type { Database } from '../db/database.ts';
import { SluiceError } from '../errors.ts';
import { commitReply } from './commit-reply.ts';
import { commitTransition, type RunChange } from './commit-transition.ts';
import {
  effectKey,
  loadEffect,
  recordEffectIntent,
  settleEffect,
  startEffectAttempt,
} from './effect-ledger.ts';
import { denialReply, pausedReply, runMessage } from './run-messages.ts';
import type { Run } from './run-record.ts';
import type { RunState } from './run-state.ts';
import type { ProposalLike, RunSteps, StepContext } from './run-steps.ts';

/**
 * One step of a run: the work its current state calls for, committed with the next state. Each
 * step either calls an injected pipeline step and records its output, or only decides; the
 * kill switch is consulted before a run starts and, inside the transaction that records the
 * start, immediately before every effect.
 */

/** The run step whose effect the executor performs; its idempotency key is `<run id>:execute`. */
export const EFFECT_STEP = 'execute';

export interface StepRunner {
  /** Advances a run in a working state by one step; returns the run as committed. */
  step(run: Run, ctx: StepContext): Promise<Run>;
}

export function createStepRunner(deps: { db: Database; steps: RunSteps; audit: AuditLog }): StepRunner {
  const { db, steps, audit } = deps;
  // One statement (commit-transition.ts): atomic without a transaction around it.
  const commit = (run: Run, to: RunState, change: RunChange = {}) =>
    commitTransition(db, audit, run, to, change);

  async function stepReceived(run: Run): Promise<Run> {
    return db.transaction(async (tx) => {
      const pause = await findBlockingPause(tx, { channelId: run.channelId });
      if (pause) {
        return commitTransition(tx, audit, run, 'cancelled', {
          outcome: 'paused',
          messages: runMessage(run, 'paused', pausedReply(run, pause)),
          audit: [{ actor: 'system', kind: 'run.cancelled', detail: { why: 'paused', pause: pause.reason } }],
        });
      }
      return commitTransition(tx, audit, run, 'retrieving', {
        audit: [
          {
            actor: run.userId ?? 'system',
            kind: 'run.started',
            inputDigest: digestOf({ text: run.text, channel: run.channelId, user: run.userId }),
            detail: { origin: run.origin, channel: run.channelId },
          },
        ],
      });
    });
  }

  async function stepRetrieving(run: Run, ctx: StepContext): Promise<Run> {
    const retrieval = await steps.retrieve(ctx);
    return commit(run, 'thinking', {
      context: { retrieval },
      audit: [{ actor: 'system', kind: 'retrieval', inputDigest: digestOf(retrieval) }],
    });
  }

  async function stepThinking(run: Run, ctx: StepContext): Promise<Run> {
    const thought = await steps.think(ctx);
    const usage = thought.usage;
    const cost = {
      costUsd: usage?.costUsd,
      inputTokens: usage?.inputTokens,
      outputTokens: usage?.outputTokens,
    };
    const modelFields = { model: usage?.model ?? null, promptVersion: usage?.promptVersion ?? null };
    if (thought.kind === 'answer') {
      return commitReply(
        db,
        audit,
        run,
        {
          ...cost,
          // answerDetail.known=false marks a knowledge gap for the digest.
          context: { answer: thought.reply, ...(thought.detail ? { answerDetail: thought.detail } : {}) },
          outcome: 'answered',
          finalState: 'done',
          audit: [{ actor: 'model', kind: 'answer', ...modelFields, inputDigest: digestOf(thought.reply) }],
        },
        thought.reply,
      );
    }
    const proposal = thought.proposal;
    const decision = await steps.decide(ctx, proposal);
    return commit(run, 'decided', {
      ...cost,
      context: { proposal, decision },
      decision: decision.outcome,
      audit: [
        {
          actor: 'model',
          kind: 'proposal',
          ...modelFields,
          effect: proposal.action,
          inputDigest: digestOf(proposal),
        },
        {
          actor: 'policy',
          kind: 'decision',
          policyVersion: decision.policyVersion,
          policyRule: decision.ruleId,
          decision: decision.outcome,
          effect: proposal.action,
          detail: { reason: decision.reason },
        },
      ],
    });
  }

  async function stepDecided(run: Run, ctx: StepContext): Promise<Run> {
    const decision = run.context.decision;
    const proposal = run.context.proposal;
    if (!decision || !proposal)
      throw new SluiceError('internal', `run ${run.id} is decided but has no decision recorded`);
    if (decision.outcome === 'deny') {
      return commitReply(
        db,
        audit,
        run,
        {
          outcome: 'denied',
          finalState: 'done',
          audit: [{ actor: 'system', kind: 'run.denied', policyRule: decision.ruleId }],
        },
        denialReply(run, decision),
      );
    }
    if (decision.outcome === 'escalate') {
      return db.transaction(async (tx) => {
        const card = steps.escalate
          ? (await steps.escalate(ctx, decision, tx)).card
          : { text: `Waiting for approval: ${proposal.action} (${decision.reason}; run ${run.id}).` };
        return commitTransition(tx, audit, run, 'awaiting_approval', {
          messages: runMessage(run, 'approval-card', card),
          audit: [
            {
              actor: 'system',
              kind: 'approval.requested',
              policyRule: decision.ruleId,
              effect: proposal.action,
            },
          ],
        });
      });
    }
    return db.transaction(async (tx) => {
      await recordEffectIntent(tx, { runId: run.id, step: EFFECT_STEP, action: proposal.action });
      return commitTransition(tx, audit, run, 'executing', {
        audit: [
          {
            actor: 'system',
            kind: 'effect.intent',
            effect: proposal.action,
            inputDigest: digestOf(proposal.input ?? null),
          },
        ],
      });
    });
  }

  async function stepExecuting(run: Run, ctx: StepContext): Promise<Run> {
    const proposal = run.context.proposal as ProposalLike;
    const effect = await loadEffect(db, run.id, EFFECT_STEP);
    if (!effect) throw new SluiceError('internal', `run ${run.id} is executing but has no effect recorded`);
    // The last pause check and the record of this start commit together, right before the call.
    const started = await db.transaction(async (tx) => {
      const pause = await findBlockingPause(tx, { channelId: run.channelId, action: proposal.action });
      if (pause) {
        await settleEffect(tx, effect.id, {
          state: 'abandoned',
          error:
            effect.attempts > 0
              ? `paused; an earlier attempt may have run: ${pause.reason}`
              : `paused: ${pause.reason}`,
        });
        const cancelled = await commitTransition(tx, audit, run, 'cancelled', {
          outcome: 'paused',
          messages: runMessage(run, 'paused', pausedReply(run, pause)),
          audit: [
            {
              actor: 'system',
              kind: 'effect.blocked',
              effect: proposal.action,
              detail: { pause: pause.reason },
            },
          ],
        });
        return { run: cancelled, attempt: 0 };
      }
      const attempt = await startEffectAttempt(tx, effect.id);
      // Same state, new version: a worker that lost its lease can no longer settle this effect.
      const fenced = await commitTransition(tx, audit, run, 'executing', {
        audit: [{ actor: 'system', kind: 'effect.started', effect: proposal.action, detail: { attempt } }],
      });
      return { run: fenced, attempt };
    });
    if (started.attempt === 0) return started.run;
    const outcome = await steps.execute({ ...ctx, run: started.run }, proposal, {
      idempotencyKey: effectKey(run.id, EFFECT_STEP),
      attempt: started.attempt,
    });
    return db.transaction(async (tx) => {
      await settleEffect(tx, effect.id, {
        state: outcome.ok ? 'succeeded' : 'failed',
        result: outcome.result,
      });
      return commitReply(
        tx,
        audit,
        started.run,
        {
          context: { effect: { ok: outcome.ok, result: outcome.result } },
          outcome: outcome.ok ? 'executed' : 'effect_failed',
          finalState: outcome.ok ? 'done' : 'failed',
          audit: [
            {
              actor: 'executor',
              kind: outcome.ok ? 'effect.succeeded' : 'effect.failed',
              effect: proposal.action,
              result: outcome.result,
              approvers: run.context.approval?.by ?? null,
            },
          ],
        },
        outcome.reply,
      );
    });
  }

  return {
    step(run, ctx) {
      if (run.state === 'received') return stepReceived(run);
      if (run.state === 'retrieving') return stepRetrieving(run, ctx);
      if (run.state === 'thinking') return stepThinking(run, ctx);
      if (run.state === 'decided') return stepDecided(run, ctx);
      if (run.state === 'executing') return stepExecuting(run, ctx);
      throw new SluiceError('internal', `run ${run.id} is ${run.state}: not a working state`);
    },
  };
}
