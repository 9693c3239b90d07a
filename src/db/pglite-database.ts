import path from 'node:path';
import { type Extensions, PGlite, type Transaction } from '@electric-sql/pglite';
import { pg_textsearch } from '@electric-sql/pglite-pg_textsearch';
import { vector } from '@electric-sql/pglite-pgvector';
import { SluiceError } from '../errors.ts';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.ts';
import {
  type Database,
  INT8_OID,
  NUMERIC_OID,
  parseNumber,
  type Queryable,
  type QueryResult,
} from './database.ts';

export interface EmbeddedDatabaseOptions {
  /** Sluice's data directory; Postgres files live in its `pgdata` folder. Absent: in memory. */
  dataDir?: string;
  /** A dumped data directory to start from (test templates). */
  loadDataDir?: Blob;
  /** Also load the pg_textsearch extension (benchmarks compare against it). */
  withTextSearch?: boolean;
}

const parsers = { [INT8_OID]: parseNumber, [NUMERIC_OID]: parseNumber };

export async function openEmbeddedDatabase(options: EmbeddedDatabaseOptions = {}): Promise<Database> {
  let lock: DataDirLock | undefined;
  if (options.dataDir) lock = acquireDataDirLock(options.dataDir);
  const pgDataDir = options.dataDir ? path.join(options.dataDir, 'pgdata') : undefined;
  let pglite: PGlite;
  try {
    // Every extension the directory may use is passed on every open: PGlite cannot load one later.
    const extensions: Extensions = options.withTextSearch ? { vector, pg_textsearch } : { vector };
    pglite = await PGlite.create({
      ...(pgDataDir ? { dataDir: pgDataDir } : {}),
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
      extensions,
      parsers,
    });
  } catch (error) {
    lock?.release();
    throw new SluiceError(
      'database_unavailable',
      `could not open the embedded database in ${pgDataDir ?? 'memory'}: ${(error as Error).message}; if the directory is damaged, move it aside and start again`,
      { cause: error },
    );
  }
  return new EmbeddedDatabase(pglite, pgDataDir ?? 'memory://', lock);
}

function wrap(q: PGlite | Transaction): Queryable {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const result = await q.query<Row>(sql, params as unknown[]);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await q.exec(sql);
    },
  };
}

class EmbeddedDatabase implements Database {
  readonly kind = 'embedded' as const;
  readonly native;
  readonly #pglite: PGlite;
  readonly #lock: DataDirLock | undefined;
  readonly #q: Queryable;
  readonly location: string;

  constructor(pglite: PGlite, location: string, lock: DataDirLock | undefined) {
    this.#pglite = pglite;
    this.#lock = lock;
    this.#q = wrap(pglite);
    this.location = location;
    this.native = { kind: 'pglite' as const, pglite };
  }

  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    return this.#q.query<Row>(sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.#q.exec(sql);
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.#pglite.transaction((tx) => fn(wrap(tx)));
  }

  /** A tarball of the whole data directory (used to make test templates). */
  dump(): Promise<Blob> {
    return this.#pglite.dumpDataDir('none');
  }

  async close(): Promise<void> {
    try {
      if (!this.#pglite.closed) await this.#pglite.close();
    } finally {
      this.#lock?.release();
    }
  }
}

export function dumpEmbeddedDatabase(db: Database): Promise<Blob> {
  if (!(db instanceof EmbeddedDatabase)) throw new Error('only an embedded database can be dumped');
  return db.dump();
}
