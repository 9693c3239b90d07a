import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SluiceError } from '../errors.ts';
import type { Database } from './database.ts';

/**
 * Numbered, append-only SQL migrations (`migrations/0001_slug.sql`). Each file runs in its own
 * transaction and is recorded with a checksum of its text. The transaction first takes a
 * transaction-scoped advisory lock, so migrators racing on one server run one after the other
 * and the loser finds the file already applied.
 */

export const defaultMigrationsDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../migrations',
);

/** Arbitrary constant identifying Sluice's migration lock among the server's advisory locks. */
const MIGRATION_LOCK_KEY = 7_406_215_901;

const fileNamePattern = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export interface MigrationFile {
  id: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

export interface MigrationState {
  id: number;
  name: string;
  state: 'applied' | 'pending' | 'changed' | 'unknown';
}

export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

export function readMigrations(dir: string = defaultMigrationsDir): MigrationFile[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const seen = new Map<number, string>();
  return files.map((file) => {
    const match = fileNamePattern.exec(file);
    if (!match) {
      throw new SluiceError(
        'migration_failed',
        `migration file ${file} is not named NNNN_slug.sql (four digits, underscore, lowercase slug); rename it`,
      );
    }
    const id = Number(match[1]);
    const clash = seen.get(id);
    if (clash)
      throw new SluiceError(
        'migration_failed',
        `migrations ${clash} and ${file} share the number ${id}; renumber one`,
      );
    seen.set(id, file);
    const sql = fs.readFileSync(path.join(dir, file), 'utf8');
    return { id, name: match[2]!, file, sql, checksum: checksumOf(sql) };
  });
}

const createLedger = `
  CREATE TABLE IF NOT EXISTS sluice_migrations (
    id         integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;

interface LedgerRow {
  id: number;
  name: string;
  checksum: string;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: number;
}

export async function migrate(db: Database, dir: string = defaultMigrationsDir): Promise<MigrateResult> {
  const migrations = readMigrations(dir);
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1::int8)', [MIGRATION_LOCK_KEY]);
    await tx.exec(createLedger);
  });
  const applied: string[] = [];
  let alreadyApplied = 0;
  const known = new Set(migrations.map((m) => m.id));
  const recorded = await db.query<LedgerRow>('SELECT id, name, checksum FROM sluice_migrations ORDER BY id');
  const unknown = recorded.rows.filter((r) => !known.has(r.id));
  if (unknown.length > 0) {
    throw new SluiceError(
      'migration_failed',
      `the database has migration ${unknown.map((r) => `${pad(r.id)}_${r.name}`).join(', ')} that this version of Sluice does not know; run the newer Sluice that applied it`,
    );
  }
  for (const m of migrations) {
    const ran = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1::int8)', [MIGRATION_LOCK_KEY]);
      const existing = await tx.query<LedgerRow>(
        'SELECT id, name, checksum FROM sluice_migrations WHERE id = $1',
        [m.id],
      );
      const row = existing.rows[0];
      if (row) {
        if (row.checksum !== m.checksum) throw changedError(m);
        return false;
      }
      try {
        await tx.exec(m.sql);
      } catch (error) {
        throw new SluiceError('migration_failed', `migration ${m.file} failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
      await tx.query('INSERT INTO sluice_migrations (id, name, checksum) VALUES ($1, $2, $3)', [
        m.id,
        m.name,
        m.checksum,
      ]);
      return true;
    });
    if (ran) applied.push(m.file);
    else alreadyApplied++;
  }
  return { applied, alreadyApplied };
}

/** What `doctor` and `/healthz` report: each migration's state, without changing anything. */
export async function migrationStatus(
  db: Database,
  dir: string = defaultMigrationsDir,
): Promise<MigrationState[]> {
  const migrations = readMigrations(dir);
  const ledger = await db.query<{ exists: boolean }>(
    "SELECT to_regclass('sluice_migrations') IS NOT NULL AS exists",
  );
  const recorded = ledger.rows[0]?.exists
    ? (await db.query<LedgerRow>('SELECT id, name, checksum FROM sluice_migrations')).rows
    : [];
  const byId = new Map(recorded.map((r) => [r.id, r]));
  const states: MigrationState[] = migrations.map((m) => {
    const row = byId.get(m.id);
    byId.delete(m.id);
    if (!row) return { id: m.id, name: m.name, state: 'pending' };
    return { id: m.id, name: m.name, state: row.checksum === m.checksum ? 'applied' : 'changed' };
  });
  for (const row of byId.values()) states.push({ id: row.id, name: row.name, state: 'unknown' });
  return states.sort((a, b) => a.id - b.id);
}

function changedError(m: MigrationFile): SluiceError {
  return new SluiceError(
    'migration_checksum_mismatch',
    `migration ${m.file} was changed after it was applied (checksum differs); migrations are append-only: restore the original file and put the change in a new migration`,
    { details: { file: m.file } },
  );
}

function pad(id: number): string {
  return String(id).padStart(4, '0');
}
