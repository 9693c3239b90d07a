import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadRun } from '../../src/agent/run-record.ts';
import { startRunWorker } from '../../src/agent/run-worker.ts';
import type { RecordedRequest } from '../../src/inbox/record-request.ts';
import { OUTBOX_EVENT_TYPE } from '../../src/outbox/slack-writer.ts';
import { createServerTestDatabase } from '../support/test-database.ts';
import { startHarness, TEST_CHANNELS, waitFor } from './support/durable-harness.ts';
import { scriptedSteps } from './support/scripted-steps.ts';

/**
 * The same Slack event delivered 10 times at once to each of two app processes sharing the
 * Postgres server: one request, one run, one job, one effect. (The full version, through the
 * Bolt app's HTTP endpoint, belongs with the Slack surface; this drives the inbox those handlers
 * call, from two real processes.)
 */

const serverUrl = process.env.TEST_DATABASE_URL;
const clientScript = path.resolve(import.meta.dirname, 'support/inbox-client.ts');

function startClient(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', clientScript], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('ready\n')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`client exited ${code}:\n${err}`)));
  });
  const results = new Promise<RecordedRequest[]>((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.split('\n')[1]!)) : reject(new Error(err)),
    ),
  );
  return { child, ready, results };
}

describe('one Slack event delivered many times to two processes', {
  skip: serverUrl ? false : 'needs TEST_DATABASE_URL',
}, () => {
  it('yields one request, one run and one effect', async () => {
    const db = await createServerTestDatabase(serverUrl!);
    const h = await startHarness(db, { steps: (slack) => scriptedSteps({ slack }), start: false });
    try {
      const env = {
        INBOX_DATABASE_URL: new URL(new URL(db.location).pathname, serverUrl).toString(),
        INBOX_EVENT_ID: 'Ev0RACE00001',
        INBOX_CHANNEL: TEST_CHANNELS[0]!,
        INBOX_TIMES: '10',
      };
      const clients = [startClient(env), startClient(env)];
      await Promise.all(clients.map((c) => c.ready));
      for (const c of clients) c.child.stdin.write('go\n');
      const results = (await Promise.all(clients.map((c) => c.results))).flat();
      assert.equal(results.length, 20);
      assert.equal(results.filter((r) => !r.duplicate).length, 1, 'exactly one delivery is new');
      assert.equal(new Set(results.map((r) => r.requestId)).size, 1);
      assert.equal(new Set(results.map((r) => r.runId)).size, 1, 'every delivery names the same run');
      const runId = results[0]!.runId!;
      const requests = await db.query<{ deliveries: number }>('SELECT deliveries FROM requests');
      assert.deepEqual(
        requests.rows,
        [{ deliveries: 20 }],
        'every delivery was stored and counted, none dropped',
      );
      assert.equal((await db.query('SELECT 1 FROM runs')).rows.length, 1);
      const jobs = await db.query("SELECT 1 FROM pgboss.job WHERE name = 'run'");
      assert.equal(jobs.rows.length, 1, 'one job for the run');

      await startRunWorker({ queue: h.queue, processor: h.processor, concurrency: 2 });
      h.outbox.start();
      await waitFor('the run to finish', async () => (await loadRun(db, runId))?.state === 'done');
      const effects = await db.query<{ state: string; attempts: number }>(
        'SELECT state, attempts FROM effects',
      );
      assert.deepEqual(effects.rows, [{ state: 'succeeded', attempts: 1 }]);
      const effectPosts = h.double.messages
        .all()
        .filter(
          ({ message }) =>
            message.metadata?.event_type === OUTBOX_EVENT_TYPE &&
            message.metadata.event_payload.key === `${runId}:execute`,
        );
      assert.equal(effectPosts.length, 1);
    } finally {
      await h.close();
      await db.close();
    }
  });
});
