/**
 * The database port. Everything above `src/db` talks to Postgres through this narrow interface,
 * so the same SQL runs on the embedded PGlite database and on a Postgres server.
 *
 * Two facts shape it: PGlite is a single session (one statement per `query`, multi-statement SQL
 * through `exec`), and a failed statement inside a transaction aborts it, so `transaction`
 * always rolls back before rethrowing.
 */

export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * Plan the statement for these parameter values every time. By default the embedded database
   * keeps each SQL text prepared and Postgres may settle on a generic plan for it (fast for the
   * core's lookups and writes); a search whose best plan depends on its values (a LIMIT pushed
   * into an index, how common its terms are) asks for this. A server plans every statement.
   */
  planEachTime?: boolean;
}

export interface Queryable {
  /** One statement with `$1`-style parameters. */
  query<Row = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<Row>>;
  /** Several statements, no parameters (migrations, scripts). */
  exec(sql: string): Promise<void>;
}

export type DatabaseKind = 'embedded' | 'server';

/**
 * Which work goes first when statements wait for the database: `interactive` for what a person
 * is waiting on (the inbox write before a Slack ack), `background` for workers and the job
 * queue's own polling, `normal` for everything else.
 */
export type StatementPriority = 'interactive' | 'normal' | 'background';

/** The driver underneath, for the few libraries (the job queue) that need their own adapter. */
export type NativeHandle = { kind: 'pglite'; pglite: unknown } | { kind: 'pool'; pool: unknown };

export interface Database extends Queryable {
  readonly kind: DatabaseKind;
  /** Where the data lives, safe to print (no password). */
  readonly location: string;
  readonly native: NativeHandle;
  /** Runs `fn` in one transaction on one connection; commits if it resolves, rolls back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` with every statement and transaction it starts (directly or in callees) scheduled at
   * `priority`. On the embedded database, whose one session serves everything in turn, it orders
   * who goes next; on a server, whose pool serves statements as they come, `interactive` work
   * gets connections of its own, so it never waits for one behind busy workers.
   */
  withPriority<T>(priority: StatementPriority, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Postgres type ids parsed to JavaScript numbers on both adapters, so results look the same. */
export const INT8_OID = 20;
export const NUMERIC_OID = 1700;

export function parseNumber(value: string): number {
  return Number(value);
}
