import { Worker } from 'node:worker_threads';
import type { ThreadReply, ThreadRequest, ThreadStart } from './pglite-thread-protocol.ts';

/**
 * Starts the embedded database's thread and sends it requests. The thread keeps the process
 * alive only while a request is outstanding, as an in-process database would: a program that
 * forgets to close it still exits.
 */

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Request = WithoutId<ThreadRequest>;

export interface PgliteThread {
  send<T>(request: Request): Promise<T>;
  /** Closes the database and ends the thread. */
  close(): Promise<void>;
}

export async function startPgliteThread(start: ThreadStart): Promise<PgliteThread> {
  // The thread runs TypeScript like the rest of Sluice: tsx is registered in it first, however
  // the main thread got it (`--import tsx` or bin/sluice.js).
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./pglite-thread.ts', import.meta.url).href;
  const worker = new Worker(
    `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); })`,
    {
      eval: true,
      workerData: start,
      ...(start.loadDataDir ? { transferList: [start.loadDataDir] } : {}),
    },
  );
  const pending = new Map<
    number,
    { resolve(value: unknown): void; reject(error: Error): void; caller?: Error }
  >();
  let nextId = 1;
  let ended: Error | undefined;
  const fail = (error: Error) => {
    ended ??= error;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  worker.on('message', (reply: ThreadReply) => {
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    if (pending.size === 0) worker.unref();
    if (reply.error) waiter.reject(revive(reply.error, waiter.caller));
    else waiter.resolve(reply.result);
  });
  worker.on('error', (error) => fail(error));
  worker.on('exit', (code) => fail(new Error(`the embedded database's thread ended (exit code ${code})`)));

  // The thread's first message (id 0) says the database is open, or why it could not be.
  const opened = new Promise((resolve, reject) => pending.set(0, { resolve, reject }));
  const send = <T>(request: Request): Promise<T> => {
    if (ended) return Promise.reject(ended);
    const id = nextId++;
    // Where the statement came from: the thread's own stack says nothing about the caller.
    const caller = new Error();
    return new Promise<T>((resolve, reject) => {
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject, caller });
      try {
        worker.postMessage({ ...request, id });
      } catch (error) {
        // A parameter that cannot cross to the thread (a function, say): nothing was sent.
        pending.delete(id);
        if (pending.size === 0) worker.unref();
        reject(error);
      }
    });
  };
  try {
    await opened;
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  return {
    send,
    async close() {
      if (ended) return;
      try {
        await send({ op: 'close' });
      } finally {
        ended = new Error('the embedded database is closed');
        await worker.terminate();
      }
    },
  };
}

function revive(error: NonNullable<ThreadReply['error']>, caller?: Error): Error {
  const revived = Object.assign(new Error(error.message), error.fields);
  revived.name = error.name;
  const callerFrames = caller?.stack?.split('\n').slice(1).join('\n');
  revived.stack = callerFrames ? `${error.name}: ${error.message}\n${callerFrames}` : error.stack;
  return revived;
}
