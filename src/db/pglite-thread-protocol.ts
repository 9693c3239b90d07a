/** Messages between the main thread and the embedded database's thread (src/db/pglite-thread.ts). */

export interface ThreadStart {
  /** Where the Postgres files live; absent: in memory. */
  dataDir?: string;
  /** A dumped data directory to start from (test templates). */
  loadDataDir?: ArrayBuffer;
}

export type ThreadRequest = {
  id: number;
} /**
 * `begin`: open a transaction first (saves a round trip for a transaction's first statement).
 * `planEachTime`: plan for these values, not from the statement cache (src/db/pglite-statements.ts).
 */ & (
  | { op: 'query'; sql: string; params: unknown[]; begin?: boolean; planEachTime?: boolean }
  /** Several statements; one array of rows per statement. */
  | { op: 'exec'; sql: string }
  | { op: 'dump' }
  | { op: 'close' }
);

/** id 0 answers the start: `result` null when the database is open, `error` when it could not be. */
export interface ThreadReply {
  id: number;
  result?: { rows: unknown[]; rowCount: number } | unknown[][] | ArrayBuffer | null;
  error?: {
    message: string;
    name: string;
    stack: string;
    fields: Record<string, string | number | boolean>;
  };
}
