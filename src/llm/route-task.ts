import type { Logger } from 'pino';
import { SluiceError } from '../errors.ts';
import type { BreakerRegistry } from './circuit-breaker.ts';
import { failureOf } from './provider-failure.ts';
import type { CallContext, DegradedReason, ModelProvider, ModelRef, ProviderName, Task } from './types.ts';

/**
 * The ladder: the task's model, then its fallback, then no-model mode. A model is skipped when its
 * provider is not configured or its breaker is open; provider failures move down a rung. Invalid
 * output (already dead-lettered) and anything that is not a provider failure stop the ladder, and
 * so does an exhausted budget unless the operator chose to degrade to no-model mode instead.
 */

export type Routed<T> =
  | { mode: 'model' | 'fallback'; ref: ModelRef; value: T }
  | { mode: 'no-model'; reason: DegradedReason; error?: unknown };

export interface RouteDeps {
  providers: Partial<Record<ProviderName, ModelProvider>>;
  breakers: BreakerRegistry;
  logger: Logger;
  onBudgetExhausted: 'stop' | 'no-model';
}

export async function routeTask<T>(
  deps: RouteDeps,
  args: {
    ctx: CallContext;
    task: Task;
    candidates: ModelRef[];
    attempt: (ref: ModelRef, mode: 'model' | 'fallback') => Promise<T>;
  },
): Promise<Routed<T>> {
  const reasons: DegradedReason[] = [];
  let lastError: unknown;
  for (const [i, ref] of args.candidates.entries()) {
    const mode = i === 0 ? 'model' : 'fallback';
    if (!deps.providers[ref.provider]) {
      reasons.push('no_provider');
      continue;
    }
    if (deps.breakers.get(ref.id).state() === 'open') {
      reasons.push('breaker_open');
      continue;
    }
    try {
      return { mode, ref, value: await args.attempt(ref, mode) };
    } catch (error) {
      if (error instanceof SluiceError && error.code === 'budget_exceeded') {
        // A run's own ceiling always stops it; shared ceilings may degrade instead, if so configured.
        if (deps.onBudgetExhausted === 'stop' || error.details?.scope === 'run') throw error;
        return { mode: 'no-model', reason: 'budget_exhausted', error };
      }
      const failure = failureOf(error);
      if (failure === undefined || failure === 'aborted') throw error;
      lastError = error;
      reasons.push(failure === 'breaker_open' ? 'breaker_open' : 'provider_failed');
      deps.logger.warn(
        { task: args.task, model: ref.id, failure, correlationId: args.ctx.correlationId },
        `${mode} model failed; moving down the ladder`,
      );
    }
  }
  const reason: DegradedReason = reasons.includes('provider_failed')
    ? 'provider_failed'
    : reasons.includes('breaker_open')
      ? 'breaker_open'
      : 'no_provider';
  return { mode: 'no-model', reason, ...(lastError === undefined ? {} : { error: lastError }) };
}
