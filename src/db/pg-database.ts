import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { SluiceError } from '../errors.ts';
import {
  type Database,
  INT8_OID,
  NUMERIC_OID,
  parseNumber,
  type Queryable,
  type QueryOptions,
  type QueryResult,
  type StatementPriority,
} from './database.ts';

export interface ServerDatabaseOptions {
  url: string;
  /** Connections in the pool; several replicas share the server's limit. */
  max?: number;
  /** Connections kept, on top of `max`, for `interactive` statements (default 2). */
  interactiveMax?: number;
  applicationName?: string;
}

const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return parseNumber;
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
} as pg.CustomTypesConfig;

export async function openServerDatabase(options: ServerDatabaseOptions): Promise<Database> {
  const settings = {
    connectionString: options.url,
    application_name: options.applicationName ?? 'sluice',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    types: typeParsers,
  };
  const pool = new pg.Pool({ ...settings, max: options.max ?? 10 });
  // Kept apart so a Slack ack's inbox write never waits for a connection behind busy workers.
  // One connection stays open (a new one would cost an ack a handshake) without keeping the
  // process alive.
  const interactive = new pg.Pool({
    ...settings,
    max: options.interactiveMax ?? 2,
    min: 1,
    allowExitOnIdle: true,
  });
  // An idle client that loses its connection emits here; without a listener the process would crash.
  pool.on('error', () => {});
  interactive.on('error', () => {});
  try {
    await Promise.all([pool.query('SELECT 1'), interactive.query('SELECT 1')]);
  } catch (error) {
    await Promise.all([pool.end().catch(() => {}), interactive.end().catch(() => {})]);
    throw new SluiceError(
      'database_unavailable',
      `could not connect to ${safeLocation(options.url)}: ${(error as Error).message}; check DATABASE_URL and that the server is running`,
      { cause: error, retryable: true },
    );
  }
  return new ServerDatabase(pool, interactive, safeLocation(options.url));
}

/** A prepared statement's name: the same text always gets the same name on every connection. */
function statementName(sql: string): string {
  return `sluice_${generation}_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
}

let generation = 0;

/** The URL without its password, for logs and `doctor`. */
export function safeLocation(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

function wrap(client: pg.Pool | pg.PoolClient, prepare = false): Queryable {
  return {
    async query<Row>(
      sql: string,
      params: readonly unknown[] = [],
      options: QueryOptions = {},
    ): Promise<QueryResult<Row>> {
      const values = params as unknown[];
      const result =
        prepare && !options.planEachTime
          ? await client.query({ name: statementName(sql), text: sql, values }).catch((error: unknown) => {
              // Prepared before a table changed shape (0A000): once more, unprepared, and under new
              // names from now on (a connection keeps what it prepared).
              if ((error as { code?: string }).code !== '0A000') throw error;
              generation++;
              return client.query(sql, values);
            })
          : await client.query(sql, values);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      // Without parameters pg uses the simple protocol, which accepts several statements.
      await client.query(sql);
    },
  };
}

/**
 * A pool serves statements as they come, so priorities do not order them; but `interactive` work
 * (what a person is waiting on) gets connections of its own, so it never queues for one.
 */
class ServerDatabase implements Database {
  readonly kind = 'server' as const;
  readonly native;
  readonly location: string;
  readonly #pool: pg.Pool;
  readonly #interactive: pg.Pool;
  readonly #priority = new AsyncLocalStorage<StatementPriority>();

  constructor(pool: pg.Pool, interactive: pg.Pool, location: string) {
    this.#pool = pool;
    this.#interactive = interactive;
    this.location = location;
    this.native = { kind: 'pool' as const, pool };
  }

  query<Row = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<Row>> {
    // The interactive connections serve a handful of statements (the inbox write a Slack ack waits
    // for): each is prepared once per connection, which saves parsing and planning it per request.
    const interactive = this.#priority.getStore() === 'interactive';
    return wrap(this.#poolNow(), interactive).query<Row>(sql, params, options);
  }

  exec(sql: string): Promise<void> {
    return wrap(this.#poolNow()).exec(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.#poolNow().connect();
    let ended = false;
    const inner = wrap(client);
    // Once released, the connection may be serving someone else: a late statement must not reach it.
    const refuse = () => Promise.reject(new Error('this transaction has already ended'));
    const tx: Queryable = {
      query: (sql, params) => (ended ? refuse() : inner.query(sql, params)),
      exec: (sql) => (ended ? refuse() : inner.exec(sql)),
    };
    try {
      await client.query('BEGIN');
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      ended = true;
      client.release();
    }
  }

  withPriority<T>(priority: StatementPriority, fn: () => Promise<T>): Promise<T> {
    return this.#priority.run(priority, fn);
  }

  async close(): Promise<void> {
    await Promise.all([this.#pool.end(), this.#interactive.end()]);
  }

  #poolNow(): pg.Pool {
    return this.#priority.getStore() === 'interactive' ? this.#interactive : this.#pool;
  }
}
