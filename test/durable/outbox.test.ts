import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { type SlackWebApiDouble, startSlackWebApiDouble } from '../../src/local/slack-web-api-double.ts';
import { enqueueOutbox, type OutboxDraft } from '../../src/outbox/outbox-message.ts';
import { createOutboxSender, type OutboxSenderOptions } from '../../src/outbox/outbox-sender.ts';
import { OUTBOX_EVENT_TYPE } from '../../src/outbox/slack-writer.ts';
import { createSlackWebApiClient } from '../../src/slack/web-api-client.ts';
import { databaseTargets } from '../support/test-database.ts';
import { createTestLogger } from '../support/test-logger.ts';
import { seedChannels, TEST_CHANNELS, waitFor } from './support/durable-harness.ts';

const [C1, C2, C3] = TEST_CHANNELS as [string, string, string];

function post(key: string, channelId: string, text = key): OutboxDraft {
  return { operation: 'post', key, channelId, text };
}

/** The double's successful posts, in the order Slack stored them, with our keys. */
function delivered(double: SlackWebApiDouble): Array<{ channel: string; key: string; ts: string }> {
  return double.messages
    .all()
    .filter(({ message }) => message.metadata?.event_type === OUTBOX_EVENT_TYPE)
    .map(({ channel, message }) => ({
      channel,
      key: String(message.metadata!.event_payload.key),
      ts: message.ts,
    }));
}

async function pendingCount(db: Database): Promise<number> {
  const r = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM outbox_messages WHERE state = 'pending'",
  );
  return r.rows[0]!.n;
}

for (const target of databaseTargets()) {
  describe(`the outbox (${target.name})`, () => {
    async function withOutbox(
      options: Partial<OutboxSenderOptions>,
      fn: (ctx: {
        db: Database;
        double: SlackWebApiDouble;
        sender: ReturnType<typeof createOutboxSender>;
      }) => Promise<void>,
    ) {
      const db = await target.create();
      const double = await startSlackWebApiDouble({ seed: seedChannels() });
      const logger = createTestLogger();
      const slack = createSlackWebApiClient({
        token: double.token,
        apiUrl: double.url,
        logger,
        timeoutMs: 2000,
        retry: { maxAttempts: 1 },
      });
      const sender = createOutboxSender({
        db,
        slack,
        logger,
        pacingMs: 100,
        pollMs: 20,
        retryBaseMs: 100,
        retryMaxMs: 400,
        leaseMs: 10_000,
        ...options,
      });
      try {
        await fn({ db, double, sender });
      } finally {
        await sender.stop();
        await double.close();
        await db.close();
      }
    }

    it('delivers each channel in commit order, about one message per pacing interval, each message once', async () => {
      await withOutbox({ pacingMs: 200 }, async ({ db, double, sender }) => {
        await db.transaction(async (tx) => {
          for (let i = 0; i < 4; i++) await enqueueOutbox(tx, post(`a${i}`, C1));
          for (let i = 0; i < 3; i++) await enqueueOutbox(tx, post(`b${i}`, C2));
          assert.equal(await enqueueOutbox(tx, post('a0', C1, 'duplicate key')), false);
        });
        sender.start();
        await waitFor('all messages', async () => (await pendingCount(db)) === 0);
        const got = delivered(double);
        assert.deepEqual(
          got.filter((m) => m.channel === C1).map((m) => m.key),
          ['a0', 'a1', 'a2', 'a3'],
        );
        assert.deepEqual(
          got.filter((m) => m.channel === C2).map((m) => m.key),
          ['b0', 'b1', 'b2'],
        );
        const times = double
          .callsTo('chat.postMessage')
          .filter((c) => c.args.channel === C1)
          .map((c) => c.time);
        for (let i = 1; i < times.length; i++)
          assert.ok(times[i]! - times[i - 1]! >= 190, `gap ${times[i]! - times[i - 1]!} ms`);
      });
    });

    it('waits out a 429 for its Retry-After and never posts twice', async () => {
      await withOutbox({}, async ({ db, double, sender }) => {
        double.fail('chat.postMessage', { status: 429, retryAfter: 1, times: 1 });
        await db.transaction((tx) => enqueueOutbox(tx, post('limited', C1)));
        sender.start();
        await waitFor('the message', async () => (await pendingCount(db)) === 0);
        const calls = double.callsTo('chat.postMessage');
        assert.deepEqual(
          calls.map((c) => c.status),
          [429, 200],
        );
        assert.ok(
          calls[1]!.time - calls[0]!.time >= 990,
          `retried after ${calls[1]!.time - calls[0]!.time} ms`,
        );
        assert.equal(
          double.callsTo('conversations.history').length,
          0,
          'a 429 proves nothing was posted: no lookup needed',
        );
        assert.deepEqual(
          delivered(double).map((m) => m.key),
          ['limited'],
        );
      });
    });

    it('rides out an outage (every call 503) and then delivers every message exactly once, in order per channel', async () => {
      await withOutbox({}, async ({ db, double, sender }) => {
        const outage = double.fail('*', { status: 503 });
        const expected: Record<string, string[]> = { [C1]: [], [C2]: [], [C3]: [] };
        await db.transaction(async (tx) => {
          for (let i = 0; i < 24; i++) {
            const channel = [C1, C2, C3][i % 3]!;
            expected[channel]!.push(`m${i}`);
            await enqueueOutbox(tx, post(`m${i}`, channel));
          }
        });
        sender.start();
        await new Promise((resolve) => setTimeout(resolve, 3000));
        assert.ok(double.calls.length >= 6, 'the sender kept trying through the outage');
        assert.equal(delivered(double).length, 0);
        outage.clear();
        await waitFor('every message after the outage', async () => (await pendingCount(db)) === 0, 30_000);
        const got = delivered(double);
        assert.equal(got.length, 24);
        assert.equal(new Set(got.map((m) => m.key)).size, 24, 'no message twice');
        for (const channel of [C1, C2, C3]) {
          assert.deepEqual(
            got.filter((m) => m.channel === channel).map((m) => m.key),
            expected[channel],
          );
        }
        assert.ok(
          double.callsTo('conversations.history').length > 0,
          'posts whose outcome was unknown were reconciled first',
        );
      });
    });

    it('finds a message that reached Slack before a crash instead of posting it again', async () => {
      await withOutbox({}, async ({ db, double, sender }) => {
        const slack = createSlackWebApiClient({ token: double.token, apiUrl: double.url });
        await db.transaction((tx) => enqueueOutbox(tx, post('crashed', C2, 'posted before the crash')));
        // What the dead process did: marked the attempt, posted, and died before recording it.
        await db.query("UPDATE outbox_messages SET attempts = 1, maybe_sent = true WHERE key = 'crashed'");
        const posted = await slack.postMessage({
          channel: C2,
          text: 'posted before the crash',
          metadata: {
            event_type: OUTBOX_EVENT_TYPE,
            event_payload: { key: 'crashed', run_id: '', step: '' },
          },
        });
        sender.start();
        await waitFor('the message', async () => (await pendingCount(db)) === 0);
        const row = await db.query<{ slack_ts: string; state: string }>(
          "SELECT slack_ts, state FROM outbox_messages WHERE key = 'crashed'",
        );
        assert.deepEqual(row.rows[0], { slack_ts: posted.ts, state: 'sent' });
        assert.equal(double.callsTo('chat.postMessage').length, 1, 'only the post made before the crash');
      });
    });

    it('gives up a message Slack refuses for good, keeps the channel moving, and edits earlier posts in place', async () => {
      await withOutbox({}, async ({ db, double, sender }) => {
        double.fail('chat.postMessage', { error: 'invalid_blocks', times: 1 });
        await db.transaction(async (tx) => {
          await enqueueOutbox(tx, post('refused', C1));
          await enqueueOutbox(tx, post('card', C1, 'Approve?'));
          await enqueueOutbox(tx, {
            operation: 'update',
            key: 'card:approved',
            targetKey: 'card',
            channelId: C1,
            text: 'Approved by <@U1>',
          });
          await enqueueOutbox(tx, {
            operation: 'update',
            key: 'refused:edit',
            targetKey: 'refused',
            channelId: C1,
            text: 'never',
          });
        });
        sender.start();
        await waitFor('the outbox to settle', async () => (await pendingCount(db)) === 0);
        const rows = await db.query<{ key: string; state: string }>(
          'SELECT key, state FROM outbox_messages ORDER BY id',
        );
        assert.deepEqual(rows.rows, [
          { key: 'refused', state: 'failed' },
          { key: 'card', state: 'sent' },
          { key: 'card:approved', state: 'sent' },
          { key: 'refused:edit', state: 'failed' },
        ]);
        const card = delivered(double).find((m) => m.key === 'card')!;
        assert.equal(double.messages.find(C1, card.ts)!.text, 'Approved by <@U1>');
        assert.equal(double.callsTo('chat.update').length, 1);
      });
    });
  });
}
