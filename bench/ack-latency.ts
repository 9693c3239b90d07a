/**
 * Ack latency of the inbox write while the workers are busy: what a Slack handler waits for
 * before it can answer 200. For each database (embedded PGlite with a data directory on disk, as
 * `npm start` runs it, and in memory; the server when DATABASE_URL or TEST_DATABASE_URL is set) it fills the queue with a backlog of runs, keeps run workers and the
 * outbox sender busy against the Slack double (in a process of its own), then for a steady load:
 *   - "inbox write": inbox.accept() (request + run + job in one statement), called in-process;
 *   - "HTTP ack": POSTs from a separate load-generator process (as Slack's requests come from
 *     elsewhere) to a bare node HTTP endpoint that calls inbox.accept() and answers 200.
 * Each kind gets half the rate. Latencies count from when a request was due, so a stalled event
 * loop is charged to the ack.
 * Usage: node --import tsx bench/ack-latency.ts [requestsPerKind=500] [ratePerSecond=20] [runWorkers=8]
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { runDeliveryHooks } from '../src/agent/run-delivery-hooks.ts';
import { createRunProcessor } from '../src/agent/run-processor.ts';
import {
  defineRunJobs,
  RUN_JOB_KIND,
  runEnqueuer,
  runJobSpec,
  startRunWorker,
} from '../src/agent/run-worker.ts';
import { createAuditLog } from '../src/audit/audit-log.ts';
import type { Database } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { openServerDatabase } from '../src/db/pg-database.ts';
import { openEmbeddedDatabase } from '../src/db/pglite-database.ts';
import { createInbox, type Inbox } from '../src/inbox/create-inbox.ts';
import { requestKey } from '../src/inbox/request-key.ts';
import { createJobQueue } from '../src/jobs/job-queue.ts';
import { createLogger } from '../src/logger.ts';
import { createOutboxSender } from '../src/outbox/outbox-sender.ts';
import { createSlackWebApiClient } from '../src/slack/web-api-client.ts';
import { TEST_CHANNELS } from '../test/durable/support/durable-harness.ts';
import { scriptedSteps } from '../test/durable/support/scripted-steps.ts';
import { createEmbeddedTestDatabase, createEmptyServerDatabase } from '../test/support/test-database.ts';
import { runHttpLoad } from './support/http-load-process.ts';
import { startSlackDoubleProcess } from './support/slack-double-process.ts';

const requests = Number(process.argv[2] ?? 500);
const rate = Number(process.argv[3] ?? 20);
const concurrency = Number(process.argv[4] ?? 8);
const BACKLOG = 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(label: string, samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const f = (n: number) => n.toFixed(2).padStart(7);
  return `  ${label.padEnd(12)} n=${s.length}  p50 ${f(percentile(s, 50))} ms  p95 ${f(percentile(s, 95))} ms  p99 ${f(percentile(s, 99))} ms  max ${f(s.at(-1)!)} ms`;
}

let counter = 0;
function commandFor(channel: string) {
  const body = `command=%2Fagent&text=restart&channel_id=${channel}&user_id=U0BENCH001&trigger_id=${++counter}.${process.hrtime.bigint()}`;
  return {
    key: requestKey({ kind: 'command', body }),
    kind: 'command' as const,
    payload: { body },
    receivedAt: new Date(),
    run: { channelId: channel, userId: 'U0BENCH001', text: 'restart the payments worker' },
  };
}

/** Starts fn(i, due) at a steady rate; latencies are measured from `due`, so a stalled event loop counts. */
async function steady(
  count: number,
  perSecond: number,
  fn: (i: number, due: number) => Promise<unknown>,
): Promise<void> {
  const interval = 1000 / perSecond;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    inFlight.push(fn(i, due).then(() => undefined));
  }
  await Promise.all(inFlight);
}

async function bench(name: string, db: Database): Promise<void> {
  const logger = createLogger({ level: 'silent' });
  const double = await startSlackDoubleProcess();
  const slack = createSlackWebApiClient({
    token: double.token,
    apiUrl: double.url,
    retry: { maxAttempts: 1 },
  });
  const audit = createAuditLog(db);
  const queue = await createJobQueue(db, logger, { pollIntervalSeconds: 0.5 });
  await defineRunJobs(queue);
  const enqueueRun = runEnqueuer(queue);
  const inbox: Inbox = createInbox({
    db,
    queue,
    runJob: runJobSpec,
    afterCommit: () => queue.wake(RUN_JOB_KIND),
  });
  // Busy workers: every step waits a little, as model and HTTP calls would.
  const processor = createRunProcessor({
    db,
    steps: scriptedSteps({ slack, stepDelayMs: () => 10 + Math.random() * 40 }),
    audit,
    logger,
    enqueueRun,
  });
  for (let i = 0; i < BACKLOG; i++) await inbox.accept(commandFor(TEST_CHANNELS[i % TEST_CHANNELS.length]!));
  await startRunWorker({ queue, processor, concurrency });
  const outbox = createOutboxSender({ db, slack, logger, hooks: runDeliveryHooks(audit), pacingMs: 50 });
  outbox.start();
  await sleep(1000);

  // A bare HTTP endpoint doing what a Slack handler does before it acks: the inbox write.
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', async () => {
      const channel = new URLSearchParams(body).get('channel_id') ?? TEST_CHANNELS[0]!;
      await inbox.accept(commandFor(channel));
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"response_type":"ephemeral","text":"On it."}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/commands`;
  const direct: number[] = [];
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  // Slack's side: its own process, half the rate; this process's own writes: the other half.
  const [viaHttp] = await Promise.all([
    runHttpLoad(url, requests, rate / 2),
    steady(requests, rate / 2, async (i, due) => {
      await inbox.accept(commandFor(TEST_CHANNELS[i % TEST_CHANNELS.length]!));
      direct.push(performance.now() - due);
    }),
  ]);
  loopDelay.disable();
  const states = await db.query<{ state: string; n: number }>(
    'SELECT state, count(*)::int AS n FROM runs GROUP BY state ORDER BY state',
  );
  console.log(
    `${name}: ${requests} inbox writes + ${requests} HTTP acks, ${rate}/s in all, backlog ${BACKLOG} runs, ${concurrency} run workers + outbox busy`,
  );
  console.log(summary('inbox write', direct));
  console.log(summary('HTTP ack', viaHttp));
  console.log(
    `  event-loop delay: p50 ${(loopDelay.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopDelay.max / 1e6).toFixed(1)} ms`,
  );
  console.log(`  runs by state at the end: ${states.rows.map((r) => `${r.state}=${r.n}`).join(' ')}`);
  server.close();
  await outbox.stop();
  await queue.stop({ timeoutMs: 2000 });
  await double.stop();
}

// On disk, as `npm start` runs it (commits write the WAL to files), then in memory (as the tests run).
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ack-'));
const onDisk = await openEmbeddedDatabase({ dataDir });
await migrate(onDisk);
await bench('embedded (PGlite, data dir on disk)', onDisk);
await onDisk.close();
fs.rmSync(dataDir, { recursive: true, force: true });
const inMemory = await createEmbeddedTestDatabase();
await bench('embedded (PGlite, in memory)', inMemory);
await inMemory.close();
const url = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (url) {
  // A production-sized pool: workers, queue polling, the outbox and the inbox share it.
  const scratch = await createEmptyServerDatabase(url);
  const server = await openServerDatabase({ url: scratch.url, max: 20 });
  await migrate(server);
  await bench('server (Postgres 15, loopback, pool of 20)', server);
  await server.close();
  await scratch.drop();
}
