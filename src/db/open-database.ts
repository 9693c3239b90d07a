import type { Config } from '../config.ts';
import type { Database } from './database.ts';
import { openServerDatabase } from './pg-database.ts';
import { openEmbeddedDatabase } from './pglite-database.ts';

/** The embedded database unless DATABASE_URL names a server. */
export function openDatabase(config: Pick<Config, 'database'>): Promise<Database> {
  if (config.database.url) return openServerDatabase({ url: config.database.url });
  return openEmbeddedDatabase({ dataDir: config.database.dataDir });
}
