import type { Logger } from 'pino';
import type { BudgetLedger } from './budget-ledger.ts';
import type { CallLog } from './call-log.ts';
import type { BreakerRegistry } from './circuit-breaker.ts';
import { boundUsage, inputTokenBound, reservationPico } from './estimate-reservation.ts';
import { costPico, type PriceTable, priceFor, ratesFor } from './price-table.ts';
import type { Prompt } from './prompt-library.ts';
import { countsAgainstBreaker, failureOf, providerError } from './provider-failure.ts';
import { type RetryClock, type RetryPolicy, withRetries } from './retry-policy.ts';
import type {
  CallContext,
  ModelProvider,
  ModelRef,
  ModelRequest,
  ModelResponse,
  ProviderName,
  Task,
} from './types.ts';

/**
 * One turn: reserve the worst case in the budget, send with our retry policy (each attempt asks
 * the model's breaker first and reports to it), settle the reservation to the real cost, and
 * record every attempt. The SDK never retries on its own.
 */

export interface TurnDeps {
  providers: Partial<Record<ProviderName, ModelProvider>>;
  breakers: BreakerRegistry;
  ledger: BudgetLedger;
  callLog: CallLog;
  prices: PriceTable;
  retry: RetryPolicy;
  timeoutMs: number;
  clock: RetryClock;
  logger: Logger;
}

export interface TurnInput {
  ctx: CallContext;
  task: Task;
  ref: ModelRef;
  mode: 'model' | 'fallback';
  prompt: Prompt;
  round: number;
  request: ModelRequest;
  taskInput: unknown;
}

export interface TurnResult {
  response: ModelResponse;
  callId: number;
  costPico: bigint;
}

export async function runTurn(deps: TurnDeps, input: TurnInput): Promise<TurnResult> {
  const { ctx, ref, request } = input;
  const provider = deps.providers[ref.provider];
  if (!provider)
    throw providerError(`no ${ref.provider} provider is configured`, {
      failure: 'auth',
      provider: ref.provider,
    });
  const rates = ratesFor(priceFor(deps.prices, ref));
  const wire = provider.toWire(request);
  const reservation = await deps.ledger.reserve({
    runId: ctx.runId,
    userId: ctx.userId,
    amountPico: reservationPico(wire, request.maxTokens, rates),
  });
  const breaker = deps.breakers.get(ref.id);
  const base = {
    runId: ctx.runId,
    userId: ctx.userId,
    correlationId: ctx.correlationId,
    task: input.task,
    provider: ref.provider,
    model: ref.model,
    mode: input.mode,
    promptVersion: input.prompt.version,
    promptHash: input.prompt.hash,
    round: input.round,
    request: wire,
    taskInput: input.taskInput,
  };
  let lastAttempt = 0;
  let response: ModelResponse;
  let latencyMs = 0;
  try {
    response = await withRetries(
      async (attempt) => {
        lastAttempt = attempt;
        if (!breaker.tryAcquire()) {
          throw providerError(`the circuit breaker for ${ref.id} is open`, {
            failure: 'breaker_open',
            provider: ref.provider,
          });
        }
        const started = deps.clock.now();
        try {
          const reply = await provider.complete(request, {
            timeoutMs: deps.timeoutMs,
            ...(ctx.signal ? { signal: ctx.signal } : {}),
          });
          latencyMs = deps.clock.now() - started;
          breaker.recordSuccess();
          return reply;
        } catch (error) {
          const failure = failureOf(error);
          if (countsAgainstBreaker(failure)) breaker.recordFailure();
          else if (failure !== 'aborted') breaker.recordSuccess();
          await deps.callLog.record({
            ...base,
            attempt,
            outcome: 'error',
            usage: { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 },
            costPico: 0n,
            latencyMs: deps.clock.now() - started,
            requestId: ((error as { details?: { requestId?: string } }).details?.requestId ?? null) as
              | string
              | null,
            stopReason: null,
            errorCode: failure ?? 'unknown',
            errorMessage: error instanceof Error ? error.message : String(error),
            response: undefined,
          });
          throw error;
        }
      },
      deps.retry,
      deps.clock,
      {
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        onFailure: ({ attempt, error, waitMs }) =>
          deps.logger.warn(
            {
              model: ref.id,
              task: input.task,
              attempt,
              waitMs,
              failure: failureOf(error),
              correlationId: ctx.correlationId,
            },
            waitMs === undefined ? 'model call failed; not retrying' : 'model call failed; retrying',
          ),
      },
    );
  } catch (error) {
    // Failed attempts are not billed, so the whole hold goes back.
    await deps.ledger.release(reservation);
    throw error;
  }
  const { usage, cut } = boundUsage(response.usage, request.maxTokens, inputTokenBound(wire));
  if (cut) {
    deps.logger.error(
      { model: ref.id, reported: response.usage, bounded: usage, correlationId: ctx.correlationId },
      'the provider reported impossible usage (beyond max_tokens or the request size); billing the bound',
    );
  }
  const cost = costPico(usage, rates);
  await deps.ledger.settle(reservation, cost);
  const callId = await deps.callLog.record({
    ...base,
    attempt: lastAttempt,
    outcome: 'ok',
    usage,
    costPico: cost,
    latencyMs,
    requestId: response.requestId,
    stopReason: response.stopReason,
    errorCode: null,
    errorMessage: null,
    response: response.raw,
  });
  return { response, callId, costPico: cost };
}
