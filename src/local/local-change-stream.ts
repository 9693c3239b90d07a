import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Live updates for the local workspace page, as server-sent events. Each event only says "the
 * workspace changed" (with a version number); the page then asks for the state it shows. Bursts
 * (a card posted, then updated, then a reply) are coalesced so the page refreshes once.
 */

export interface LocalChangeStream {
  /** Serves `GET /local/events`: keeps the response open and writes an event per change. */
  subscribe(req: IncomingMessage, res: ServerResponse): void;
  notify(): void;
  readonly version: number;
  /** Ends every open stream (the page reconnects on its own if the server comes back). */
  close(): void;
}

const COALESCE_MS = 25;
/** Proxies and browsers drop idle connections; a comment line every 15 s keeps it open. */
const KEEP_ALIVE_MS = 15_000;

export function createLocalChangeStream(): LocalChangeStream {
  const clients = new Set<ServerResponse>();
  let version = 0;
  let pending: NodeJS.Timeout | undefined;
  const keepAlive = setInterval(() => {
    for (const res of clients) res.write(': keep-alive\n\n');
  }, KEEP_ALIVE_MS);
  keepAlive.unref();

  const flush = () => {
    pending = undefined;
    for (const res of clients) res.write(`event: change\ndata: ${version}\n\n`);
  };

  return {
    subscribe(req, res) {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write(`retry: 1000\nevent: change\ndata: ${version}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
    },
    notify() {
      version += 1;
      if (!pending) pending = setTimeout(flush, COALESCE_MS);
    },
    get version() {
      return version;
    },
    close() {
      clearInterval(keepAlive);
      if (pending) clearTimeout(pending);
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}
