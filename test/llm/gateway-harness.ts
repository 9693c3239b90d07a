import { randomUUID } from 'node:crypto';
import type { Database } from '../../src/db/database.ts';
import { createAnthropicProvider } from '../../src/llm/anthropic-provider.ts';
import { defaultGatewaySettings, type GatewaySettings } from '../../src/llm/gateway-settings.ts';
import { createModelGateway, type ModelGateway } from '../../src/llm/model-gateway.ts';
import { createOpenAiCompatibleProvider } from '../../src/llm/openai-compatible-provider.ts';
import { type RetryClock, realClock } from '../../src/llm/retry-policy.ts';
import type { CallContext, ModelProvider, ProviderName } from '../../src/llm/types.ts';
import {
  type AnthropicDouble,
  type AnthropicDoubleOptions,
  startAnthropicDouble,
} from '../support/anthropic-double.ts';
import {
  type OpenAiCompatibleDouble,
  startOpenAiCompatibleDouble,
} from '../support/openai-compatible-double.ts';
import { createEmbeddedTestDatabase, type DatabaseTarget } from '../support/test-database.ts';
import { createTestLogger } from '../support/test-logger.ts';

/**
 * A gateway wired to the Anthropic double and a fresh database, with test-sized settings
 * (short backoffs, a breaker that opens after three calls). Sleeps are real but recorded.
 */

export interface Harness {
  gateway: ModelGateway;
  double: AnthropicDouble;
  openai: OpenAiCompatibleDouble | undefined;
  db: Database;
  settings: GatewaySettings;
  /** Texts sent to the ops channel. */
  opsMessages: string[];
  /** Every wait the retry policy asked for, in ms. */
  sleeps: number[];
  ctx(overrides?: Partial<CallContext>): CallContext;
  /** Another gateway (as another replica would have) on `replicaDb`, talking to the same double. */
  replica(replicaDb: Database): ModelGateway;
  close(): Promise<void>;
}

export const testSettings: GatewaySettings = {
  ...defaultGatewaySettings,
  models: {
    triage: { primary: 'claude-haiku-4-5', fallback: 'claude-sonnet-4-6' },
    answer: { primary: 'claude-sonnet-4-6', fallback: 'claude-haiku-4-5' },
    propose: { primary: 'claude-sonnet-4-6', fallback: 'claude-haiku-4-5' },
  },
  retry: { attempts: 3, deadlineMs: 10_000, retryAfterCapMs: 2_000, baseDelayMs: 10, maxDelayMs: 50 },
  timeoutMs: 2_000,
  breaker: { failureRate: 0.5, minCalls: 3, windowMs: 60_000, cooldownMs: 60_000 },
};

export interface HarnessOptions {
  target?: DatabaseTarget;
  settings?: Partial<GatewaySettings>;
  double?: AnthropicDoubleOptions;
  /** No Anthropic provider at all (as with no API key). */
  noAnthropic?: boolean;
  withOpenAi?: boolean;
  apiKey?: string;
  now?: () => Date;
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const double = await startAnthropicDouble(options.double);
  const openai = options.withOpenAi ? await startOpenAiCompatibleDouble() : undefined;
  const db = await (options.target ? options.target.create() : createEmbeddedTestDatabase());
  const settings = { ...testSettings, ...options.settings };
  const opsMessages: string[] = [];
  const sleeps: number[] = [];
  const clock: RetryClock = {
    ...realClock,
    sleep: (ms, signal) => {
      sleeps.push(ms);
      return realClock.sleep(ms, signal);
    },
  };
  const providers: Partial<Record<ProviderName, ModelProvider>> = {};
  if (!options.noAnthropic) {
    providers.anthropic = createAnthropicProvider({
      apiKey: options.apiKey ?? double.apiKey,
      baseUrl: double.url,
    });
  }
  if (openai)
    providers.openai = createOpenAiCompatibleProvider({ baseUrl: openai.url, apiKey: openai.apiKey });
  const makeGateway = (gatewayDb: Database) =>
    createModelGateway({
      db: gatewayDb,
      logger: createTestLogger(),
      notifyOps: (text) => {
        opsMessages.push(text);
      },
      providers,
      settings,
      clock,
      ...(options.now ? { now: options.now } : {}),
    });
  const gateway = makeGateway(db);
  return {
    gateway,
    double,
    openai,
    db,
    settings,
    opsMessages,
    sleeps,
    ctx: (overrides = {}) => ({
      runId: `run-${randomUUID()}`,
      userId: 'U024BE7LH',
      correlationId: randomUUID(),
      ...overrides,
    }),
    replica: makeGateway,
    async close() {
      await double.close();
      await openai?.close();
      await db.close();
    },
  };
}

export const passages = [
  {
    chunkId: 'kb:rotate-db#1',
    source: 'runbooks/rotate-staging-db.md',
    heading: 'Rotating the staging database password',
    text: 'Run `vault rotate db/staging` and then restart the api pods with `kubectl rollout restart deploy/api -n staging`.',
    link: 'https://wiki.example.com/runbooks/rotate-staging-db#rotating',
  },
  {
    chunkId: 'kb:rotate-db#2',
    source: 'runbooks/rotate-staging-db.md',
    heading: 'Checking the rotation',
    text: 'Confirm with `vault read db/staging/creds` that the lease is new; old leases expire within an hour.',
  },
  {
    chunkId: 'kb:payments#4',
    source: 'runbooks/payments-worker.md',
    heading: 'Restarting',
    text: 'The payments worker restarts through the restart-service endpoint; production needs two approvals.',
  },
];
