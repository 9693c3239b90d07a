/**
 * Soak: Slack answers 503 to everything for a long outage (default 120 s), then recovers. The
 * outbox keeps accepting messages through the outage (as runs keep replying), retries with its
 * production settings (1 msg/s per channel, backoff capped at 30 s), reconciles posts whose
 * outcome it could not know, and must then deliver every message exactly once, in commit order
 * per channel. Prints the figures and exits 1 if any message is missing, doubled or out of order.
 * Usage: node --import tsx bench/outbox-outage.ts [outageSeconds=120] [messagesPerChannel=20]
 * (embedded database; set BENCH_DATABASE_URL to use a Postgres server instead)
 */
import { migrate } from '../src/db/migrate.ts';
import { openServerDatabase } from '../src/db/pg-database.ts';
import { createLogger } from '../src/logger.ts';
import { enqueueOutbox } from '../src/outbox/outbox-message.ts';
import { createOutboxSender } from '../src/outbox/outbox-sender.ts';
import { createSlackWebApiClient } from '../src/slack/web-api-client.ts';
import { TEST_CHANNELS } from '../test/durable/support/durable-harness.ts';
import { createEmbeddedTestDatabase, createEmptyServerDatabase } from '../test/support/test-database.ts';
import { startSlackDoubleProcess } from './support/slack-double-process.ts';

const outageSeconds = Number(process.argv[2] ?? 120);
const perChannel = Number(process.argv[3] ?? 20);
const channels = TEST_CHANNELS.slice(0, 3);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const serverUrl = process.env.BENCH_DATABASE_URL;
const scratch = serverUrl ? await createEmptyServerDatabase(serverUrl) : undefined;
const db = scratch ? await openServerDatabase({ url: scratch.url }) : await createEmbeddedTestDatabase();
if (scratch) await migrate(db);
const double = await startSlackDoubleProcess();
const logger = createLogger({ level: 'silent' });
const slack = createSlackWebApiClient({ token: double.token, apiUrl: double.url, logger });
// Production settings: the sender's defaults.
const sender = createOutboxSender({ db, slack, logger });

let seq = 0;
const expected = new Map<string, string[]>(channels.map((c) => [c, []]));
async function enqueueRound(): Promise<void> {
  await db.transaction(async (tx) => {
    for (const channel of channels) {
      const key = `soak-${++seq}`;
      expected.get(channel)!.push(key);
      await enqueueOutbox(tx, { operation: 'post', key, channelId: channel, text: `message ${seq}` });
    }
  });
}

const half = Math.floor(perChannel / 2);
for (let i = 0; i < half; i++) await enqueueRound();
await double.outage(503);
const outageStart = Date.now();
sender.start();
const during = perChannel - half;
for (let i = 0; i < during; i++) {
  await sleep((outageSeconds * 1000) / (during + 1));
  await enqueueRound();
}
await sleep(Math.max(0, outageStart + outageSeconds * 1000 - Date.now()));
const callsDuringOutage = await double.calls();
await double.heal();
const healedAt = Date.now();
const outageMs = healedAt - outageStart;
const tried = await db.query<{ posts: number; maybe: number }>(
  'SELECT coalesce(sum(attempts), 0)::int AS posts, count(*) FILTER (WHERE maybe_sent)::int AS maybe FROM outbox_messages',
);
for (;;) {
  const pending = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM outbox_messages WHERE state = 'pending'",
  );
  if (pending.rows[0]!.n === 0) break;
  if (Date.now() - healedAt > 10 * 60_000) throw new Error('not drained 10 minutes after the outage');
  await sleep(200);
}
const drainedMs = Date.now() - healedAt;
await sender.stop();

const posts = await double.posts();
let problems = 0;
const counts = new Map<string, number>();
for (const [, key] of posts) counts.set(key, (counts.get(key) ?? 0) + 1);
const duplicates = [...counts].filter(([, n]) => n > 1).length;
const missing = [...expected.values()].flat().filter((k) => !counts.has(k)).length;
const minGaps: number[] = [];
let outOfOrder = 0;
for (const channel of channels) {
  const got = posts.filter(([c]) => c === channel).map(([, key, ts]) => ({ key, ts: Number(ts) }));
  if (JSON.stringify(got.map((g) => g.key)) !== JSON.stringify(expected.get(channel))) outOfOrder++;
  for (let i = 1; i < got.length; i++) minGaps.push((got[i]!.ts - got[i - 1]!.ts) * 1000);
}
problems = duplicates + missing + outOfOrder;
const failed = await db.query<{ n: number }>(
  "SELECT count(*)::int AS n FROM outbox_messages WHERE state = 'failed'",
);
console.log(
  `messages: ${seq} in ${channels.length} channels (${half} per channel before the outage, ${during} during it)`,
);
console.log(
  `outage: ${(outageMs / 1000).toFixed(1)} s of HTTP 503 on every Slack call; ${callsDuringOutage} calls failed (${tried.rows[0]!.posts} posts, the rest history lookups and in-client retries); ${tried.rows[0]!.maybe} messages left "maybe sent"`,
);
console.log(
  `after recovery: drained in ${(drainedMs / 1000).toFixed(1)} s; smallest gap between two posts in one channel ${Math.min(...minGaps).toFixed(0)} ms`,
);
console.log(
  `delivered ${posts.length}; duplicates ${duplicates}; missing ${missing}; channels out of order ${outOfOrder}; given up ${failed.rows[0]!.n}`,
);
console.log(problems === 0 ? 'OK: every message exactly once, in order per channel' : 'FAILED');
await double.stop();
await db.close();
await scratch?.drop();
process.exitCode = problems === 0 ? 0 : 1;
