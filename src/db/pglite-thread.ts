import { parentPort, workerData } from 'node:worker_threads';
import { type Extensions, PGlite, type Results } from '@electric-sql/pglite';
import { pg_textsearch } from '@electric-sql/pglite-pg_textsearch';
import { vector } from '@electric-sql/pglite-pgvector';
import { INT8_OID, NUMERIC_OID, parseNumber } from './database.ts';
import { createStatementRunner, type StatementRunner } from './pglite-statements.ts';
import type { ThreadReply, ThreadRequest, ThreadStart } from './pglite-thread-protocol.ts';

/**
 * The worker thread that owns the embedded database. PGlite runs Postgres synchronously on the
 * thread that calls it, so here its statements no longer stall the event loop that answers Slack.
 * It runs what it is sent, in order; who goes next is decided on the main thread
 * (src/db/session-scheduler.ts), which also keeps a transaction's statements together.
 */

const start = workerData as ThreadStart;
const port = parentPort!;

async function open(): Promise<PGlite> {
  // Every extension the directory may use is passed on every open: PGlite cannot load one later.
  // pg_textsearch proposes BM25 candidates (migration 0007); pgvector holds the embeddings.
  const extensions: Extensions = { vector, pg_textsearch };
  return PGlite.create({
    ...(start.dataDir ? { dataDir: start.dataDir } : {}),
    ...(start.loadDataDir ? { loadDataDir: new Blob([start.loadDataDir]) } : {}),
    extensions,
    parsers: { [INT8_OID]: parseNumber, [NUMERIC_OID]: parseNumber },
  });
}

/**
 * As pg reports it: the rows returned by a statement that returns rows (SELECT, or anything with
 * RETURNING), the rows changed by one that does not. PGlite's `affectedRows` is 0 for a SELECT.
 */
function rowCountOf(result: Results<unknown>): number {
  return result.fields.length > 0 ? result.rows.length : (result.affectedRows ?? 0);
}

async function handle(
  pglite: PGlite,
  statements: StatementRunner,
  request: ThreadRequest,
): Promise<ThreadReply['result']> {
  switch (request.op) {
    case 'query': {
      if (request.begin) await statements.query('BEGIN', []);
      const result = await statements.query(request.sql, request.params, {
        planEachTime: request.planEachTime ?? false,
      });
      return { rows: result.rows, rowCount: rowCountOf(result) };
    }
    case 'exec':
      try {
        const results = await pglite.exec(request.sql);
        return results.map((r) => r.rows);
      } catch (error) {
        // A script may stop inside a BEGIN ... COMMIT of its own, leaving the one session in an
        // aborted transaction; it is rolled back before anyone else gets the session.
        await pglite.query('ROLLBACK').catch(() => {});
        throw error;
      }
    case 'dump': {
      const blob = await pglite.dumpDataDir('none');
      return blob.arrayBuffer();
    }
    case 'close':
      if (!pglite.closed) await pglite.close();
      return null;
  }
}

/** Errors cross the thread as plain data; the Postgres fields (code, detail, constraint ...) survive. */
function serialize(error: unknown): ThreadReply['error'] {
  const e = error instanceof Error ? error : new Error(String(error));
  const fields: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(e)) {
    if (['string', 'number', 'boolean'].includes(typeof value)) fields[key] = value as string;
  }
  return { message: e.message, name: e.name, stack: e.stack ?? '', fields };
}

try {
  const pglite = await open();
  const statements = createStatementRunner(pglite);
  // Strictly in the order sent: a transaction's statements arrive one after another.
  let previous = Promise.resolve();
  port.on('message', (request: ThreadRequest) => {
    previous = previous.then(async () => {
      try {
        const result = await handle(pglite, statements, request);
        const transfer = result instanceof ArrayBuffer ? [result] : [];
        port.postMessage({ id: request.id, result } satisfies ThreadReply, transfer);
      } catch (error) {
        port.postMessage({ id: request.id, error: serialize(error) } satisfies ThreadReply);
      }
    });
  });
  port.postMessage({ id: 0, result: null } satisfies ThreadReply);
} catch (error) {
  port.postMessage({ id: 0, error: serialize(error) } satisfies ThreadReply);
}
