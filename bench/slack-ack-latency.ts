/**
 * Slack ack latency of the real Sluice app against a bare Bolt app, while Sluice's queue is busy.
 * For each database (embedded PGlite in a data directory on disk, as `npm start` runs it; the
 * server too when DATABASE_URL or TEST_DATABASE_URL is set):
 *   - Slack's Web API is the Slack double, in a process of its own;
 *   - Sluice runs as `startSluice` builds it (HTTP mode, Bolt's HTTPReceiver, the real handlers,
 *     core, workers and outbox; example policy and endpoints), with `requestsPerKind` production
 *     restarts waiting for approval (real approval cards, half as many as clicks: each needs two
 *     approvers) and a backlog of `/agent ask` runs queued so its run workers and outbox stay
 *     busy throughout;
 *   - a bare Bolt app (same signing secret, listeners that only ack) runs twice: in a process of
 *     its own (the baseline: what Slack would see from an app with nothing to store) and inside
 *     Sluice's process (same event loop and CPU, so the difference is the handler's own work);
 *   - a load generator in a process of its own sends each app the same stream, at a steady
 *     `ratePerSecond` per app: signed `/agent ask` commands and Approve clicks on the pending
 *     approvals' cards (Bob's, then Carol's, which decides the card), alternately, the apps'
 *     order turning each time so none is always first.
 * It prints p50/p95/p99 per kind per app and the p99 ratios, each with a bootstrap 95% interval,
 * and for scale the ratio between the two bare apps. Targets (issue 6): Sluice's p99 at most
 * 50 ms and at most 1.5x the bare Bolt app's.
 * Usage: node --import tsx bench/slack-ack-latency.ts [requestsPerKind=300] [ratePerSecond=20]
 * (SLUICE_INBOX_JOURNAL=off in the environment measures Sluice acking after the database instead.)
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { mulberry32 } from '../retrieval/bench/synthetic-corpus.ts';
import { createRetrieval } from '../retrieval/create-retrieval.ts';
import { loadConfig } from '../src/config.ts';
import { detectCapabilities } from '../src/db/capabilities.ts';
import { migrate } from '../src/db/migrate.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { createLogger } from '../src/logger.ts';
import { startSluice } from '../src/main.ts';
import { createSlackDriver } from '../test/support/slack-driver.ts';
import { createEmptyServerDatabase } from '../test/support/test-database.ts';
import { startBareBoltApp, startBareBoltProcess } from './support/bare-bolt-app.ts';
import { type ApproveButton, startSlackDoubleProcess } from './support/slack-double-process.ts';
import { type Kind, runSlackLoad, type SlackLoadResult } from './support/slack-load-process.ts';

const perKind = Number(process.argv[2] ?? 300);
const rate = Number(process.argv[3] ?? 20);
/** `/agent ask` runs queued before the measurement, to keep the workers busy all through it. */
const BACKLOG = Math.max(200, perKind * 2);
/** Cards are spread over channels: the outbox posts about one message per second per channel. */
const CHANNELS = Array.from({ length: 50 }, (_, i) => `C0BENCH${String(i + 1).padStart(3, '0')}`);
const USERS = { alice: 'U0ALICE01', bob: 'U0BOB0001', carol: 'U0CAROL01', dave: 'U0DAVE001' } as const;
const SIGNING_SECRET = randomBytes(32).toString('hex');
const TERMINAL = "('done', 'failed', 'dead_lettered', 'cancelled', 'budget_exceeded', 'awaiting_approval')";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function p99(samples: number[]): number {
  return percentile(
    [...samples].sort((a, b) => a - b),
    99,
  );
}

/**
 * A 95% interval for the ratio of two p99s, by bootstrap: both sample sets resampled with
 * replacement, 2,000 times, seeded. A p99 of 600 samples rests on its six largest, so the ratio
 * moves a lot from run to run; the interval says how much of a difference the run can show.
 */
function p99RatioInterval(a: number[], b: number[]): [number, number] {
  const random = mulberry32(7);
  const resampledP99 = (xs: number[]) =>
    p99(Array.from({ length: xs.length }, () => xs[Math.floor(random() * xs.length)]!));
  const ratios = Array.from({ length: 2000 }, () => resampledP99(a) / resampledP99(b)).sort((x, y) => x - y);
  return [percentile(ratios, 2.5), percentile(ratios, 97.5)];
}

function line(label: string, samples: number[], statuses: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const f = (n: number) => n.toFixed(2).padStart(7);
  const bad = statuses.filter((status) => status !== 200).length;
  return `    ${label.padEnd(8)} n=${s.length}  p50 ${f(percentile(s, 50))} ms  p95 ${f(percentile(s, 95))} ms  p99 ${f(percentile(s, 99))} ms  max ${f(s.at(-1)!)} ms${bad ? `  (${bad} not 200)` : ''}`;
}

async function startDeployEndpoint(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"queued"}'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function bench(name: string, databaseUrl: string | undefined): Promise<void> {
  const seed = {
    users: Object.entries(USERS).map(([handle, id]) => ({ id, name: handle })),
    channels: CHANNELS.map((id, i) => ({ id, name: `bench-${i + 1}`, members: Object.values(USERS) })),
    usergroups: [{ id: 'S0OPSLEAD1', handle: 'ops-leads', users: [USERS.bob, USERS.carol, USERS.dave] }],
  };
  const double = await startSlackDoubleProcess({ seed });
  const deploy = await startDeployEndpoint();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-slack-ack-'));
  const endpointsFile = path.join(dir, 'endpoints.yaml');
  fs.writeFileSync(
    endpointsFile,
    fs
      .readFileSync(path.resolve('examples/endpoints.yaml'), 'utf8')
      .replace(/https:\/\/deploy\.example\.internal/g, deploy.url),
  );
  const config = loadConfig(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      SLUICE_DATA_DIR: path.join(dir, 'data'),
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      SLACK_BOT_TOKEN: double.token,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: double.url,
      SLUICE_POLICY_FILE: path.resolve('examples/policy.yaml'),
      SLUICE_ENDPOINTS_FILE: endpointsFile,
      SLUICE_SECRET_DEPLOY_TOKEN: 'deploy-token-for-the-bench',
      SLUICE_OPERATORS: '@ops-leads',
      LOG_LEVEL: 'error',
      // To compare: SLUICE_INBOX_JOURNAL=off acks only once each request is in the database.
      ...(process.env.SLUICE_INBOX_JOURNAL ? { SLUICE_INBOX_JOURNAL: process.env.SLUICE_INBOX_JOURNAL } : {}),
    },
    process.cwd(),
  );
  const logger = createLogger({ level: 'error' });
  // The database as startSluice would open it, opened here first to put runbooks in it for `ask`.
  const db = await openDatabase(config);
  await migrate(db);
  const retrieval = await createRetrieval({
    db,
    config: config.retrieval,
    capabilities: await detectCapabilities(db),
    logger,
  });
  await retrieval.ingest({
    paths: [path.resolve('test/fixtures/runbooks')],
    cwd: process.cwd(),
    prune: false,
  });
  const app = await startSluice(config, logger, { db });
  const sluiceUrl = new URL('slack/events', app.url).toString();
  const driver = createSlackDriver({
    url: sluiceUrl,
    signingSecret: SIGNING_SECRET,
    workspace: double.identity,
  });
  const commandUrl = (channel: string, user: string) =>
    double.responseUrl({ kind: 'commands', channel, user });

  // Pending approvals for the clicks: production restarts need two ops leads (examples/policy.yaml),
  // so each card gets two clicks, Bob's then Carol's (the second decides it and the restart runs).
  const cards = Math.ceil(perKind / 2);
  const setupStarted = performance.now();
  for (let i = 0; i < cards; i++) {
    const channel = CHANNELS[i % CHANNELS.length]!;
    const sent = await driver.command({
      command: '/agent',
      text: `do http.request endpoint=restart-service params.service=svc-${i} params.environment=production`,
      userId: USERS.alice,
      channelId: channel,
      responseUrl: await commandUrl(channel, USERS.alice),
    });
    if (sent.status !== 200) throw new Error(`setup command answered ${sent.status}: ${sent.text}`);
  }
  let buttons: ApproveButton[] = [];
  for (let waited = 0; buttons.length < cards; waited += 500) {
    if (waited > 600_000) throw new Error(`only ${buttons.length} of ${cards} approval cards after 10 min`);
    await sleep(500);
    buttons = await double.approveButtons();
  }
  const cardsSeconds = (performance.now() - setupStarted) / 1000;
  // The backlog: questions the workers answer from the runbooks while the load runs.
  for (let i = 0; i < BACKLOG; i++) {
    const channel = CHANNELS[i % CHANNELS.length]!;
    await driver.command({
      command: '/agent',
      text: `ask how do I restart the payments worker safely? (backlog ${i})`,
      userId: USERS.alice,
      channelId: channel,
      responseUrl: await commandUrl(channel, USERS.alice),
    });
  }
  const setupSeconds = (performance.now() - setupStarted) / 1000;

  const bareOwn = await startBareBoltProcess(SIGNING_SECRET);
  const bareHere = await startBareBoltApp(SIGNING_SECRET);
  const clicks = await Promise.all(
    Array.from({ length: perKind }, async (_, i) => {
      const card = buttons[Math.floor(i / 2)]!;
      const userId = i % 2 === 0 ? USERS.bob : USERS.carol;
      return {
        ...card,
        userId,
        responseUrl: await double.responseUrl({
          kind: 'actions',
          channel: card.channel,
          user: userId,
          messageTs: card.ts,
        }),
      };
    }),
  );
  const commandChannel = CHANNELS[0]!;
  const responseUrls = await Promise.all(
    Array.from({ length: perKind }, () => commandUrl(commandChannel, USERS.carol)),
  );
  const queued = async () =>
    (
      await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM runs WHERE state NOT IN ${TERMINAL} AND origin <> 'command:do'`,
      )
    ).rows[0]!.n;
  const votesBefore = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM approval_votes');
  const backlogAtStart = await queued();
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const elu = performance.eventLoopUtilization();
  const result: SlackLoadResult = await runSlackLoad({
    targets: [
      { name: 'sluice', url: sluiceUrl },
      { name: 'bare bolt, own process', url: bareOwn.url },
      { name: "bare bolt, in sluice's process", url: bareHere.url },
    ],
    signingSecret: SIGNING_SECRET,
    workspace: double.identity,
    perKind,
    ratePerSecond: rate,
    command: {
      userId: USERS.carol,
      channelId: commandChannel,
      text: 'ask what does the payments worker runbook say about retries?',
      responseUrls,
    },
    clicks,
  });
  const utilisation = performance.eventLoopUtilization(elu).utilization;
  loopDelay.disable();
  const backlogAtEnd = await queued();
  const votes = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM approval_votes')).rows[0]!.n;
  const where = databaseUrl ? 'server' : `data dir ${config.database.dataDir}`;
  console.log(
    `${name}: ${perKind} commands + ${perKind} Approve clicks per app, ${rate}/s per app, 3 apps; ${config.durable.runConcurrency} run workers + outbox (${where}); inbox journal ${config.durable.inboxJournal ? 'on' : 'off'}`,
  );
  console.log(
    `  queue: ${backlogAtStart} runs not yet answered at the start, ${backlogAtEnd} at the end; setup ${setupSeconds.toFixed(0)} s (${cards} approval cards in ${cardsSeconds.toFixed(0)} s); votes recorded ${votes - votesBefore.rows[0]!.n}/${perKind}`,
  );
  console.log(
    `  sluice process: event-loop utilisation ${(utilisation * 100).toFixed(0)}%, delay p50 ${(loopDelay.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopDelay.max / 1e6).toFixed(1)} ms; load average ${os.loadavg()[0]!.toFixed(2)} on ${os.availableParallelism()} cores`,
  );
  for (const [target, kinds] of Object.entries(result)) {
    console.log(`  ${target}`);
    for (const kind of ['command', 'click'] as Kind[]) {
      console.log(line(kind, kinds[kind].latencies, kinds[kind].statuses));
    }
  }
  for (const kind of ['command', 'click'] as Kind[]) {
    const sluice = p99(result.sluice![kind].latencies);
    const own = p99(result['bare bolt, own process']![kind].latencies);
    const here = p99(result["bare bolt, in sluice's process"]![kind].latencies);
    const verdict = sluice <= 50 && sluice <= 1.5 * own ? 'met' : 'NOT met';
    const [low, high] = p99RatioInterval(
      result.sluice![kind].latencies,
      result['bare bolt, own process']![kind].latencies,
    );
    const [bareLow, bareHigh] = p99RatioInterval(
      result["bare bolt, in sluice's process"]![kind].latencies,
      result['bare bolt, own process']![kind].latencies,
    );
    console.log(
      `  ${kind} p99: sluice ${sluice.toFixed(1)} ms = ${(sluice / own).toFixed(2)}x bare bolt in its own process (${own.toFixed(1)} ms; 95% interval ${low.toFixed(2)} to ${high.toFixed(2)}x), ${(sluice / here).toFixed(2)}x bare bolt in sluice's process (${here.toFixed(1)} ms); target (<= 50 ms and <= 1.5x own-process bare bolt): ${verdict}`,
    );
    console.log(
      `    for scale, the same bare app in sluice's process against it in its own: ${(here / own).toFixed(2)}x (95% interval ${bareLow.toFixed(2)} to ${bareHigh.toFixed(2)}x)`,
    );
  }
  await bareHere.stop();
  await bareOwn.stop();
  await app.stop();
  await db.close();
  await deploy.close();
  await double.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}

await bench('embedded (PGlite)', undefined);
const url = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (url) {
  const scratch = await createEmptyServerDatabase(url);
  try {
    await bench('server (Postgres, loopback)', scratch.url);
  } finally {
    await scratch.drop();
  }
}
