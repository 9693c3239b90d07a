import type { Queryable } from '../../src/db/database.ts';
import {
  type DocumentToStore,
  type StoredDocument,
  type StoreStatement,
  storeDocuments,
  storeStatement,
} from './store-document.ts';

/**
 * Stores documents several to a statement. On PGlite a statement costs about 2 ms before it
 * stores anything (the round trip to the database thread, parsing and planning, triggers, the
 * commit), as much as two or three chunks do, so small files are grouped: a batch closes at
 * `maxDocuments` documents or `maxChunks` chunks. Each document is still all or nothing, and so
 * is each batch; when a batch fails, its documents are stored again one by one, so that only the
 * bad one fails. The next batch's statement is built while the database stores the current one,
 * so the database barely waits for JavaScript between batches.
 */

export interface BatchStoreOptions<T extends DocumentToStore> {
  maxDocuments: number;
  maxChunks: number;
  onStored(item: T, stored: StoredDocument): void;
  onFailed(item: T, error: unknown): void;
}

export interface BatchStore<T extends DocumentToStore> {
  /** Adds a document; resolves once the caller may go on (at most one batch is waiting to run). */
  add(item: T): Promise<void>;
  /** Stores what is left and waits for every batch. */
  flush(): Promise<void>;
}

export function createBatchStore<T extends DocumentToStore>(
  db: Queryable,
  options: BatchStoreOptions<T>,
): BatchStore<T> {
  let batch: T[] = [];
  let chunks = 0;
  let inFlight: Promise<void> = Promise.resolve();

  const store = async (items: T[], statement?: StoreStatement) => {
    let stored: StoredDocument[];
    try {
      stored = await storeDocuments(db, items, statement);
    } catch (error) {
      if (items.length === 1) {
        options.onFailed(items[0]!, error);
        return;
      }
      for (const item of items) await store([item]);
      return;
    }
    for (const [i, item] of items.entries()) options.onStored(item, stored[i]!);
  };

  const send = async () => {
    if (batch.length === 0) return;
    const items = batch;
    batch = [];
    chunks = 0;
    let statement: StoreStatement | undefined;
    try {
      statement = storeStatement(items);
    } catch {
      // Left to store(): one by one, each item's own error reported.
    }
    // Strictly one statement after another: on a server, two at once would contend for the same
    // statistics rows.
    const previous = inFlight;
    inFlight = previous.catch(() => {}).then(() => store(items, statement));
    inFlight.catch(() => {}); // reported when awaited: by the next send, or by flush
    await previous;
  };

  return {
    async add(item) {
      batch.push(item);
      chunks += item.doc.chunks.length;
      if (batch.length >= options.maxDocuments || chunks >= options.maxChunks) await send();
    },
    async flush() {
      await send();
      await inFlight;
    },
  };
}
