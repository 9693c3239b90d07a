import type { Database } from '../../src/db/database.ts';

/**
 * The postings' primary key (term, chunk_id) INCLUDE (tf, chunk_length), from migration 0006,
 * which the portable BM25 reads posting lists from. Keeping it while a bulk load inserts about a
 * hundred postings per chunk costs more than building it once at the end: on the ingest bench
 * (1,938 chunks, 300 files) 497 -> 556 chunks/s with it dropped and rebuilt. A bulk load of new
 * documents only drops it: replacing or removing documents deletes their postings, which needs the
 * key to find them.
 */

const KEY = 'kb_postings_pkey';

/** Drops the key; returns whether there was one. */
export async function dropPostingsKey(db: Database): Promise<boolean> {
  if (!(await hasPostingsKey(db))) return false;
  await db.exec(`ALTER TABLE kb_postings DROP CONSTRAINT ${KEY}`);
  return true;
}

/**
 * Builds the key again if it is missing: at the end of a bulk load, and when retrieval starts (a
 * load that died half-way left it dropped; searches stay exact meanwhile, only slower). Returns
 * whether it built it.
 */
export async function restorePostingsKey(db: Database): Promise<boolean> {
  if (await hasPostingsKey(db)) return false;
  // Migration 0006's key, repeated here (a migration cannot import it).
  await db.exec(
    `ALTER TABLE kb_postings ADD CONSTRAINT ${KEY} PRIMARY KEY (term, chunk_id) INCLUDE (tf, chunk_length)`,
  );
  return true;
}

async function hasPostingsKey(db: Database): Promise<boolean> {
  const { rows } = await db.query<{ present: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = $1 AND conrelid = 'kb_postings'::regclass) AS present`,
    [KEY],
  );
  return rows[0]?.present === true;
}
