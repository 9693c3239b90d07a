import type pg from 'pg';
import { fromPglite, type PGliteLike, type Db as PgBossDb } from 'pg-boss';
import type { Database, Queryable } from '../db/database.ts';

/**
 * pg-boss runs on the same database as everything else: through its PGlite adapter on the
 * embedded database (one session, shared; `native.pglite` goes through the database's session
 * scheduler, so pg-boss's statements take their turn by priority like ours), and through the
 * application's own pool on a server.
 */
export function pgBossDatabase(db: Database): { adapter: PgBossDb; backend: 'pglite' | 'postgres' } {
  if (db.native.kind === 'pglite') {
    return { adapter: fromPglite(db.native.pglite as PGliteLike), backend: 'pglite' };
  }
  const pool = db.native.pool as pg.Pool;
  return {
    adapter: { executeSql: (text: string, values?: unknown[]) => pool.query(text, values) },
    backend: 'postgres',
  };
}

/** A transaction of ours as a pg-boss database, so a job is enqueued atomically with our writes. */
export function pgBossTransaction(tx: Queryable): PgBossDb {
  return { executeSql: (text: string, values?: unknown[]) => tx.query(text, values ?? []) };
}
