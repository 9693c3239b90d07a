import type { Queryable } from './database.ts';

export type RetrievalMode = 'hybrid' | 'keyword-only';

export interface Capabilities {
  /** pgvector is installed in this database. */
  vector: boolean;
  vectorVersion: string | undefined;
  retrievalMode: RetrievalMode;
}

export async function detectCapabilities(db: Queryable): Promise<Capabilities> {
  const result = await db.query<{ extversion: string }>(
    "SELECT extversion FROM pg_extension WHERE extname = 'vector'",
  );
  const version = result.rows[0]?.extversion;
  return {
    vector: version !== undefined,
    vectorVersion: version,
    retrievalMode: version ? 'hybrid' : 'keyword-only',
  };
}
