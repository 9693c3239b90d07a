import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.ts';
import type { Metrics } from './metrics.ts';

/**
 * Sluice's one HTTP listener. Its own routes (health, metrics, the local workspace page) are
 * matched first; everything else goes to the fallback, which is where the Slack receiver plugs in.
 */

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HttpServerOptions {
  host: string;
  port: number;
  logger: Logger;
  metrics: Metrics;
  routes: Record<string, RequestHandler>;
  fallback?: RequestHandler;
}

export interface RunningHttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { logger, metrics } = options;
  const server = http.createServer((req, res) => {
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    const route = options.routes[pathname] ? pathname : options.fallback ? 'fallback' : 'not_found';
    const handler = options.routes[pathname] ?? options.fallback ?? notFound;
    const stopTimer = metrics.httpDuration.startTimer({ route });
    res.on('finish', () => {
      stopTimer();
      metrics.httpRequests.inc({ route, status: String(res.statusCode) });
    });
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((error: unknown) => {
        logger.error({ err: error, path: pathname }, 'http handler failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error; see the server log' });
        else res.end();
      });
  });
  // Slack and load balancers keep connections open; idle keep-alive sockets must not block shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

function notFound(_req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, 404, { error: 'not found' });
}
