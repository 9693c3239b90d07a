import type { IncomingMessage } from 'node:http';
import { readRequestBody } from './read-request-body.ts';

/**
 * The local workspace acts as anyone in the workspace without a password, so it answers only the
 * browser it was opened in: the Host must be a loopback name (a defence against DNS rebinding,
 * where a web page re-points its own domain at 127.0.0.1), a cross-site Origin is refused, and
 * actions must be JSON posts, which a foreign page cannot send without a CORS preflight that is
 * never granted.
 */

export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

export function refuseForeignRequest(
  req: IncomingMessage,
  allowedHosts: readonly string[],
): string | undefined {
  const host = (req.headers.host ?? '').toLowerCase();
  const hostname = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  if (!allowedHosts.includes(hostname)) return `host ${hostname || '(none)'} is not allowed`;
  const origin = req.headers.origin;
  if (origin && origin !== 'null') {
    let originHost: string;
    try {
      originHost = new URL(origin).host.toLowerCase();
    } catch {
      return 'malformed origin';
    }
    if (originHost !== host) return `cross-site request from ${origin} refused`;
  }
  if (req.method === 'POST' && !String(req.headers['content-type'] ?? '').startsWith('application/json')) {
    return 'actions must be JSON';
  }
  return undefined;
}

export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const text = await readRequestBody(req, 256 * 1024);
  return text ? JSON.parse(text) : {};
}
