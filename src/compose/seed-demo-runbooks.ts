import path from 'node:path';
import type { Retrieval } from '../../retrieval/create-retrieval.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import { DEMO_RUNBOOKS } from './local-demo.ts';

/** On the first start of the local workspace, an empty knowledge base gets the demo runbooks. */
export async function seedDemoRunbooks(db: Database, retrieval: Retrieval, logger: Logger): Promise<void> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM kb_documents');
  if ((rows[0]?.n ?? 0) > 0) return;
  // Relative to the examples folder, so citations read `runbooks/…`, not a path on this machine.
  const summary = await retrieval.ingest({
    paths: ['runbooks'],
    cwd: path.dirname(DEMO_RUNBOOKS),
    prune: false,
  });
  logger.info({ documents: summary }, 'local workspace: demo runbooks indexed');
}
