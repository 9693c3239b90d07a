import fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RequestHandler } from '../http/server.ts';

/**
 * The page's files (plain HTML, CSS and JavaScript modules in `page/`, no build step), served as
 * exact routes: `index.html` at `/`, every other file at `/local/<name>`. Files are read on each
 * request so editing the page needs only a reload.
 */

const PAGE_DIR = path.join(import.meta.dirname, 'page');

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export function localPageAssets(dir = PAGE_DIR): Record<string, RequestHandler> {
  const routes: Record<string, RequestHandler> = {};
  for (const name of fs.readdirSync(dir)) {
    const type = contentTypes[path.extname(name)];
    if (!type) continue;
    const route = name === 'index.html' ? '/' : `/local/${name}`;
    routes[route] = async (req, res) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      const body = await readFile(path.join(dir, name));
      res.writeHead(200, {
        'content-type': type,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        // Everything the page needs comes from here; nothing may be loaded from elsewhere.
        'content-security-policy':
          "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
  }
  return routes;
}
