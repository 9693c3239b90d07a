import type { RunProcessor } from '../../../src/agent/run-processor.ts';
import type { RunSteps } from '../../../src/agent/run-steps.ts';
import { createDurableCore } from '../../../src/agent/start-durable-core.ts';
import type { AuditLog } from '../../../src/audit/audit-log.ts';
import type { KillSwitch } from '../../../src/control/kill-switch.ts';
import type { Database } from '../../../src/db/database.ts';
import type { Inbox } from '../../../src/inbox/create-inbox.ts';
import type { RecordedRequest } from '../../../src/inbox/record-request.ts';
import { requestKey } from '../../../src/inbox/request-key.ts';
import type { JobQueue } from '../../../src/jobs/job-queue.ts';
import type { RetryPolicy } from '../../../src/jobs/retry-policy.ts';
import { type SlackWebApiDouble, startSlackWebApiDouble } from '../../../src/local/slack-web-api-double.ts';
import type { Logger } from '../../../src/logger.ts';
import type { OutboxSender } from '../../../src/outbox/outbox-sender.ts';
import type { SlackWriter } from '../../../src/outbox/slack-writer.ts';
import { createSlackWebApiClient } from '../../../src/slack/web-api-client.ts';
import { createTestLogger } from '../../support/test-logger.ts';

/**
 * The durable core wired the way the composition root wires it, on a given test database, with
 * the Slack double behind the project's Web API client.
 */

export const TEST_CHANNELS = ['C0DURA0001', 'C0DURA0002', 'C0DURA0003', 'C0DURA0004', 'C0DURA0005'];

export function seedChannels() {
  return { channels: TEST_CHANNELS.map((id, i) => ({ id, name: `durable-${i + 1}` })) };
}

export interface DurableHarness {
  db: Database;
  logger: Logger;
  audit: AuditLog;
  queue: JobQueue;
  processor: RunProcessor;
  inbox: Inbox;
  outbox: OutboxSender;
  killSwitch: KillSwitch;
  double: SlackWebApiDouble;
  slack: SlackWriter;
  /** Sends a slash command through the inbox, as the Slack handler would. */
  command(text: string, channel?: string, user?: string): Promise<RecordedRequest>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  steps: (slack: SlackWriter) => RunSteps;
  retry?: Partial<RetryPolicy>;
  concurrency?: number;
  pacingMs?: number;
  /** Start the run workers and the outbox sender (default true). */
  start?: boolean;
  double?: SlackWebApiDouble;
  alertChannelId?: string;
}

let commandCounter = 0;

export async function startHarness(db: Database, options: HarnessOptions): Promise<DurableHarness> {
  const logger = createTestLogger();
  const double = options.double ?? (await startSlackWebApiDouble({ seed: seedChannels() }));
  const slack = createSlackWebApiClient({
    token: double.token,
    apiUrl: double.url,
    logger,
    timeoutMs: 5000,
    retry: { maxAttempts: 1 },
  });
  const core = await createDurableCore({
    db,
    logger,
    steps: options.steps(slack),
    slack,
    alertChannelId: options.alertChannelId ?? null,
    runConcurrency: options.concurrency ?? 4,
    runRetry: { baseDelaySeconds: 1, maxDelaySeconds: 2, leaseSeconds: 30, maxAttempts: 4, ...options.retry },
    queue: { pollIntervalSeconds: 0.5, superviseIntervalSeconds: 1 },
    outbox: {
      pacingMs: options.pacingMs ?? 20,
      pollMs: 50,
      retryBaseMs: 100,
      retryMaxMs: 500,
      leaseMs: 10_000,
    },
  });
  const { audit, queue, processor, inbox, outbox, killSwitch } = core;
  if (options.start !== false) await core.startWorkers();
  return {
    db,
    logger,
    audit,
    queue,
    processor,
    inbox,
    outbox,
    killSwitch,
    double,
    slack,
    command(text, channel = TEST_CHANNELS[0]!, user = 'U0TESTER01') {
      const body = `command=%2Fagent&text=${encodeURIComponent(text)}&channel_id=${channel}&user_id=${user}&trigger_id=${++commandCounter}.${Date.now()}`;
      return inbox.accept({
        key: requestKey({ kind: 'command', body }),
        kind: 'command',
        payload: { body },
        receivedAt: new Date(),
        run: { channelId: channel, userId: user, text },
      });
    },
    async close() {
      await core.stop();
      if (!options.double) await double.close();
    },
  };
}

/** Polls until `check` returns a value (not undefined/false) or the time runs out. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function runStates(db: Database): Promise<Record<string, number>> {
  const result = await db.query<{ state: string; n: number }>(
    'SELECT state, count(*)::int AS n FROM runs GROUP BY state',
  );
  return Object.fromEntries(result.rows.map((r) => [r.state, r.n]));
}
