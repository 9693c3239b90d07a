import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defineRunJobs, RUN_JOB_KIND, runJobSpec } from '../../src/agent/run-worker.ts';
import type { Database } from '../../src/db/database.ts';
import { createInbox, type Inbox } from '../../src/inbox/create-inbox.ts';
import { type JournalRecord, openInboxJournal } from '../../src/inbox/inbox-journal.ts';
import {
  inspectServerInboxJournal,
  openServerInboxJournal,
  serverInboxJournalRoot,
} from '../../src/inbox/server-inbox-journal.ts';
import { createJobQueue, type JobQueue } from '../../src/jobs/job-queue.ts';
import { databaseTargets } from '../support/test-database.ts';
import { createTestLogger } from '../support/test-logger.ts';

/**
 * The embedded database's inbox journal: Slack is acked once a request is one line in a file,
 * and the request is moved into the database right after (or by the next start).
 */

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-journal-'));
const lines = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => f.startsWith('inbox-journal-0'))
    .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean));

function record(n: number, overrides: Partial<JournalRecord> = {}): JournalRecord {
  return {
    key: `command:journal-${n}-${randomUUID()}`,
    kind: 'command',
    payload: { text: `ask question ${n}` },
    receivedAt: new Date().toISOString(),
    run: { channelId: 'C0JOURN001', userId: 'U0JOURN001', text: `question ${n}` },
    runId: randomUUID(),
    jobs: [],
    ...overrides,
  };
}

describe('the inbox journal file', () => {
  it('keeps a line until it is moved, and empties the file once every line is', () => {
    const dir = tmpDir();
    try {
      const journal = openInboxJournal(dir);
      const entries = [record(1), record(2), record(3)].map((r) => journal.append(r));
      journal.moved(entries[0]!);
      journal.moved(entries[1]!);
      assert.equal(lines(dir).length, 3, 'a line not yet moved keeps the file');
      journal.moved(entries[2]!);
      assert.deepEqual(lines(dir), []);
      journal.close();
      assert.deepEqual(openInboxJournal(dir).leftovers, []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives the next process the lines not moved, skipping a line cut short, and deletes them once moved', () => {
    const dir = tmpDir();
    try {
      const first = openInboxJournal(dir);
      const kept = [record(1), record(2)];
      for (const r of kept) first.append(r);
      first.close();
      // The process died in the middle of a write: half a line at the end.
      const [file] = fs.readdirSync(dir);
      fs.appendFileSync(path.join(dir, file!), JSON.stringify(record(3)).slice(0, 40));

      const second = openInboxJournal(dir);
      assert.deepEqual(
        second.leftovers.map((e) => e.record),
        kept,
      );
      assert.equal(second.tornLines, 1);
      const fresh = second.append(record(4));
      for (const e of second.leftovers) second.moved(e);
      assert.equal(fs.existsSync(path.join(dir, file!)), false, "the earlier process's file is gone");
      assert.equal(lines(dir).length, 1);
      second.moved(fresh);
      second.close();
      assert.deepEqual(fs.readdirSync(dir), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts a new file past its size and deletes a full one once all its lines are moved', () => {
    const dir = tmpDir();
    try {
      const journal = openInboxJournal(dir, { segmentBytes: 600 });
      const entries = Array.from({ length: 8 }, (_, i) => journal.append(record(i)));
      const files = fs.readdirSync(dir).filter((f) => f.startsWith('inbox-journal-0'));
      assert.ok(files.length >= 2, `expected several files, got ${files.join(', ')}`);
      const firstSegment = entries[0]!.segment;
      for (const e of entries.filter((e) => e.segment === firstSegment)) journal.moved(e);
      assert.equal(
        fs.readdirSync(dir).filter((f) => f.startsWith('inbox-journal-0')).length,
        files.length - 1,
      );
      assert.equal(lines(dir).length, entries.filter((e) => e.segment !== firstSegment).length);
      journal.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a server process's inbox journal", () => {
  /** A pid that is not running: a process that has exited. */
  const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;
  function slotOf(
    root: string,
    name: string,
    pid: number,
    records: JournalRecord[],
    owner: { host?: string; touchedMsAgo?: number } = {},
  ): string {
    const slot = path.join(root, name);
    fs.mkdirSync(slot, { recursive: true });
    const ownerFile = path.join(slot, 'owner.json');
    fs.writeFileSync(ownerFile, JSON.stringify({ pid, host: owner.host ?? os.hostname() }));
    if (owner.touchedMsAgo) {
      const t = new Date(Date.now() - owner.touchedMsAgo);
      fs.utimesSync(ownerFile, t, t);
    }
    for (const [i, r] of records.entries()) {
      const file = path.join(slot, `inbox-journal-${String(i + 1).padStart(8, '0')}.jsonl`);
      fs.writeFileSync(file, `${JSON.stringify(r)}\n`);
    }
    return slot;
  }

  it('adopts the lines and refused requests of stopped processes, oldest first, and leaves a running one alone', () => {
    const root = path.join(tmpDir(), 'server-abc');
    try {
      const [a, b, c, live] = [record(1), record(2), record(3), record(4)];
      const older = slotOf(root, 'slot-0000000000001-11-aaaaaa', deadPid(), [b!]);
      fs.writeFileSync(path.join(older, 'inbox-journal-refused.jsonl'), '{"reason":"refused earlier"}\n');
      // That process died while adopting an even older slot: that slot's lines come first.
      slotOf(older, 'adopting-slot-0000000000000-10-zzzzzz', deadPid(), [a!]);
      slotOf(root, 'slot-0000000000002-12-bbbbbb', deadPid(), [c!]);
      // A process that is running (this test's parent) keeps its slot.
      const running = slotOf(root, 'slot-0000000000003-13-cccccc', process.ppid, [live!]);

      const journal = openServerInboxJournal(root);
      assert.deepEqual(
        journal.leftovers.map((e) => e.record.key),
        [a!.key, b!.key, c!.key],
      );
      assert.equal(journal.adopted, 3);
      const slots = fs.readdirSync(root).sort();
      assert.equal(slots.length, 2, `the stopped slots are gone: ${slots.join(', ')}`);
      assert.ok(slots.includes(path.basename(running)));
      const own = path.join(root, slots.find((f) => f !== path.basename(running))!);
      assert.match(fs.readFileSync(path.join(own, 'inbox-journal-refused.jsonl'), 'utf8'), /refused earlier/);
      assert.deepEqual(inspectServerInboxJournal(root), {
        waiting: 0,
        torn: 0,
        refused: 1,
        refusedFiles: [path.join(own, 'inbox-journal-refused.jsonl')],
        running: 2,
      });

      for (const e of journal.leftovers) journal.moved(e);
      const fresh = journal.append(record(5));
      journal.close();
      // Its process stopped with a line not moved: the next process adopts it.
      const next = openServerInboxJournal(root);
      assert.deepEqual(
        next.leftovers.map((e) => e.record.key),
        [fresh.record.key],
      );
      next.moved(next.leftovers[0]!);
      fs.rmSync(
        path.join(
          root,
          fs.readdirSync(root).find((f) => f !== path.basename(running))!,
          'inbox-journal-refused.jsonl',
        ),
      );
      next.close();
      assert.deepEqual(fs.readdirSync(root), [path.basename(running)], 'an empty slot is removed at close');
    } finally {
      fs.rmSync(path.dirname(root), { recursive: true, force: true });
    }
  });

  it("on a shared volume, adopts another host's slot once it has not been refreshed for a minute", () => {
    const root = path.join(tmpDir(), 'server-abc');
    try {
      const [stale, live] = [record(1), record(2)];
      // Pids mean nothing across hosts (in containers both may be pid 1): only the refresh counts.
      slotOf(root, 'slot-0000000000001-1-aaaaaa', 1, [stale!], { host: 'replica-a', touchedMsAgo: 120_000 });
      const fresh = slotOf(root, 'slot-0000000000002-1-bbbbbb', 1, [live!], {
        host: 'replica-b',
        touchedMsAgo: 5_000,
      });
      const journal = openServerInboxJournal(root);
      assert.deepEqual(
        journal.leftovers.map((e) => e.record.key),
        [stale!.key],
      );
      assert.ok(fs.existsSync(fresh), 'a slot refreshed in the last minute is left to its process');
      journal.moved(journal.leftovers[0]!);
      journal.close();
    } finally {
      fs.rmSync(path.dirname(root), { recursive: true, force: true });
    }
  });

  it('gives two journals in one process slots of their own', () => {
    const root = path.join(tmpDir(), 'server-abc');
    try {
      const first = openServerInboxJournal(root);
      const second = openServerInboxJournal(root);
      assert.notEqual(first.dir, second.dir);
      const line = first.append(record(1));
      assert.deepEqual(second.leftovers, [], "a running journal's lines are not adopted");
      first.moved(line);
      first.close();
      second.close();
      assert.deepEqual(fs.readdirSync(root), []);
    } finally {
      fs.rmSync(path.dirname(root), { recursive: true, force: true });
    }
  });

  it('says what to do when its folder cannot be made', () => {
    const dir = tmpDir();
    try {
      const file = path.join(dir, 'a-file');
      fs.writeFileSync(file, '');
      assert.throws(
        () => openServerInboxJournal(path.join(file, 'server-abc')),
        /could not open the inbox journal in .*SLUICE_DATA_DIR a writable directory.*SLUICE_INBOX_JOURNAL=off/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps journals of different servers apart', () => {
    assert.notEqual(
      serverInboxJournalRoot('/data', 'postgres://db-a:5432/sluice'),
      serverInboxJournalRoot('/data', 'postgres://db-b:5432/sluice'),
    );
  });
});

for (const target of databaseTargets()) {
  describe(`the inbox with a journal (${target.name} database)`, () => {
    async function withInbox(
      fn: (ctx: { db: Database; queue: JobQueue; inbox: Inbox; dir: string }) => Promise<void>,
      options: {
        db?: (db: Database) => Database;
        queue?: (queue: JobQueue) => Pick<JobQueue, 'prepare'>;
      } = {},
    ) {
      const dir = tmpDir();
      const db = await target.create();
      const queue = await createJobQueue(db, createTestLogger(), { schedule: false, supervise: false });
      await defineRunJobs(queue);
      const inbox = createInbox({
        db: options.db ? options.db(db) : db,
        queue: options.queue ? options.queue(queue) : queue,
        runJob: runJobSpec,
        journal: openInboxJournal(dir),
        logger: createTestLogger(),
      });
      try {
        await fn({ db, queue, inbox, dir });
      } finally {
        await inbox.stop({ timeoutMs: 1000 });
        await queue.stop();
        await db.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }

    const count = async (db: Database, sql: string, params: unknown[] = []) =>
      (await db.query<{ n: number }>(sql, params)).rows[0]!.n;

    const command = (text: string) => ({
      key: `command:sha256:${randomUUID()}`,
      kind: 'command' as const,
      payload: { text, token: 'legacy-verification-token' },
      receivedAt: new Date(),
      run: { channelId: 'C0JOURN001', userId: 'U0JOURN001', text },
    });

    it('admits at once from the journal, then stores the request, its run and its job', async () => {
      await withInbox(async ({ db, inbox, dir }) => {
        const request = command('ask about retries');
        const admitted = await inbox.admit(request);
        assert.equal(admitted.duplicate, false);
        assert.ok(admitted.runId);
        // Sent before the journal's move starts: the database does not have it yet, the file does.
        assert.equal(await count(db, 'SELECT count(*)::int AS n FROM requests'), 0);
        const written = lines(dir);
        assert.equal(written.length, 1);
        assert.doesNotMatch(written[0]!, /legacy-verification-token/, 'the legacy token is a credential');

        const recorded = await admitted.recorded;
        assert.equal(recorded.runId, admitted.runId);
        assert.equal(
          await count(db, "SELECT count(*)::int AS n FROM runs WHERE id = $1 AND state = 'received'", [
            admitted.runId,
          ]),
          1,
        );
        assert.equal(
          await count(
            db,
            'SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND singleton_key = $2',
            [RUN_JOB_KIND, admitted.runId],
          ),
          1,
        );
        assert.deepEqual(lines(dir), [], 'moved, so the journal is empty again');
      });
    });

    it('answers a repeat delivery with the first one’s run, and counts it once stored', async () => {
      await withInbox(async ({ db, inbox }) => {
        const request = command('restart payments');
        const first = await inbox.admit(request);
        const again = await inbox.admit({ ...request, receivedAt: new Date() });
        assert.equal(again.duplicate, true);
        assert.equal(again.runId, first.runId);
        const recorded = await again.recorded;
        assert.equal(recorded.duplicate, true);
        assert.equal(recorded.deliveries, 2);
        assert.equal(await count(db, 'SELECT count(*)::int AS n FROM runs'), 1);
      });
    });

    it('refuses a request it could not store (a NUL character) before writing anything', async () => {
      await withInbox(async ({ inbox, dir }) => {
        await assert.rejects(inbox.admit(command('bad \u0000 text')), /NUL character/);
        assert.deepEqual(lines(dir), []);
      });
    });

    it('keeps retrying while the database does not answer, and stores the request when it does', async () => {
      let down = true;
      await withInbox(
        async ({ db, inbox }) => {
          const admitted = await inbox.admit(command('while the database is down'));
          setTimeout(() => {
            down = false;
          }, 800);
          const recorded = await admitted.recorded;
          assert.equal(recorded.duplicate, false);
          assert.equal(await count(db, 'SELECT count(*)::int AS n FROM runs'), 1);
        },
        {
          // The database as the inbox sees it: every statement fails while `down`.
          db: (db) =>
            new Proxy(db, {
              get(target, prop) {
                if (prop === 'query') {
                  return (sql: string, params?: readonly unknown[]) =>
                    down ? Promise.reject(new Error('connection refused')) : target.query(sql, params);
                }
                const value = Reflect.get(target, prop, target);
                return typeof value === 'function' ? value.bind(target) : value;
              },
            }),
        },
      );
    });

    it('sets aside a request the database refuses while it answers, tells the caller, and goes on', async () => {
      await withInbox(
        async ({ db, inbox, dir }) => {
          const refused = await inbox.admit(command('cannot be stored'), {
            jobs: [{ kind: 'broken', payload: {} }],
          });
          const next = await inbox.admit(command('stored after it'));
          await assert.rejects(refused.recorded, /no_such_table/);
          await next.recorded;
          assert.equal(await count(db, 'SELECT count(*)::int AS n FROM runs'), 1);
          const aside = fs
            .readFileSync(path.join(dir, 'inbox-journal-refused.jsonl'), 'utf8')
            .trim()
            .split('\n');
          assert.equal(aside.length, 1);
          assert.equal(JSON.parse(aside[0]!).record.run.text, 'cannot be stored');
          assert.deepEqual(lines(dir), []);
        },
        {
          queue: (queue) => ({
            prepare: (kind, payload, options) =>
              kind === 'broken'
                ? Promise.resolve({ sql: () => 'INSERT INTO no_such_table VALUES (1)', value: '[]' })
                : queue.prepare(kind, payload, options),
          }),
        },
      );
    });

    it('with SLUICE_INBOX_JOURNAL=off, admits only once the request is in the database, writing no line', async () => {
      const dir = tmpDir();
      const db = await target.create();
      const queue = await createJobQueue(db, createTestLogger(), { schedule: false, supervise: false });
      await defineRunJobs(queue);
      const inbox = createInbox({
        db,
        queue,
        runJob: runJobSpec,
        journal: openInboxJournal(dir),
        ackFromJournal: false,
      });
      try {
        const admitted = await inbox.admit(command('ask after the database'));
        assert.equal(
          await count(db, 'SELECT count(*)::int AS n FROM runs WHERE id = $1', [admitted.runId]),
          1,
          'in the database when admit resolves',
        );
        assert.deepEqual(lines(dir), []);
      } finally {
        await inbox.stop();
        await queue.stop();
        await db.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('stores at the next start what a process admitted and did not store, once', async () => {
      const dir = tmpDir();
      const db = await target.create();
      const queue = await createJobQueue(db, createTestLogger(), { schedule: false, supervise: false });
      await defineRunJobs(queue);
      try {
        // The process that died: two requests admitted, not stored; one stored, its line not yet cleared.
        const dead = openInboxJournal(dir);
        const [a, b, c] = [record(1), record(2), record(3)];
        for (const r of [a!, b!, c!]) dead.append(r);
        dead.close();
        const earlier = createInbox({ db, queue, runJob: runJobSpec });
        await earlier.accept({ ...c!, receivedAt: new Date(c!.receivedAt), run: c!.run!, runId: c!.runId! });

        const woken: string[] = [];
        const inbox = createInbox({
          db,
          queue,
          runJob: runJobSpec,
          journal: openInboxJournal(dir),
          afterCommit: (r) => woken.push(r.runId!),
        });
        assert.deepEqual(await inbox.recover(), { stored: 2, alreadyStored: 1, refused: 0, torn: 0 });
        const runs = await db.query<{ id: string; deliveries: number }>(
          'SELECT r.id, q.deliveries FROM runs r JOIN requests q ON q.id = r.request_id ORDER BY r.created_at',
        );
        assert.deepEqual(runs.rows.map((r) => r.id).sort(), [a!.runId, b!.runId, c!.runId].sort());
        assert.ok(
          runs.rows.every((r) => r.deliveries === 1),
          'a line already stored is not a second delivery',
        );
        assert.equal(
          await count(db, 'SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1', [RUN_JOB_KIND]),
          3,
        );
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepEqual(woken.sort(), [a!.runId, b!.runId].sort(), 'their runs are started');
        await inbox.stop();
        assert.deepEqual(fs.readdirSync(dir), []);
      } finally {
        await queue.stop();
        await db.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
