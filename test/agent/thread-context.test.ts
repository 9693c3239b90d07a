import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadThreadContext } from '../../src/agent/load-thread-context.ts';
import type { Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { type SlackWebApiDouble, startSlackWebApiDouble } from '../../src/local/slack-web-api-double.ts';
import { createSlackWebApiClient } from '../../src/slack/web-api-client.ts';
import { createEmbeddedTestDatabase } from '../support/test-database.ts';
import { createTestLogger } from '../support/test-logger.ts';

/**
 * Earlier thread messages reach the model as context: read from the Slack double through the
 * real Web API client, cut at the message the request came from, none for top-level messages.
 */

const CHANNEL = 'C0THREAD01';
let db: Database;
let double: SlackWebApiDouble;

before(async () => {
  db = await createEmbeddedTestDatabase();
  await migrate(db);
  double = await startSlackWebApiDouble({ seed: { channels: [{ id: CHANNEL, name: 'ops' }] } });
});

after(async () => {
  await double.close();
  await db.close();
});

async function storeRequest(event: Record<string, unknown>): Promise<number> {
  const stored = await db.query<{ id: number }>(
    `INSERT INTO requests (key, kind, payload, correlation_id, received_at, last_delivery_at)
     VALUES ($1, 'event', $2, gen_random_uuid(), now(), now()) RETURNING id`,
    [`event:${String(event.ts)}:${Math.random()}`, JSON.stringify({ type: 'event_callback', event })],
  );
  return Number(stored.rows[0]!.id);
}

describe('thread context for the model', () => {
  const deps = () => ({
    db,
    slack: createSlackWebApiClient({ token: double.token, apiUrl: double.url }),
    logger: createTestLogger(),
  });

  it('gives the earlier messages of the thread, oldest first, without the request and what follows', async () => {
    const parent = double.messages.post(CHANNEL, {
      text: 'payments-worker is flapping in staging',
      user: 'U0ALICE01',
    });
    double.messages.post(CHANNEL, {
      text: 'It started after the 14:00 deploy',
      user: 'U0BOB0001',
      thread_ts: parent.ts,
    });
    double.messages.post(CHANNEL, { text: 'earlier bot reply', bot_id: 'B0SLUICE1', thread_ts: parent.ts });
    const request = double.messages.post(CHANNEL, {
      text: '<@U0SLUICE> restart it please',
      user: 'U0ALICE01',
      thread_ts: parent.ts,
    });
    double.messages.post(CHANNEL, { text: 'a later message', user: 'U0CAROL01', thread_ts: parent.ts });
    const requestId = await storeRequest({
      type: 'app_mention',
      ts: request.ts,
      thread_ts: parent.ts,
      channel: CHANNEL,
    });
    const thread = await loadThreadContext(deps(), {
      id: 'r1',
      requestId,
      channelId: CHANNEL,
      threadTs: parent.ts,
    });
    assert.deepEqual(thread, [
      { author: '<@U0ALICE01>', text: 'payments-worker is flapping in staging' },
      { author: '<@U0BOB0001>', text: 'It started after the 14:00 deploy' },
      { author: 'bot B0SLUICE1', text: 'earlier bot reply' },
    ]);
  });

  it('gives nothing for a top-level message, a command, or a thread Slack cannot read', async () => {
    const top = double.messages.post(CHANNEL, { text: 'how are backups kept?', user: 'U0ALICE01' });
    const topId = await storeRequest({ type: 'app_mention', ts: top.ts, channel: CHANNEL });
    assert.deepEqual(
      await loadThreadContext(deps(), { id: 'r2', requestId: topId, channelId: CHANNEL, threadTs: top.ts }),
      [],
    );
    assert.deepEqual(
      await loadThreadContext(deps(), { id: 'r3', requestId: null, channelId: CHANNEL, threadTs: null }),
      [],
    );
    const gone = await storeRequest({
      type: 'app_mention',
      ts: '1800000001.000200',
      thread_ts: '1800000001.000100',
      channel: 'C0NOWHERE1',
    });
    assert.deepEqual(
      await loadThreadContext(deps(), {
        id: 'r4',
        requestId: gone,
        channelId: 'C0NOWHERE1',
        threadTs: '1800000001.000100',
      }),
      [],
    );
  });
});
