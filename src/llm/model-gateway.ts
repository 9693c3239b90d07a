import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { type BudgetLedger, createBudgetLedger } from './budget-ledger.ts';
import { createCallLog } from './call-log.ts';
import { type BreakerState, createBreakerRegistry } from './circuit-breaker.ts';
import { createDeadLetterStore, type NotifyOps } from './dead-letters.ts';
import type { GatewaySettings } from './gateway-settings.ts';
import { parseModelRef } from './model-ref.ts';
import { loadPromptLibrary, type PromptLibrary } from './prompt-library.ts';
import { createResponseCache } from './response-cache.ts';
import { type RetryClock, realClock } from './retry-policy.ts';
import { runTask, type TaskOutcome } from './run-task.ts';
import {
  type Answer,
  type AnswerInput,
  answerSpec,
  answerWithoutModel,
  shownPassages,
} from './tasks/answer-task.ts';
import { type ProposeInput, type ProposeOutcome, proposeSpec } from './tasks/propose-task.ts';
import { type Triage, type TriageInput, triageSpec, triageWithoutModel } from './tasks/triage-task.ts';
import type { ActionTool, CallContext, DegradedReason, ModelProvider, ProviderName } from './types.ts';

/**
 * The model gateway: the one way the rest of Sluice talks to a model. Each method takes the run's
 * identity, serves the task from the response cache, its model, its fallback or no-model mode (in
 * that order), and says which one it used in `mode`, so the run can record it and policy can treat
 * fallback or model-free proposals differently. Throws SluiceError `budget_exceeded` when a
 * ceiling stops the run, and `model_output_invalid` after a dead letter.
 */

export interface ModelGatewayDeps {
  db: Database;
  logger: Logger;
  /** Posts a short text to the ops channel (the outbox provides it). */
  notifyOps: NotifyOps;
  /** Configured providers; a missing one means its models are skipped (no key: no-model mode). */
  providers: Partial<Record<ProviderName, ModelProvider>>;
  settings: GatewaySettings;
  prompts?: PromptLibrary;
  clock?: RetryClock;
  /** Wall clock for budget days and cache expiry. */
  now?: () => Date;
}

export type TriageResult = TaskOutcome & { triage: Triage };
export type AnswerResult = TaskOutcome & { answer: Answer };
export type ProposeResult<A extends readonly ActionTool[]> = TaskOutcome & ProposeOutcome<A>;

export interface ModelGateway {
  triage(input: CallContext & TriageInput): Promise<TriageResult>;
  answer(input: CallContext & AnswerInput): Promise<AnswerResult>;
  propose<const A extends readonly ActionTool[]>(
    input: CallContext & ProposeInput<A>,
  ): Promise<ProposeResult<A>>;
  /** Breaker state per model seen so far, for status pages. */
  breakerStates(): Record<string, BreakerState>;
  budget: BudgetLedger;
  /** Housekeeping for a scheduled job: releases holds of dead replicas, drops expired cache rows. */
  sweep(): Promise<{ releasedHolds: number; purgedCacheEntries: number }>;
}

const reasonText: Record<DegradedReason, string> = {
  no_provider: 'no model is configured',
  breaker_open: 'the model is unavailable right now',
  provider_failed: 'the model could not be reached',
  budget_exhausted: 'the model budget is used up',
  no_passages: 'no passages were found',
};

function contextOf(input: CallContext): CallContext {
  return {
    runId: input.runId,
    userId: input.userId,
    correlationId: input.correlationId,
    ...(input.signal ? { signal: input.signal } : {}),
  };
}

function conversationText(text: string, thread: { text: string }[] | undefined): string {
  return [...(thread ?? []).map((m) => m.text), text].join('\n');
}

export function createModelGateway(deps: ModelGatewayDeps): ModelGateway {
  const { settings } = deps;
  const prompts = deps.prompts ?? loadPromptLibrary();
  const now = deps.now ?? (() => new Date());
  const clock = deps.clock ?? realClock;
  const breakers = createBreakerRegistry(settings.breaker, () => clock.now());
  const ledger = createBudgetLedger({ db: deps.db, limits: settings.budgets, now });
  const shared = {
    providers: deps.providers,
    breakers,
    ledger,
    callLog: createCallLog(deps.db),
    prices: settings.prices,
    retry: settings.retry,
    timeoutMs: settings.timeoutMs,
    clock,
    logger: deps.logger,
    deadLetters: createDeadLetterStore({ db: deps.db, notifyOps: deps.notifyOps, logger: deps.logger }),
    cache: createResponseCache({ db: deps.db, ttlSeconds: settings.cacheTtlSeconds, now }),
    onBudgetExhausted: settings.onBudgetExhausted,
  };
  const candidates = (task: keyof GatewaySettings['models']) => {
    const { primary, fallback } = settings.models[task];
    return [parseModelRef(primary), ...(fallback ? [parseModelRef(fallback)] : [])];
  };

  return {
    async triage(input) {
      const prompt = prompts.triage;
      const { value, outcome } = await runTask(shared, {
        ctx: contextOf(input),
        spec: triageSpec(prompt, input, settings.maxTokens.triage),
        candidates: candidates('triage'),
        cache: { task: 'triage', input: conversationText(input.text, input.thread), chunkIds: [] },
        withoutModel: () => triageWithoutModel(input),
      });
      return { ...outcome, triage: value };
    },

    async answer(input) {
      const prompt = prompts.answer;
      const ctx = contextOf(input);
      if (input.hits.length === 0) {
        // Nothing to ground an answer in: saying so needs no model and costs nothing.
        const value = answerWithoutModel(input, reasonText.no_passages);
        return { ...noModelOutcome(prompt, 'no_passages'), answer: value };
      }
      const { value, outcome } = await runTask(shared, {
        ctx,
        spec: answerSpec(prompt, input, settings.maxTokens.answer),
        candidates: candidates('answer'),
        cache: {
          task: 'answer',
          input: conversationText(input.question, input.thread),
          chunkIds: shownPassages(input.hits).map((h) => h.chunkId),
        },
        withoutModel: (reason) => answerWithoutModel(input, reasonText[reason]),
      });
      return { ...outcome, answer: value };
    },

    async propose(input) {
      const prompt = prompts.propose;
      const { value, outcome } = await runTask(shared, {
        ctx: contextOf(input),
        spec: proposeSpec(prompt, input, settings.maxTokens.propose),
        candidates: candidates('propose'),
        withoutModel: (reason) => ({
          proposal: null,
          declined: `${reasonText[reason]}, so no action can be proposed; run one explicitly with /agent do <action> key=value`,
        }),
      });
      return { ...outcome, ...value };
    },

    breakerStates: () => breakers.states(),
    budget: ledger,
    async sweep() {
      return {
        releasedHolds: await ledger.sweepExpired(),
        purgedCacheEntries: await shared.cache.purgeExpired(),
      };
    },
  };
}

function noModelOutcome(prompt: { version: string; hash: string }, reason: DegradedReason): TaskOutcome {
  return {
    mode: 'no-model',
    model: null,
    degradedReason: reason,
    cached: false,
    repaired: false,
    promptVersion: prompt.version,
    promptHash: prompt.hash,
    callIds: [],
    costUsd: 0,
  };
}
