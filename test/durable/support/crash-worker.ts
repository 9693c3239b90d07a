/**
 * A worker process for the crash test (test/durable/worker-crash.test.ts): runs the durable core
 * (run jobs, outbox sender) against the server database and the parent's Slack double, and
 * prints a line at every point where dying would hurt, then lingers a moment so the parent can
 * SIGKILL it exactly there. Configuration comes from the environment the parent sets.
 */

import { runDeliveryHooks } from '../../../src/agent/run-delivery-hooks.ts';
import { createRunProcessor } from '../../../src/agent/run-processor.ts';
import { defineRunJobs, runEnqueuer, startRunWorker } from '../../../src/agent/run-worker.ts';
import { createAuditLog } from '../../../src/audit/audit-log.ts';
import { openServerDatabase } from '../../../src/db/pg-database.ts';
import { createJobQueue } from '../../../src/jobs/job-queue.ts';
import { createOutboxSender } from '../../../src/outbox/outbox-sender.ts';
import type { SlackWriter } from '../../../src/outbox/slack-writer.ts';
import { createSlackWebApiClient } from '../../../src/slack/web-api-client.ts';
import { createTestLogger } from '../../support/test-logger.ts';
import { CRASH_TEST_POLICY } from './crash-test-policy.ts';
import { scriptedSteps } from './scripted-steps.ts';

const env = process.env;
const lingerMs = Number(env.CRASH_LINGER_MS ?? 15);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function probe(event: string): Promise<void> {
  process.stdout.write(`probe ${event}\n`);
  await sleep(lingerMs);
}

const logger = createTestLogger();
const db = await openServerDatabase({ url: env.CRASH_DATABASE_URL!, max: 6 });
const client = createSlackWebApiClient({
  token: env.CRASH_SLACK_TOKEN!,
  apiUrl: env.CRASH_SLACK_URL!,
  logger,
  timeoutMs: 1500,
  retry: { maxAttempts: 1 },
});
// The outbox's view of Slack, with a probe between "Slack has the post" and "Sluice recorded it".
const slack: SlackWriter = {
  async postMessage(args) {
    await probe('slack-post-starting');
    const result = await client.postMessage(args);
    await probe('slack-posted');
    return result;
  },
  update: (args) => client.update(args),
  history: (args) => client.history(args),
  replies: (args) => client.replies(args),
};
const audit = createAuditLog(db);
const queue = await createJobQueue(db, logger, {
  pollIntervalSeconds: 0.5,
  superviseIntervalSeconds: 1,
  schedule: false,
});
await defineRunJobs(queue, CRASH_TEST_POLICY);
const processor = createRunProcessor({
  db,
  steps: scriptedSteps({ slack, probe: (event) => probe(event), stepDelayMs: () => 5 }),
  audit,
  logger,
  enqueueRun: runEnqueuer(queue),
});
await startRunWorker({ queue, processor, concurrency: 3 });
const outbox = createOutboxSender({
  db,
  slack,
  logger,
  hooks: runDeliveryHooks(audit),
  pacingMs: 10,
  pollMs: 50,
  leaseMs: 2000,
  retryBaseMs: 200,
  retryMaxMs: 1000,
});
outbox.start();
process.stdout.write('ready\n');

process.on('SIGTERM', async () => {
  await outbox.stop();
  await queue.stop({ timeoutMs: 2000 });
  await db.close();
  process.exit(0);
});
