import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRetrieval } from '../../../retrieval/create-retrieval.ts';
import { loadConfig } from '../../../src/config.ts';
import { detectCapabilities } from '../../../src/db/capabilities.ts';
import type { Database } from '../../../src/db/database.ts';
import type { SlackWebApiDouble } from '../../../src/local/slack-web-api-double.ts';
import { type SluiceApp, startSluice } from '../../../src/main.ts';
import { createSlackDriver, type SlackDriver } from '../../support/slack-driver.ts';
import { createTestLogger } from '../../support/test-logger.ts';

/**
 * A whole Sluice in-process on the local workspace: the real Bolt transport, the real core on a
 * test database, the Slack double as Slack, and a local HTTP server standing in for the deploy
 * API behind `restart-service`. Used by end-to-end tests of the Slack flows.
 */

export const USERS = { alice: 'U0ALICE01', bob: 'U0BOB0001', carol: 'U0CAROL01', dave: 'U0DAVE001' } as const;
export const OPS_CHANNEL = 'C0OPS0001';

export interface Harness {
  app: SluiceApp;
  slack: SlackWebApiDouble;
  driver: SlackDriver;
  /** Requests the deploy endpoint received. */
  deployCalls: { method: string; url: string; idempotencyKey: string | undefined; body: string }[];
  stop(): Promise<void>;
}

/** `env`: settings on top of the harness's own (e.g. `SLUICE_SLACK_ASSISTANT: 'off'`). */
export async function startHarness(
  db: Database,
  options: { env?: Record<string, string> } = {},
): Promise<Harness> {
  const deployCalls: Harness['deployCalls'] = [];
  const deploy = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      deployCalls.push({
        method: req.method ?? '',
        url: req.url ?? '',
        idempotencyKey: req.headers['idempotency-key'] as string | undefined,
        body,
      });
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end('{"status":"restart queued"}');
    });
  });
  await new Promise<void>((resolve) => deploy.listen(0, '127.0.0.1', resolve));
  const deployPort = (deploy.address() as AddressInfo).port;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-e2e-'));
  const endpointsFile = path.join(dir, 'endpoints.yaml');
  fs.writeFileSync(
    endpointsFile,
    fs
      .readFileSync(path.resolve('examples/endpoints.yaml'), 'utf8')
      .replace(/https:\/\/deploy\.example\.internal/g, `http://127.0.0.1:${deployPort}`),
  );
  const config = loadConfig(
    {
      PORT: '0',
      SLUICE_DATA_DIR: dir,
      SLUICE_POLICY_FILE: path.resolve('examples/policy.yaml'),
      SLUICE_ENDPOINTS_FILE: endpointsFile,
      SLUICE_SECRET_DEPLOY_TOKEN: 'deploy-token-for-tests',
      SLUICE_OPERATORS: '@ops-leads',
      LOG_LEVEL: 'debug',
      ...options.env,
    },
    process.cwd(),
  );
  const logger = createTestLogger();
  const retrieval = await createRetrieval({
    db,
    config: config.retrieval,
    capabilities: await detectCapabilities(db),
    logger,
  });
  await retrieval.ingest({
    paths: [path.resolve('test/fixtures/runbooks')],
    cwd: process.cwd(),
    prune: false,
  });
  const app = await startSluice(config, logger, {
    db,
    localSeed: {
      users: [
        { id: USERS.alice, name: 'alice' },
        { id: USERS.bob, name: 'bob' },
        { id: USERS.carol, name: 'carol' },
        { id: USERS.dave, name: 'dave' },
      ],
      channels: [{ id: OPS_CHANNEL, name: 'ops', members: Object.values(USERS) }],
      usergroups: [{ id: 'S0OPSLEAD1', handle: 'ops-leads', users: [USERS.bob, USERS.carol, USERS.dave] }],
    },
  });
  const slack = app.slack.local!;
  const driver = createSlackDriver({
    url: new URL('slack/events', app.url).toString(),
    signingSecret: app.slack.signingSecret,
    workspace: slack.identity,
    responseUrl: (target) => slack.responseUrl(target),
    triggerId: (user) => slack.mintTriggerId(user),
  });
  return {
    app,
    slack,
    driver,
    deployCalls,
    async stop() {
      await app.stop();
      await new Promise<void>((resolve) => deploy.close(() => resolve()));
    },
  };
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
