import type { Decision, RunSteps, StepContext } from '../../../src/agent/run-steps.ts';
import { postMessageOnce } from '../../../src/outbox/post-message-once.ts';
import type { SlackWriter } from '../../../src/outbox/slack-writer.ts';

/**
 * Deterministic pipeline steps for the durable-run tests: retrieval returns fixed hits, the
 * "model" proposes `test.post` (or answers), the "policy" returns the decision the test asks for,
 * and the executor posts one message to Slack under the effect's idempotency key, reconciling
 * through history on any attempt after the first, as a real Slack-posting executor must.
 */

export interface ScriptedStepsOptions {
  slack: SlackWriter;
  decision?: Decision['outcome'] | ((ctx: StepContext) => Decision['outcome']);
  action?: string;
  answer?: boolean;
  /** Called at the named points; the kill test uses it to report progress. */
  probe?: (event: string, ctx: StepContext) => void | Promise<void>;
  /** Milliseconds each step spends "working". */
  stepDelayMs?: () => number;
  /** Records every executor call (to count starts). */
  executions?: Array<{ runId: string; key: string; attempt: number; at: number }>;
  /** Throws this from execute, for failure tests. */
  executeError?: (ctx: StepContext, attempt: number) => Error | undefined;
}

export function scriptedSteps(options: ScriptedStepsOptions): RunSteps {
  const pause = () => {
    const ms = options.stepDelayMs?.() ?? 0;
    return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
  };
  const probe = async (event: string, ctx: StepContext) => options.probe?.(event, ctx);
  return {
    async retrieve(ctx) {
      await probe('retrieve', ctx);
      await pause();
      return { hits: [{ doc: 'runbook.md', score: 1 }] };
    },
    async think(ctx) {
      await probe('think', ctx);
      await pause();
      if (options.answer) {
        return {
          kind: 'answer',
          reply: { text: `answer to: ${ctx.run.text}` },
          usage: { model: 'test-model', promptVersion: 'p1', costUsd: 0.001 },
        };
      }
      return {
        kind: 'proposal',
        proposal: { action: options.action ?? 'test.post', input: { text: ctx.run.text } },
        usage: {
          model: 'test-model',
          promptVersion: 'p1',
          costUsd: 0.002,
          inputTokens: 100,
          outputTokens: 20,
        },
      };
    },
    async decide(ctx, proposal) {
      await probe('decide', ctx);
      const outcome =
        typeof options.decision === 'function' ? options.decision(ctx) : (options.decision ?? 'auto');
      return {
        outcome,
        ruleId: `rule-${outcome}`,
        reason: `test rule for ${proposal.action}`,
        policyVersion: 'policy-v1',
      };
    },
    async execute(ctx, _proposal, call) {
      options.executions?.push({
        runId: ctx.run.id,
        key: call.idempotencyKey,
        attempt: call.attempt,
        at: Date.now(),
      });
      await probe('execute', ctx);
      const error = options.executeError?.(ctx, call.attempt);
      if (error) throw error;
      await pause();
      const posted = await postMessageOnce(options.slack, {
        key: call.idempotencyKey,
        channelId: ctx.run.channelId!,
        threadTs: ctx.run.threadTs,
        text: `effect of ${ctx.run.id}`,
        since: ctx.run.createdAt,
        firstAttempt: call.attempt === 1,
        runId: ctx.run.id,
      });
      await probe('executed', ctx);
      return {
        ok: true,
        result: { ts: posted.ts, reconciled: posted.reconciled },
        reply: { text: `done: ${ctx.run.text}` },
      };
    },
  };
}
