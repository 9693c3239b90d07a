import pg from 'pg';
import { SluiceError } from '../errors.ts';
import {
  type Database,
  INT8_OID,
  NUMERIC_OID,
  parseNumber,
  type Queryable,
  type QueryResult,
  type StatementPriority,
} from './database.ts';

export interface ServerDatabaseOptions {
  url: string;
  /** Connections in the pool; several replicas share the server's limit. */
  max?: number;
  applicationName?: string;
}

const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return parseNumber;
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
} as pg.CustomTypesConfig;

export async function openServerDatabase(options: ServerDatabaseOptions): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'sluice',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    types: typeParsers,
  });
  // An idle client that loses its connection emits here; without a listener the process would crash.
  pool.on('error', () => {});
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => {});
    throw new SluiceError(
      'database_unavailable',
      `could not connect to ${safeLocation(options.url)}: ${(error as Error).message}; check DATABASE_URL and that the server is running`,
      { cause: error, retryable: true },
    );
  }
  return new ServerDatabase(pool, safeLocation(options.url));
}

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

function wrap(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const result = await client.query(sql, params as unknown[]);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      // Without parameters pg uses the simple protocol, which accepts several statements.
      await client.query(sql);
    },
  };
}

class ServerDatabase implements Database {
  readonly kind = 'server' as const;
  readonly native;
  readonly location: string;
  readonly #pool: pg.Pool;
  readonly #q: Queryable;

  constructor(pool: pg.Pool, location: string) {
    this.#pool = pool;
    this.#q = wrap(pool);
    this.location = location;
    this.native = { kind: 'pool' as const, pool };
  }

  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    return this.#q.query<Row>(sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.#q.exec(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
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

  withPriority<T>(_priority: StatementPriority, fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
