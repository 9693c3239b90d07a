import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Database } from '../../src/db/database.ts';
import { defaultMigrationsDir, migrate, readMigrations } from '../../src/db/migrate.ts';
import { openServerDatabase } from '../../src/db/pg-database.ts';
import { dumpEmbeddedDatabase, openEmbeddedDatabase } from '../../src/db/pglite-database.ts';

/**
 * A fresh, migrated database per test. Embedded ones load a prepared template (a dumped data
 * directory, made once per set of migrations) in about half a second instead of the 4-9 s a new
 * PGlite directory takes. Server ones get their own database on TEST_DATABASE_URL's server.
 */

export interface DatabaseTarget {
  name: 'embedded' | 'server';
  create(): Promise<Database>;
}

/** The embedded target always; the server target too when TEST_DATABASE_URL is set. */
export function databaseTargets(): DatabaseTarget[] {
  const targets: DatabaseTarget[] = [{ name: 'embedded', create: createEmbeddedTestDatabase }];
  const url = process.env.TEST_DATABASE_URL;
  if (url) targets.push({ name: 'server', create: () => createServerTestDatabase(url) });
  return targets;
}

function templateFile(): string {
  const hash = createHash('sha256');
  for (const m of readMigrations(defaultMigrationsDir)) hash.update(`${m.file}:${m.checksum}\n`);
  hash.update(fs.readFileSync(path.resolve('node_modules/@electric-sql/pglite/package.json')));
  return path.join(os.tmpdir(), `sluice-test-template-${hash.digest('hex').slice(0, 16)}.tar`);
}

let templatePromise: Promise<Blob> | undefined;

async function loadTemplate(): Promise<Blob> {
  const file = templateFile();
  if (!fs.existsSync(file)) {
    const db = await openEmbeddedDatabase();
    try {
      await migrate(db);
      const blob = await dumpEmbeddedDatabase(db);
      // Write then rename, so a test process running in parallel never reads half a template.
      const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
      fs.writeFileSync(tmp, Buffer.from(await blob.arrayBuffer()));
      fs.renameSync(tmp, file);
    } finally {
      await db.close();
    }
  }
  return new Blob([fs.readFileSync(file)]);
}

export async function createEmbeddedTestDatabase(): Promise<Database> {
  templatePromise ??= loadTemplate();
  const db = await openEmbeddedDatabase({ loadDataDir: await templatePromise });
  // Migrations added since the template was made (none, normally) are applied here.
  await migrate(db);
  return db;
}

/** A new database on the server, migrated, dropped again when closed. */
export async function createServerTestDatabase(url: string): Promise<Database> {
  const scratch = await createEmptyServerDatabase(url);
  const db = await openServerDatabase({ url: scratch.url, max: 5 });
  await migrate(db);
  const close = db.close.bind(db);
  return Object.assign(db, {
    async close() {
      await close();
      await scratch.drop();
    },
  });
}

/** A URL for a brand-new, empty database on the server (for migration tests). */
export async function createEmptyServerDatabase(
  url: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `sluice_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const target = new URL(url);
  target.pathname = `/${name}`;
  return {
    url: target.toString(),
    async drop() {
      const dropper = new pg.Client({ connectionString: url });
      await dropper.connect();
      try {
        await dropDatabase(dropper, name);
      } finally {
        await dropper.end();
      }
    },
  };
}

/** insufficient_privilege: FORCE may not signal a backend of another role (a restricted app role). */
const INSUFFICIENT_PRIVILEGE = '42501';
/** object_in_use: someone is still connected. */
const OBJECT_IN_USE = '55006';

/**
 * Drops a test database. FORCE ends the sessions still connected, but only where this role may
 * signal them; when it may not, the test's own clients are closing anyway, so wait for them to
 * go and drop without FORCE.
 */
async function dropDatabase(client: pg.Client, name: string, waitMs = 15_000): Promise<void> {
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== INSUFFICIENT_PRIVILEGE) throw error;
  }
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await client.query(`DROP DATABASE IF EXISTS ${name}`);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== OBJECT_IN_USE || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
