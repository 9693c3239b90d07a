import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { defaultMigrationsDir, migrate, migrationStatus, readMigrations } from '../../src/db/migrate.ts';
import { openServerDatabase } from '../../src/db/pg-database.ts';
import { openEmbeddedDatabase } from '../../src/db/pglite-database.ts';
import { SluiceError } from '../../src/errors.ts';
import { createEmptyServerDatabase } from '../support/test-database.ts';

const allFiles = readMigrations().map((m) => m.file);

/** A private copy of the migrations folder that a test may change. */
function copyMigrations(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-migrations-'));
  for (const file of fs.readdirSync(defaultMigrationsDir)) {
    fs.copyFileSync(path.join(defaultMigrationsDir, file), path.join(dir, file));
  }
  return dir;
}

async function rejectsWith(promise: Promise<unknown>, code: string, pattern: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SluiceError, `expected a SluiceError, got ${error}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('migrations on a fresh embedded database', () => {
  let db: Database;
  before(async () => {
    db = await openEmbeddedDatabase();
  });
  after(() => db.close());

  it('applies every file in order on a fresh database', async () => {
    const result = await migrate(db);
    assert.deepEqual(result.applied, allFiles);
    const states = await migrationStatus(db);
    assert.ok(states.every((s) => s.state === 'applied'));
  });

  it('applies nothing when run again', async () => {
    const result = await migrate(db);
    assert.deepEqual(result.applied, []);
    assert.equal(result.alreadyApplied, allFiles.length);
  });

  it('refuses a file changed after it was applied, naming it', async () => {
    const dir = copyMigrations();
    const first = allFiles[0]!;
    fs.appendFileSync(path.join(dir, first), '\n-- an edit\n');
    await rejectsWith(migrate(db, dir), 'migration_checksum_mismatch', new RegExp(`${first} was changed`));
    assert.equal((await migrationStatus(db, dir))[0]!.state, 'changed');
  });

  it('refuses to run when the database has a migration this version does not know', async () => {
    const dir = copyMigrations();
    fs.rmSync(path.join(dir, allFiles.at(-1)!));
    await rejectsWith(migrate(db, dir), 'migration_failed', /does not know/);
  });

  it('rolls back a failing migration completely and records nothing', async () => {
    const dir = copyMigrations();
    fs.writeFileSync(
      path.join(dir, '0999_broken.sql'),
      'CREATE TABLE half_done (id int);\nSELECT no_such_column FROM half_done;\n',
    );
    await rejectsWith(migrate(db, dir), 'migration_failed', /0999_broken\.sql failed/);
    const table = await db.query<{ t: string | null }>("SELECT to_regclass('half_done')::text AS t");
    assert.equal(table.rows[0]!.t, null);
    const ledger = await db.query('SELECT 1 FROM sluice_migrations WHERE id = 999');
    assert.equal(ledger.rows.length, 0);
  });

  it('rejects badly named and duplicate-numbered files', async () => {
    const dir = copyMigrations();
    fs.writeFileSync(path.join(dir, '12_short.sql'), 'SELECT 1;');
    assert.throws(() => readMigrations(dir), /not named NNNN_slug\.sql/);
    fs.rmSync(path.join(dir, '12_short.sql'));
    fs.writeFileSync(path.join(dir, '0001_twin.sql'), 'SELECT 1;');
    assert.throws(() => readMigrations(dir), /share the number 1/);
  });
});

const serverUrl = process.env.TEST_DATABASE_URL;

describe('migrations on a Postgres server', {
  skip: serverUrl ? false : 'TEST_DATABASE_URL is not set',
}, () => {
  it('two racing migrators apply each file exactly once', async () => {
    const scratch = await createEmptyServerDatabase(serverUrl!);
    const a = await openServerDatabase({ url: scratch.url });
    const b = await openServerDatabase({ url: scratch.url });
    try {
      const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
      assert.equal(ra.applied.length + rb.applied.length, allFiles.length);
      assert.equal(ra.applied.length + ra.alreadyApplied, allFiles.length);
      assert.equal(rb.applied.length + rb.alreadyApplied, allFiles.length);
      const ledger = await a.query<{ n: number }>('SELECT count(*)::int8 AS n FROM sluice_migrations');
      assert.equal(ledger.rows[0]!.n, allFiles.length);
    } finally {
      await a.close();
      await b.close();
      await scratch.drop();
    }
  });

  it('starts in keyword-only mode where pgvector is not installed', async () => {
    const scratch = await createEmptyServerDatabase(serverUrl!);
    const db = await openServerDatabase({ url: scratch.url });
    try {
      await migrate(db);
      const hasVector = await db.query<{ n: number }>(
        "SELECT count(*)::int8 AS n FROM pg_available_extensions WHERE name = 'vector'",
      );
      const { detectCapabilities } = await import('../../src/db/capabilities.ts');
      const capabilities = await detectCapabilities(db);
      assert.equal(capabilities.retrievalMode, hasVector.rows[0]!.n > 0 ? 'hybrid' : 'keyword-only');
    } finally {
      await db.close();
      await scratch.drop();
    }
  });
});
