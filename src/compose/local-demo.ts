import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.ts';
import { sendJson } from '../http/server.ts';
import type { LocalWorkspaceUser } from '../local/local-workspace.ts';
import type { SlackChannelSeed, SlackUsergroupSeed } from '../local/slack-directory.ts';

/**
 * The demo that the local workspace starts with, so MISSION.md's first hour works offline:
 * three people (Alice asks, Bob and Carol lead ops), an #ops channel, the `ops-leads` group,
 * a few runbooks, the example policy, and a `restart-service` endpoint that Sluice serves
 * itself and that records every call it receives. Configured files always win over the demo's.
 */

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples');
export const DEMO_RUNBOOKS = path.join(examples, 'demo/runbooks');

export const demoUsers: LocalWorkspaceUser[] = [
  { id: 'U0DEMOALIC', name: 'alice', realName: 'Alice (on call)', title: 'asks for things' },
  { id: 'U0DEMOBOB1', name: 'bob', realName: 'Bob (ops lead)', title: 'ops lead' },
  { id: 'U0DEMOCARL', name: 'carol', realName: 'Carol (ops lead)', title: 'ops lead' },
];

export const demoChannels: SlackChannelSeed[] = [
  { id: 'C0DEMOOPS1', name: 'ops', members: demoUsers.map((u) => u.id) },
];

export const demoUsergroups: SlackUsergroupSeed[] = [
  { id: 'S0DEMOLEAD', handle: 'ops-leads', name: 'Ops leads', users: ['U0DEMOBOB1', 'U0DEMOCARL'] },
];

export interface DemoEndpointCall {
  at: string;
  idempotencyKey: string | undefined;
  body: unknown;
}

/** The configuration with the demo's policy and endpoints where none are configured. */
export function withDemoDefaults(config: Config, baseUrl: string): Config {
  let endpointsFile = config.actions.endpointsFile;
  if (!endpointsFile) {
    fs.mkdirSync(config.database.dataDir, { recursive: true });
    endpointsFile = path.join(config.database.dataDir, 'demo-endpoints.yaml');
    const text = fs
      .readFileSync(path.join(examples, 'demo/endpoints.yaml'), 'utf8')
      .replaceAll('{{BASE_URL}}', baseUrl);
    fs.writeFileSync(endpointsFile, text);
  }
  return {
    ...config,
    policyFile: config.policyFile ?? path.join(examples, 'policy.yaml'),
    actions: { ...config.actions, endpointsFile },
  };
}

/** The demo deploy API: POST restarts nothing and answers 202; GET …/calls lists what it got. */
export function demoEndpointRoutes(): Record<string, (req: IncomingMessage, res: ServerResponse) => void> {
  const calls: DemoEndpointCall[] = [];
  return {
    '/demo/restart-service': (req, res) => {
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'POST only' });
      let raw = '';
      req.on('data', (d: Buffer) => {
        if (raw.length < 10_000) raw += d.toString();
      });
      req.on('end', () => {
        let body: unknown = raw;
        try {
          body = JSON.parse(raw);
        } catch {
          // Kept as text.
        }
        const key = req.headers['idempotency-key'];
        calls.push({ at: new Date().toISOString(), idempotencyKey: Array.isArray(key) ? key[0] : key, body });
        sendJson(res, 202, { status: 'restart queued (demo: nothing was restarted)' });
      });
    },
    '/demo/restart-service/calls': (_req, res) => sendJson(res, 200, { calls }),
  };
}
