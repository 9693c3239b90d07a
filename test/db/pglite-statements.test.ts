import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { INT8_OID, NUMERIC_OID, parseNumber } from '../../src/db/database.ts';
import { createStatementRunner } from '../../src/db/pglite-statements.ts';

describe('prepared statements on the embedded database', () => {
  let pglite: PGlite;
  before(async () => {
    pglite = await PGlite.create({ parsers: { [INT8_OID]: parseNumber, [NUMERIC_OID]: parseNumber } });
    await pglite.exec(`CREATE TABLE item (id int8 PRIMARY KEY, name text NOT NULL, tags text[], doc jsonb,
      at timestamptz, amount numeric)`);
  });
  after(() => pglite.close());

  const preparedTexts = async () =>
    (await pglite.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements')).rows.map(
      (r) => r.statement,
    );

  it('returns what PGlite query returns, for every parameter and column type', async () => {
    const runner = createStatementRunner(pglite);
    const insert = `INSERT INTO item (id, name, tags, doc, at, amount) VALUES ($1, $2, $3, $4::jsonb, $5, $6)
      RETURNING *`;
    const at = new Date('2026-12-07T03:04:05.678Z');
    const mine = await runner.query(insert, [
      1,
      'one',
      ['a', 'b"c'],
      JSON.stringify({ k: [1, null] }),
      at,
      '1.5',
    ]);
    const theirs = await pglite.query(insert, [
      2,
      'one',
      ['a', 'b"c'],
      JSON.stringify({ k: [1, null] }),
      at,
      '1.5',
    ]);
    assert.deepEqual(mine.rows, [{ ...(theirs.rows[0] as object), id: 1 }]);
    assert.deepEqual(mine.rows[0], {
      id: 1,
      name: 'one',
      tags: ['a', 'b"c'],
      doc: { k: [1, null] },
      at,
      amount: 1.5,
    });
    assert.deepEqual(mine.fields, theirs.fields);
    assert.equal(mine.affectedRows, 1);
    const update = await runner.query('UPDATE item SET name = $1 WHERE id = ANY($2::int8[])', ['x', [1, 2]]);
    assert.equal(update.affectedRows, 2);
    assert.deepEqual(update.fields, []);
  });

  it('prepares each text once and reuses it', async () => {
    const runner = createStatementRunner(pglite);
    const sql = 'SELECT name FROM item WHERE id = $1';
    for (let i = 0; i < 8; i++) assert.deepEqual((await runner.query(sql, [1])).rows, [{ name: 'x' }]);
    assert.equal((await preparedTexts()).filter((t) => t === sql).length, 1);
  });

  it('plans a statement afresh when asked, without preparing it', async () => {
    const runner = createStatementRunner(pglite);
    const sql = 'SELECT count(*) AS n, max(at) AS at FROM item WHERE name = $1 AND id = ANY($2::int8[])';
    for (let i = 0; i < 3; i++) {
      assert.deepEqual((await runner.query(sql, ['x', [1, 2]], { planEachTime: true })).rows, [
        { n: 2, at: new Date('2026-12-07T03:04:05.678Z') },
      ]);
    }
    assert.deepEqual((await runner.query(sql, ['y', [1]], { planEachTime: true })).rows, [
      { n: 0, at: null },
    ]);
    assert.equal((await preparedTexts()).includes(sql), false);
    await assert.rejects(runner.query('SELECT nope FROM item WHERE id = $1', [1], { planEachTime: true }), {
      code: '42703',
      query: 'SELECT nope FROM item WHERE id = $1',
    });
  });

  it('closes the least recently used statement beyond its capacity', async () => {
    const runner = createStatementRunner(pglite, { capacity: 2 });
    const texts = ['SELECT 1 AS a', 'SELECT 2 AS b', 'SELECT 3 AS c'];
    await runner.query(texts[0]!, []);
    await runner.query(texts[1]!, []);
    await runner.query(texts[0]!, []); // used again: now the second is the oldest
    await runner.query(texts[2]!, []);
    const kept = await preparedTexts();
    assert.equal(kept.includes(texts[0]!), true);
    assert.equal(kept.includes(texts[1]!), false);
    assert.equal(kept.includes(texts[2]!), true);
    assert.deepEqual((await runner.query(texts[1]!, [])).rows, [{ b: 2 }]);
  });

  it('reports errors with their Postgres code and leaves the session usable', async () => {
    const runner = createStatementRunner(pglite);
    const insert = 'INSERT INTO item (id, name) VALUES ($1, $2)';
    await assert.rejects(runner.query(insert, [1, 'dup']), (e: { code?: string; query?: string }) => {
      assert.equal(e.code, '23505');
      assert.equal(e.query, insert);
      return true;
    });
    await runner.query('BEGIN', []);
    await assert.rejects(runner.query(insert, [1, 'dup']), { code: '23505' });
    await assert.rejects(runner.query(insert, [3, 'after']), { code: '25P02' });
    await runner.query('ROLLBACK', []);
    await runner.query(insert, [3, 'after']);
    assert.deepEqual((await runner.query('SELECT name FROM item WHERE id = $1', [3])).rows, [
      { name: 'after' },
    ]);
  });

  it('prepares again after a table changes shape, except inside a transaction', async () => {
    const runner = createStatementRunner(pglite);
    const sql = 'SELECT * FROM item WHERE id = $1';
    assert.equal(Object.keys((await runner.query(sql, [3])).rows[0] as object).length, 6);
    await pglite.exec('ALTER TABLE item ADD COLUMN extra int');
    assert.equal(Object.keys((await runner.query(sql, [3])).rows[0] as object).length, 7);
    await pglite.exec('ALTER TABLE item ADD COLUMN more int');
    await runner.query('BEGIN', []);
    await assert.rejects(runner.query(sql, [3]), { code: '0A000' });
    await runner.query('ROLLBACK', []);
    assert.equal(Object.keys((await runner.query(sql, [3])).rows[0] as object).length, 8);
  });

  it('prepares again when a script dropped the session statements', async () => {
    const runner = createStatementRunner(pglite);
    const sql = 'SELECT name FROM item WHERE id = $1 AND true';
    await runner.query(sql, [3]);
    await pglite.exec('DEALLOCATE ALL');
    assert.deepEqual((await runner.query(sql, [3])).rows, [{ name: 'after' }]);
  });
});
