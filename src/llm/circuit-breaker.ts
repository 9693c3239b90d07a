/**
 * A circuit breaker per model. Closed: calls flow and outcomes are counted over a sliding window;
 * when at least `minCalls` outcomes are in the window and the failure share reaches `failureRate`,
 * it opens. Open: calls are refused (the gateway goes to the fallback) for `cooldownMs`. Then
 * half-open: exactly one trial call is let through; success closes it, failure opens it again.
 *
 * Breakers live in each replica's memory on purpose: they describe what this process sees of a
 * model's health, need no coordination, and cost nothing when Postgres is slow.
 */

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  failureRate: number;
  minCalls: number;
  windowMs: number;
  cooldownMs: number;
}

export interface CircuitBreaker {
  /** May a call go now? In half-open this claims the single trial, so report its outcome. */
  tryAcquire(): boolean;
  recordSuccess(): void;
  recordFailure(): void;
  state(): BreakerState;
}

export function createCircuitBreaker(options: BreakerOptions, now: () => number = Date.now): CircuitBreaker {
  let outcomes: { at: number; ok: boolean }[] = [];
  let openedAt: number | undefined;
  let trialStartedAt: number | undefined;

  function prune(t: number) {
    const cutoff = t - options.windowMs;
    if (outcomes.length > 0 && outcomes[0]!.at < cutoff) outcomes = outcomes.filter((o) => o.at >= cutoff);
  }

  function state(): BreakerState {
    if (openedAt === undefined) return 'closed';
    return now() - openedAt >= options.cooldownMs ? 'half-open' : 'open';
  }

  function open() {
    openedAt = now();
    trialStartedAt = undefined;
    outcomes = [];
  }

  return {
    tryAcquire() {
      const s = state();
      if (s === 'closed') return true;
      if (s === 'open') return false;
      // A trial whose caller vanished without reporting must not wedge the breaker half-open.
      const t = now();
      if (trialStartedAt !== undefined && t - trialStartedAt < options.cooldownMs) return false;
      trialStartedAt = t;
      return true;
    },
    recordSuccess() {
      if (openedAt !== undefined) {
        if (trialStartedAt === undefined) return;
        openedAt = undefined;
        trialStartedAt = undefined;
        outcomes = [];
        return;
      }
      const t = now();
      outcomes.push({ at: t, ok: true });
      prune(t);
    },
    recordFailure() {
      if (openedAt !== undefined) {
        if (trialStartedAt !== undefined) open();
        return;
      }
      const t = now();
      outcomes.push({ at: t, ok: false });
      prune(t);
      const failures = outcomes.filter((o) => !o.ok).length;
      if (outcomes.length >= options.minCalls && failures / outcomes.length >= options.failureRate) open();
    },
    state,
  };
}

export interface BreakerRegistry {
  get(modelId: string): CircuitBreaker;
  states(): Record<string, BreakerState>;
}

export function createBreakerRegistry(
  options: BreakerOptions,
  now: () => number = Date.now,
): BreakerRegistry {
  const breakers = new Map<string, CircuitBreaker>();
  return {
    get(modelId) {
      let breaker = breakers.get(modelId);
      if (!breaker) {
        breaker = createCircuitBreaker(options, now);
        breakers.set(modelId, breaker);
      }
      return breaker;
    },
    states() {
      return Object.fromEntries([...breakers].map(([id, b]) => [id, b.state()]));
    },
  };
}
