import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defineRunJobs, runJobSpec } from '../../src/agent/run-worker.ts';
import { verifyAuditChain } from '../../src/audit/verify-audit-chain.ts';
import { createInbox } from '../../src/inbox/create-inbox.ts';
import { requestKey } from '../../src/inbox/request-key.ts';
import { createJobQueue } from '../../src/jobs/job-queue.ts';
import { startSlackWebApiDouble } from '../../src/local/slack-web-api-double.ts';
import { OUTBOX_EVENT_TYPE } from '../../src/outbox/slack-writer.ts';
import { createServerTestDatabase } from '../support/test-database.ts';
import { createTestLogger } from '../support/test-logger.ts';
import { CRASH_TEST_POLICY } from './support/crash-test-policy.ts';
import { runStates, seedChannels, TEST_CHANNELS, waitFor } from './support/durable-harness.ts';

/**
 * 50 rounds of SIGKILLing a worker process at a random point of a run: each round starts one
 * more run and a fresh worker process, and kills it when it reaches a randomly chosen probe (a
 * step starting, an effect posting to Slack, the outbox posting, just after Slack answered and
 * before Sluice recorded it...). Runs left behind are resumed by the next process once their
 * leases lapse. At the end one worker is left to finish: every run must be done, and the Slack
 * double must have exactly one effect message and one reply per run, no more, no less.
 * Needs the Postgres server: two processes cannot share an embedded database.
 */

const ROUNDS = 50;
const workerScript = path.resolve(import.meta.dirname, 'support/crash-worker.ts');

interface Worker {
  child: ChildProcess;
  probes: string[];
  ready: Promise<void>;
  exited: Promise<void>;
  onProbe?: (count: number) => void;
}

function startWorker(env: Record<string, string>): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', workerScript], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const worker: Worker = { child, probes: [], ready: Promise.resolve(), exited: Promise.resolve() };
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  worker.exited = new Promise((resolve) => child.on('exit', () => resolve()));
  worker.ready = new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line === 'ready') resolve();
        else if (line.startsWith('probe ')) {
          worker.probes.push(line.slice(6));
          worker.onProbe?.(worker.probes.length);
        }
        newline = buffered.indexOf('\n');
      }
    });
    child.on('exit', (code, signal) =>
      reject(new Error(`worker exited (${code ?? signal}) before it was ready:\n${stderr}`)),
    );
  });
  return worker;
}

const serverUrl = process.env.TEST_DATABASE_URL;

describe('runs survive workers killed at random points', {
  skip: serverUrl ? false : 'needs TEST_DATABASE_URL',
}, () => {
  it(`${ROUNDS} rounds of SIGKILL leave every run done, with 0 duplicate and 0 missing Slack messages`, async () => {
    const db = await createServerTestDatabase(serverUrl!);
    const double = await startSlackWebApiDouble({ seed: seedChannels() });
    const logger = createTestLogger();
    // This process only accepts requests; it runs no workers but does expire lapsed leases.
    const queue = await createJobQueue(db, logger, { superviseIntervalSeconds: 1, schedule: false });
    await defineRunJobs(queue, CRASH_TEST_POLICY);
    const inbox = createInbox({ db, queue, runJob: runJobSpec });
    const env = {
      CRASH_DATABASE_URL: new URL(new URL(db.location).pathname, serverUrl).toString(),
      CRASH_SLACK_URL: double.url,
      CRASH_SLACK_TOKEN: double.token,
    };
    const killedAt: string[] = [];
    const runIds: string[] = [];
    let worker: Worker | undefined;
    try {
      const started = Date.now();
      for (let round = 0; round < ROUNDS; round++) {
        const body = `command=%2Fagent&text=round+${round}&trigger_id=crash.${round}.${Date.now()}`;
        const accepted = await inbox.accept({
          key: requestKey({ kind: 'command', body }),
          kind: 'command',
          payload: { body },
          receivedAt: new Date(),
          run: {
            channelId: TEST_CHANNELS[round % TEST_CHANNELS.length]!,
            userId: 'U0CRASH001',
            text: `round ${round}`,
          },
        });
        runIds.push(accepted.runId!);
        const current = startWorker(env);
        worker = current;
        await current.ready;
        const killAfter = 1 + Math.floor(Math.random() * 12);
        await new Promise<void>((resolve) => {
          // A worker with nothing to do (its runs still leased by the dead one) is killed idle.
          const timer = setTimeout(resolve, 2000);
          current.onProbe = (count) => {
            if (count >= killAfter) {
              clearTimeout(timer);
              resolve();
            }
          };
        });
        current.child.kill('SIGKILL');
        await current.exited;
        killedAt.push(current.probes.at(-1) ?? '(idle)');
      }
      const roundsMs = Date.now() - started;
      worker = startWorker(env);
      await worker.ready;
      await waitFor(
        'every run to finish',
        async () => {
          const states = await runStates(db);
          const pending = await db.query("SELECT 1 FROM outbox_messages WHERE state = 'pending'");
          return states.done === ROUNDS && pending.rows.length === 0 ? states : undefined;
        },
        120_000,
      );
      const states = await runStates(db);
      assert.deepEqual(states, { done: ROUNDS }, `kill points: ${killedAt.join(', ')}`);

      const posts = double.messages
        .all()
        .filter(({ message }) => message.metadata?.event_type === OUTBOX_EVENT_TYPE)
        .map(({ message }) => String(message.metadata!.event_payload.key));
      const counts = new Map<string, number>();
      for (const key of posts) counts.set(key, (counts.get(key) ?? 0) + 1);
      const duplicates = [...counts].filter(([, n]) => n > 1);
      const expected = runIds.flatMap((id) => [`${id}:execute`, `${id}:reply`]);
      const missing = expected.filter((key) => !counts.has(key));
      assert.deepEqual(duplicates, [], 'messages posted more than once');
      assert.deepEqual(missing, [], 'messages never posted');
      assert.equal(posts.length, ROUNDS * 2);
      const effects = await db.query<{ state: string; n: number }>(
        'SELECT state, count(*)::int AS n FROM effects GROUP BY state',
      );
      assert.deepEqual(effects.rows, [{ state: 'succeeded', n: ROUNDS }]);
      assert.equal((await verifyAuditChain(db)).ok, true);
      const kills: Record<string, number> = {};
      for (const point of killedAt) kills[point] = (kills[point] ?? 0) + 1;
      process.stdout.write(
        `# ${ROUNDS} kills in ${(roundsMs / 1000).toFixed(1)} s, then every run finished ${((Date.now() - started - roundsMs) / 1000).toFixed(1)} s later; kill points: ${JSON.stringify(kills)}\n`,
      );
    } finally {
      worker?.child.kill('SIGKILL');
      await worker?.exited;
      await queue.stop({ timeoutMs: 1000 });
      await double.close();
      await db.close();
    }
  });
});
