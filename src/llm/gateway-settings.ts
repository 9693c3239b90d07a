import type { LlmConfig } from '../config.ts';
import type { BudgetLimits } from './budget-ledger.ts';
import type { BreakerOptions } from './circuit-breaker.ts';
import { buildPriceTable, type PriceTable } from './price-table.ts';
import type { RetryPolicy } from './retry-policy.ts';
import type { Task } from './types.ts';

/** Everything the gateway is tuned by, in one object; `config.llm` fills it in production. */

export interface TaskModels {
  primary: string;
  fallback: string | undefined;
}

export interface GatewaySettings {
  models: Record<Task, TaskModels>;
  prices: PriceTable;
  budgets: BudgetLimits;
  /** What a full shared ceiling (user or day) does; a run's own ceiling always stops the run. */
  onBudgetExhausted: 'stop' | 'no-model';
  retry: RetryPolicy;
  /** Per HTTP attempt. */
  timeoutMs: number;
  breaker: BreakerOptions;
  /** 0 turns the response cache off. */
  cacheTtlSeconds: number;
  maxTokens: Record<Task, number>;
}

export const defaultGatewaySettings: GatewaySettings = {
  models: {
    triage: { primary: 'claude-haiku-4-5', fallback: 'claude-sonnet-4-6' },
    answer: { primary: 'claude-sonnet-4-6', fallback: 'claude-haiku-4-5' },
    propose: { primary: 'claude-sonnet-4-6', fallback: 'claude-haiku-4-5' },
  },
  prices: buildPriceTable(),
  budgets: { runUsd: 0.5, userDayUsd: 5, dayUsd: 50, maxTurnsPerRun: 8 },
  onBudgetExhausted: 'stop',
  retry: { attempts: 3, deadlineMs: 60_000, retryAfterCapMs: 20_000, baseDelayMs: 500, maxDelayMs: 8_000 },
  timeoutMs: 30_000,
  breaker: { failureRate: 0.5, minCalls: 5, windowMs: 60_000, cooldownMs: 30_000 },
  cacheTtlSeconds: 3_600,
  maxTokens: { triage: 512, answer: 1_500, propose: 1_024 },
};

export function gatewaySettingsFromConfig(llm: LlmConfig): GatewaySettings {
  return {
    ...defaultGatewaySettings,
    models: llm.models,
    prices: buildPriceTable(llm.prices),
    budgets: {
      runUsd: llm.budgets.runUsd,
      userDayUsd: llm.budgets.userDayUsd,
      dayUsd: llm.budgets.dayUsd,
      maxTurnsPerRun: llm.maxTurnsPerRun,
    },
    onBudgetExhausted: llm.budgets.onExhausted,
    retry: {
      ...defaultGatewaySettings.retry,
      attempts: llm.retry.attempts,
      deadlineMs: llm.retry.deadlineMs,
      retryAfterCapMs: llm.retry.retryAfterCapMs,
    },
    timeoutMs: llm.timeoutMs,
    breaker: llm.breaker,
    cacheTtlSeconds: llm.cacheTtlSeconds,
  };
}
