import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { openServerDatabase } from '../../src/db/pg-database.ts';
import { openEmbeddedDatabase } from '../../src/db/pglite-database.ts';
import { createEmptyServerDatabase, databaseTargets } from '../support/test-database.ts';

const TABLE = `CREATE TABLE t (id int PRIMARY KEY, note text NOT NULL DEFAULT '')`;

for (const target of databaseTargets()) {
  describe(`the database port (${target.name})`, () => {
    let db: Database;
    before(async () => {
      db = await target.create();
      await db.exec(`DROP TABLE IF EXISTS t; ${TABLE}`);
    });
    after(() => db.close());

    it('reports rowCount as pg does: rows returned, or rows changed when none are returned', async () => {
      const inserted = await db.query('INSERT INTO t (id) SELECT g FROM generate_series(1, 3) g');
      assert.equal(inserted.rowCount, 3);
      const selected = await db.query('SELECT id FROM t ORDER BY id');
      assert.deepEqual(
        selected.rows.map((r) => r.id),
        [1, 2, 3],
      );
      assert.equal(selected.rowCount, 3);
      const none = await db.query('SELECT id FROM t WHERE id > 10');
      assert.equal(none.rowCount, 0);
      const returning = await db.query("UPDATE t SET note = 'x' WHERE id <= 2 RETURNING id");
      assert.equal(returning.rowCount, 2);
      const updated = await db.query("UPDATE t SET note = 'y' WHERE id = 3");
      assert.equal(updated.rowCount, 1);
      const cte = await db.query(
        "WITH moved AS (UPDATE t SET note = 'z' RETURNING id) SELECT count(*)::int AS n FROM moved",
      );
      assert.equal(cte.rowCount, 1);
      assert.equal(cte.rows[0]!.n, 3);
      assert.equal((await db.query('DELETE FROM t WHERE id > 10')).rowCount, 0);
      await db.query('DELETE FROM t');
    });

    it("keeps Postgres's error fields (code, constraint) on a failed statement", async () => {
      await db.query('INSERT INTO t (id) VALUES (1)');
      await assert.rejects(db.query('INSERT INTO t (id) VALUES (1)'), (error: unknown) => {
        const e = error as { code?: string; constraint?: string };
        assert.equal(e.code, '23505');
        assert.equal(e.constraint, 't_pkey');
        return true;
      });
      await db.query('DELETE FROM t');
    });

    it('rolls a transaction back when its function throws, and commits when it resolves', async () => {
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.query('INSERT INTO t (id) VALUES (10)');
          throw new Error('changed my mind');
        }),
        /changed my mind/,
      );
      assert.equal((await db.query('SELECT 1 FROM t WHERE id = 10')).rowCount, 0);
      const value = await db.transaction(async (tx) => {
        await tx.query('INSERT INTO t (id) VALUES (11)');
        return 'kept';
      });
      assert.equal(value, 'kept');
      assert.equal((await db.query('SELECT 1 FROM t WHERE id = 11')).rowCount, 1);
      await db.query('DELETE FROM t');
    });

    it('leaves the database usable after a script fails inside its own BEGIN ... COMMIT', async () => {
      await assert.rejects(db.exec('BEGIN; INSERT INTO t (id) VALUES (20); SELECT 1/0; COMMIT;'));
      assert.equal((await db.query('SELECT 1 FROM t WHERE id = 20')).rowCount, 0);
      await db.query('INSERT INTO t (id) VALUES (21)');
      assert.equal((await db.query('SELECT 1 FROM t WHERE id = 21')).rowCount, 1);
      await db.query('DELETE FROM t');
    });

    it('keeps statements from outside a transaction out of it, even while it waits', async () => {
      let outside: Promise<unknown> | undefined;
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.query('INSERT INTO t (id) VALUES (30)');
          // Issued while the transaction is open; it must neither join it nor be rolled back with it.
          outside = db.query('INSERT INTO t (id) VALUES (31)');
          await new Promise((resolve) => setTimeout(resolve, 50));
          await tx.query('INSERT INTO t (id) VALUES (32)');
          throw new Error('roll back');
        }),
        /roll back/,
      );
      await outside;
      const rows = await db.query<{ id: number }>('SELECT id FROM t ORDER BY id');
      assert.deepEqual(
        rows.rows.map((r) => r.id),
        [31],
      );
      await db.query('DELETE FROM t');
    });

    it('prepares the statements it reuses, and prepares again after a table changes shape', async () => {
      await db.exec('CREATE TABLE shape (id int PRIMARY KEY, a text)');
      await db.query('INSERT INTO shape VALUES (1, $1)', ['x']);
      const read = () =>
        db.withPriority('interactive', () => db.query('SELECT * FROM shape WHERE id = $1', [1]));
      for (let i = 0; i < 6; i++) assert.deepEqual((await read()).rows, [{ id: 1, a: 'x' }]);
      const prepared = await db.withPriority('interactive', () =>
        db.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements'),
      );
      assert.ok(
        prepared.rows.some((r) => r.statement === 'SELECT * FROM shape WHERE id = $1'),
        JSON.stringify(prepared.rows),
      );
      await db.exec('ALTER TABLE shape ADD COLUMN b int');
      assert.deepEqual((await read()).rows, [{ id: 1, a: 'x', b: null }]);
      assert.deepEqual((await read()).rows, [{ id: 1, a: 'x', b: null }]);
      await db.exec('DROP TABLE shape');
    });

    it('refuses a statement through a transaction that has ended', async () => {
      let kept: { query(sql: string): Promise<unknown> } | undefined;
      await db.transaction(async (tx) => {
        kept = tx;
      });
      await assert.rejects(kept!.query('SELECT 1'));
    });
  });
}

describe('the server database pool', { skip: !process.env.TEST_DATABASE_URL }, () => {
  it('gives interactive statements connections of their own, free while every other one is busy', async () => {
    const scratch = await createEmptyServerDatabase(process.env.TEST_DATABASE_URL!);
    const db = await openServerDatabase({ url: scratch.url, max: 2 });
    try {
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const busy = [1, 2].map(() => db.transaction(async (tx) => tx.query('SELECT 1').then(() => held)));
      await new Promise((resolve) => setTimeout(resolve, 50));
      let normalDone = false;
      const normal = db.query('SELECT 1').then(() => {
        normalDone = true;
      });
      const interactive = await db.withPriority('interactive', () =>
        db.transaction((tx) => tx.query<{ n: number }>('SELECT 2 AS n')),
      );
      assert.equal(interactive.rows[0]!.n, 2);
      assert.equal(
        (await db.withPriority('interactive', () => db.query<{ n: number }>('SELECT 3 AS n'))).rows[0]!.n,
        3,
      );
      assert.equal(normalDone, false, 'the normal statement still waits for a connection');
      release();
      await Promise.all([...busy, normal]);
      assert.equal(normalDone, true);
    } finally {
      await db.close();
      await scratch.drop();
    }
  });
});

describe('the embedded database session', () => {
  let db: Database;
  before(async () => {
    db = await openEmbeddedDatabase();
    await db.exec(TABLE);
  });
  after(() => db.close());

  it('serves waiting work by priority, then in arrival order, and never inside a transaction', async () => {
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const busy = db.withPriority('background', () =>
      db.transaction(async (tx) => {
        await tx.query('SELECT 1');
        await held;
        order.push('transaction');
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    const queued = [
      db.withPriority('background', () => db.query('SELECT 1').then(() => order.push('background 1'))),
      db.query('SELECT 1').then(() => order.push('normal')),
      db.withPriority('background', () => db.query('SELECT 1').then(() => order.push('background 2'))),
      db.withPriority('interactive', () =>
        db.transaction((tx) => tx.query('SELECT 1')).then(() => order.push('interactive')),
      ),
    ];
    release();
    await Promise.all([busy, ...queued]);
    assert.deepEqual(order, ['transaction', 'interactive', 'normal', 'background 1', 'background 2']);
  });

  it('refuses a parameter that cannot be sent to the database thread, and carries on', async () => {
    await assert.rejects(db.query('SELECT $1::text AS v', [() => 'a function']));
    const after = await db.query<{ v: string }>('SELECT $1::text AS v', ['fine']);
    assert.equal(after.rows[0]!.v, 'fine');
  });

  it('gives statements issued inside withPriority, however deep, that priority', async () => {
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const busy = db.transaction(async () => held);
    const deep = async (label: string) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await db.query('SELECT 1');
      order.push(label);
    };
    const queued = [db.withPriority('background', () => deep('background'))];
    await new Promise((resolve) => setTimeout(resolve, 10));
    queued.push(db.withPriority('interactive', () => deep('interactive')));
    await new Promise((resolve) => setTimeout(resolve, 10));
    release();
    await Promise.all([busy, ...queued]);
    assert.deepEqual(order, ['interactive', 'background']);
  });

  it("runs the job queue's repeated parameterless statements from the statement cache, and scripts as scripts", async () => {
    if (db.native.kind !== 'pglite') throw new Error('expected the embedded database');
    // As pg-boss's PGlite adapter sees the session.
    const queue = db.native.pglite as { exec(sql: string): Promise<{ rows: unknown[] }[]> };
    const prepared = async (text: string) =>
      (
        await db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = $1',
          [text],
        )
      ).rows[0]!.n;
    const fetch = "SELECT 'fetch;ed' AS label, 41 + 1 AS answer";
    // A semicolon in a literal makes it look like a script: run as one, never cached, still right.
    assert.deepEqual((await queue.exec(fetch))[0]!.rows, [{ label: 'fetch;ed', answer: 42 }]);
    assert.equal(await prepared(fetch), 0);
    const poll = 'SELECT 7 AS jobs;';
    for (let i = 0; i < 3; i++) assert.deepEqual(await queue.exec(poll), [{ rows: [{ jobs: 7 }] }]);
    // Seen once, it ran as a script; from the second time on, as the cached named statement.
    assert.equal(await prepared(poll), 1);
    const script =
      'CREATE TEMP TABLE queue_script (n int); INSERT INTO queue_script VALUES (1), (2) RETURNING n';
    const results = await queue.exec(script);
    assert.deepEqual(
      results.map((r) => r.rows),
      [[], [{ n: 1 }, { n: 2 }]],
    );
    assert.equal(await prepared(script), 0);
  });
});
