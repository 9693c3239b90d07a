import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openServerDatabase } from '../../src/db/pg-database.ts';
import { openEmbeddedDatabase } from '../../src/db/pglite-database.ts';
import { serverInboxJournalRoot } from '../../src/inbox/server-inbox-journal.ts';
import { runSluice, startSluiceProcess } from '../support/sluice-process.ts';
import { createEmptyServerDatabase } from '../support/test-database.ts';

/** A journal line: a request an earlier process acknowledged and did not store. */
function leftRequest() {
  return {
    key: 'command:sha256:left-in-the-journal',
    kind: 'command',
    payload: { text: 'ask how do I restart payments?' },
    receivedAt: new Date().toISOString(),
    run: {
      origin: 'command:ask',
      channelId: 'C0LEFT0001',
      userId: 'U0LEFT0001',
      text: 'how do I restart payments?',
    },
    runId: randomUUID(),
    jobs: [],
  };
}

describe('sluice start on the embedded database', () => {
  it('serves /healthz, stores what an earlier process left in the inbox journal (with the journal on and off), refuses a second process on the same data directory, and stops cleanly', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-start-'));
    // A request an earlier process acknowledged and died before storing.
    const left = leftRequest();
    fs.mkdirSync(path.join(dataDir, 'inbox-journal'));
    fs.writeFileSync(
      path.join(dataDir, 'inbox-journal', 'inbox-journal-00000001.jsonl'),
      `${JSON.stringify(left)}\n`,
    );
    const first = await startSluiceProcess({ SLUICE_DATA_DIR: dataDir });
    try {
      const health = await fetch(new URL('healthz', first.url));
      assert.equal(health.status, 200);
      const body = (await health.json()) as {
        status: string;
        database: { kind: string };
        paused: { global: boolean };
      };
      assert.equal(body.status, 'ok');
      assert.equal(body.database.kind, 'embedded');
      assert.equal(body.paused.global, false);

      const metrics = await fetch(new URL('metrics', first.url));
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /sluice_http_requests_total\{.*route="\/healthz".*\} 1/);

      const second = await runSluice(['start'], { SLUICE_DATA_DIR: dataDir, PORT: '0' });
      assert.equal(second.code, 1);
      assert.match(second.stderr, new RegExp(`data directory ${dataDir} in use by pid ${first.child.pid}`));
    } finally {
      const code = await first.stop('SIGINT');
      assert.equal(code, 0, first.stderr());
    }
    assert.match(first.stderr(), /Sluice stopped\./);
    assert.equal(fs.existsSync(path.join(dataDir, 'sluice.lock')), false);
    assert.deepEqual(fs.readdirSync(path.join(dataDir, 'inbox-journal')), [], 'nothing left in the journal');
    const db = await openEmbeddedDatabase({ dataDir });
    try {
      const runs = await db.query<{ id: string; key: string }>(
        'SELECT r.id, q.key FROM runs r JOIN requests q ON q.id = r.request_id',
      );
      assert.deepEqual(runs.rows, [{ id: left.runId, key: left.key }]);
    } finally {
      await db.close();
    }

    // With the journal turned off, what an earlier process left in it is still stored.
    const another = { ...leftRequest(), key: 'command:sha256:left-before-the-journal-was-off' };
    fs.writeFileSync(
      path.join(dataDir, 'inbox-journal', 'inbox-journal-00000001.jsonl'),
      `${JSON.stringify(another)}\n`,
    );
    const off = await startSluiceProcess({ SLUICE_DATA_DIR: dataDir, SLUICE_INBOX_JOURNAL: 'off' });
    assert.equal(await off.stop('SIGINT'), 0, off.stderr());
    assert.deepEqual(fs.readdirSync(path.join(dataDir, 'inbox-journal')), []);
    const after = await openEmbeddedDatabase({ dataDir });
    try {
      const keys = await after.query<{ key: string }>('SELECT key FROM requests ORDER BY key');
      assert.deepEqual(
        keys.rows.map((r) => r.key),
        [another.key, left.key],
      );
    } finally {
      await after.close();
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('exits 2 listing every bad variable', async () => {
    const result = await runSluice(['start'], { PORT: 'abc', DATABASE_URL: 'nonsense' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /PORT:/);
    assert.match(result.stderr, /DATABASE_URL:/);
  });
});

const serverUrl = process.env.TEST_DATABASE_URL;

describe('sluice on a Postgres server', { skip: serverUrl ? false : 'TEST_DATABASE_URL is not set' }, () => {
  it('starts, stores what a stopped process left in its inbox journal, and reports keyword-only mode in /healthz and doctor when pgvector is missing', async () => {
    const scratch = await createEmptyServerDatabase(serverUrl!);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-start-server-'));
    const db = await openServerDatabase({ url: scratch.url });
    try {
      const location = db.location;
      // The slot of a process on this host that acknowledged a request and died before storing it.
      const root = serverInboxJournalRoot(dataDir, location);
      const dead = path.join(root, `slot-0000000000001-1-dead`);
      fs.mkdirSync(dead, { recursive: true });
      const pid = spawnSync(process.execPath, ['-e', '']).pid;
      fs.writeFileSync(path.join(dead, 'owner.json'), JSON.stringify({ pid, host: os.hostname() }));
      const left = { ...leftRequest(), key: 'command:sha256:left-by-a-server-process' };
      fs.writeFileSync(path.join(dead, 'inbox-journal-00000001.jsonl'), `${JSON.stringify(left)}\n`);

      const app = await startSluiceProcess({ DATABASE_URL: scratch.url, SLUICE_DATA_DIR: dataDir });
      try {
        const body = (await (await fetch(new URL('healthz', app.url))).json()) as {
          status: string;
          database: { kind: string };
          retrieval: { mode: string };
        };
        assert.equal(body.status, 'ok');
        assert.equal(body.database.kind, 'server');
        assert.equal(body.retrieval.mode, 'keyword-only');
        assert.equal(fs.existsSync(dead), false, "the stopped process's slot was adopted");
        const doctor = await runSluice(['doctor'], { DATABASE_URL: scratch.url, SLUICE_DATA_DIR: dataDir });
        assert.match(
          doctor.stdout,
          /OK\s+inbox\s+journal: 1 running process\(es\) on this host keep a journal here/,
        );
      } finally {
        assert.equal(await app.stop('SIGTERM'), 0);
      }
      const runs = await db.query<{ id: string; key: string }>(
        'SELECT r.id, q.key FROM runs r JOIN requests q ON q.id = r.request_id',
      );
      assert.deepEqual(runs.rows, [{ id: left.runId, key: left.key }]);
      assert.deepEqual(fs.readdirSync(root), [], 'an emptied slot is removed at stop');
      const doctor = await runSluice(['doctor'], { DATABASE_URL: scratch.url, SLUICE_DATA_DIR: dataDir });
      assert.equal(doctor.code, 0, doctor.stderr);
      assert.match(doctor.stdout, /WARN\s+pgvector\s+pgvector is not installed: KEYWORD-ONLY/);
      assert.match(doctor.stdout, /OK\s+migrations/);
      assert.match(doctor.stdout, /OK\s+inbox\s+journal: empty/);
      assert.ok(!doctor.stdout.includes(':sluice@'), 'doctor must not print the password');
    } finally {
      await db.close();
      await scratch.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('sluice doctor with Slack credentials', () => {
  it('checks the bot token with auth.test against the configured Web API', async () => {
    const { startSlackWebApiDouble } = await import('../../src/local/slack-web-api-double.ts');
    const slack = await startSlackWebApiDouble();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-doctor-'));
    try {
      const env = { SLUICE_DATA_DIR: dataDir, SLACK_API_URL: slack.url, SLACK_SIGNING_SECRET: 'secret' };
      // A request waiting in the inbox journal, and one the database refused.
      const journal = path.join(dataDir, 'inbox-journal');
      fs.mkdirSync(journal);
      const line = {
        key: 'event:Ev0WAIT',
        kind: 'event',
        payload: {},
        receivedAt: new Date().toISOString(),
        run: null,
        runId: null,
        jobs: [],
      };
      fs.writeFileSync(path.join(journal, 'inbox-journal-00000003.jsonl'), `${JSON.stringify(line)}\n`);
      fs.writeFileSync(
        path.join(journal, 'inbox-journal-refused.jsonl'),
        `${JSON.stringify({ refusedAt: new Date().toISOString(), reason: 'invalid input', record: line })}\n`,
      );
      const good = await runSluice(['doctor'], { ...env, SLACK_BOT_TOKEN: slack.token });
      assert.equal(good.code, 0, good.stdout + good.stderr);
      assert.match(good.stdout, /OK\s+slack\s+http mode, bot sluice in Sluice Local/);
      // A fresh data directory: the embedded database has pgvector, the migrations create it.
      assert.match(
        good.stdout,
        /WARN\s+pgvector\s+pgvector is available but not created in this database yet: run `sluice migrate`/,
      );
      assert.match(
        good.stdout,
        /WARN\s+inbox\s+journal: 1 request\(s\) the database refused are kept in .*inbox-journal-refused\.jsonl.*; 1 acknowledged request\(s\) not yet in the database: the next start stores them/,
      );
      const bad = await runSluice(['doctor'], { ...env, SLACK_BOT_TOKEN: 'xoxb-0000-not-the-token' });
      assert.equal(bad.code, 1);
      assert.match(bad.stdout, /FAIL\s+slack\s+auth\.test failed: .*invalid_auth/);
      assert.ok(!bad.stdout.includes('xoxb-'), 'doctor must not print the token');
    } finally {
      await slack.close();
    }
  });
});
