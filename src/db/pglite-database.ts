import path from 'node:path';
import { SluiceError } from '../errors.ts';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.ts';
import type { Database, Queryable, QueryOptions, QueryResult, StatementPriority } from './database.ts';
import { type PgliteThread, startPgliteThread } from './pglite-thread-client.ts';
import { createSessionScheduler } from './session-scheduler.ts';

export interface EmbeddedDatabaseOptions {
  /** Sluice's data directory; Postgres files live in its `pgdata` folder. Absent: in memory. */
  dataDir?: string;
  /** A dumped data directory to start from (test templates). */
  loadDataDir?: Blob;
}

/**
 * The embedded database: PGlite, in a worker thread of its own (src/db/pglite-thread.ts), because
 * PGlite runs Postgres synchronously on the calling thread and would otherwise stall the event
 * loop that acknowledges Slack while workers query. PGlite is one session; every statement,
 * script and transaction takes it in turn through the session scheduler, by priority.
 */
export async function openEmbeddedDatabase(options: EmbeddedDatabaseOptions = {}): Promise<Database> {
  let lock: DataDirLock | undefined;
  if (options.dataDir) lock = acquireDataDirLock(options.dataDir);
  const pgDataDir = options.dataDir ? path.join(options.dataDir, 'pgdata') : undefined;
  let thread: PgliteThread;
  try {
    thread = await startPgliteThread({
      ...(pgDataDir ? { dataDir: pgDataDir } : {}),
      ...(options.loadDataDir ? { loadDataDir: await options.loadDataDir.arrayBuffer() } : {}),
    });
  } catch (error) {
    lock?.release();
    throw new SluiceError(
      'database_unavailable',
      `could not open the embedded database in ${pgDataDir ?? 'memory'}: ${(error as Error).message}; if the directory is damaged, move it aside and start again`,
      { cause: error },
    );
  }
  return new EmbeddedDatabase(thread, pgDataDir ?? 'memory://', lock);
}

type QueryReply = { rows: unknown[]; rowCount: number };

class EmbeddedDatabase implements Database {
  readonly kind = 'embedded' as const;
  readonly native;
  readonly location: string;
  readonly #thread: PgliteThread;
  readonly #lock: DataDirLock | undefined;
  readonly #session = createSessionScheduler();
  #closed = false;

  constructor(thread: PgliteThread, location: string, lock: DataDirLock | undefined) {
    this.#thread = thread;
    this.#lock = lock;
    this.location = location;
    const session = this.#session;
    const repeatedStatement = createRepeatDetector();
    // What the job queue's PGlite adapter (pg-boss `PGliteLike`) sees: the same session, in turn.
    const scheduled = {
      query: (sql: string, params: unknown[] = []) =>
        session.run(() => thread.send<QueryReply>({ op: 'query', sql, params })),
      exec: async (sql: string) => {
        // pg-boss sends its parameterless statements here, the job fetch every worker polls with
        // among them. One statement seen before goes through the statement cache, parsed and
        // planned once (src/db/pglite-statements.ts); a script, or a text not seen before, as a
        // script: a text used once would only take a place in the cache.
        if (repeatedStatement(sql)) {
          const { rows } = await session.run(() => thread.send<QueryReply>({ op: 'query', sql, params: [] }));
          return [{ rows }];
        }
        const results = await session.run(() => thread.send<unknown[][]>({ op: 'exec', sql }));
        return results.map((rows) => ({ rows }));
      },
    };
    this.native = { kind: 'pglite' as const, pglite: scheduled };
  }

  query<Row = Record<string, unknown>>(
    sql: string,
    params: readonly unknown[] = [],
    options: QueryOptions = {},
  ): Promise<QueryResult<Row>> {
    return this.#session.run(() => this.#send<Row>(sql, params, false, options));
  }

  async exec(sql: string): Promise<void> {
    await this.#session.run(() => this.#thread.send({ op: 'exec', sql }));
  }

  /**
   * The session is this transaction's from BEGIN to COMMIT or ROLLBACK: nothing else runs in
   * between. BEGIN goes with the first statement, so a transaction that only reads or writes
   * once costs two round trips to the database's thread.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.#session.run(async () => {
      const t: { state: 'idle' | 'open' | 'ended' } = { state: 'idle' };
      const begin = () => {
        if (t.state === 'ended') throw new Error('this transaction has already ended');
        const first = t.state === 'idle';
        t.state = 'open';
        return first;
      };
      const tx: Queryable = {
        query: async <Row>(sql: string, params: readonly unknown[] = [], options: QueryOptions = {}) =>
          this.#send<Row>(sql, params, begin(), options),
        exec: async (sql: string) => {
          if (begin()) await this.#send('BEGIN', []);
          await this.#thread.send({ op: 'exec', sql });
        },
      };
      try {
        const result = await fn(tx);
        if (t.state === 'open') await this.#send('COMMIT', []);
        t.state = 'ended';
        return result;
      } catch (error) {
        if (t.state === 'open') await this.#send('ROLLBACK', []).catch(() => {});
        t.state = 'ended';
        throw error;
      }
    });
  }

  withPriority<T>(priority: StatementPriority, fn: () => Promise<T>): Promise<T> {
    return this.#session.withPriority(priority, fn);
  }

  /** A tarball of the whole data directory (used to make test templates). */
  async dump(): Promise<Blob> {
    const bytes = await this.#session.run(() => this.#thread.send<ArrayBuffer>({ op: 'dump' }));
    return new Blob([bytes]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      // After the statements already waiting, so none of them is cut off half-way.
      await this.#session.withPriority('background', () => this.#session.run(() => this.#thread.close()));
    } finally {
      this.#lock?.release();
    }
  }

  #send<Row>(
    sql: string,
    params: readonly unknown[],
    begin = false,
    options: QueryOptions = {},
  ): Promise<QueryResult<Row>> {
    return this.#thread.send<QueryResult<Row>>({
      op: 'query',
      sql,
      params: [...params],
      ...(begin ? { begin } : {}),
      ...(options.planEachTime ? { planEachTime: true } : {}),
    });
  }
}

/**
 * True for a single statement (no semicolon but a trailing one) whose text was seen before. A
 * semicolon inside a string literal makes a statement look like a script: it then runs as one,
 * which is always correct.
 */
function createRepeatDetector(capacity = 512): (sql: string) => boolean {
  const seen = new Set<string>();
  return (sql) => {
    const body = sql.trimEnd();
    if (body.slice(0, -1).includes(';')) return false;
    if (seen.has(sql)) return true;
    if (seen.size >= capacity) seen.clear();
    seen.add(sql);
    return false;
  };
}

export function dumpEmbeddedDatabase(db: Database): Promise<Blob> {
  if (!(db instanceof EmbeddedDatabase)) throw new Error('only an embedded database can be dumped');
  return db.dump();
}
