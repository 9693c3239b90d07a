import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createMetrics } from '../../src/http/metrics.ts';
import { type RunningHttpServer, startHttpServer } from '../../src/http/server.ts';
import { encodeComposerText } from '../../src/local/encode-composer-text.ts';
import { createLocalWorkspace, type LocalWorkspace } from '../../src/local/local-workspace.ts';
import { readRequestBody } from '../../src/local/read-request-body.ts';
import { type SlackWebApiDouble, startSlackWebApiDouble } from '../../src/local/slack-web-api-double.ts';
import { verifySlackRequest } from '../../src/slack/request-signature.ts';
import { createTestLogger } from '../support/test-logger.ts';

/**
 * The local workspace's server side without a browser: what each page action sends to the app
 * (captured by a stand-in for Sluice's /slack/events that checks signatures), what it stores in
 * the Slack double, and the guard that keeps other web pages from acting through it.
 */

const signingSecret = 'local-workspace-routes-secret';
const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00001';
const OPS = 'C0OPS00001';

type Captured = { valid: boolean; contentType: string; body: string };
const captured: Captured[] = [];
let answer: (res: http.ServerResponse) => void = (res) => res.writeHead(200).end();

let slack: SlackWebApiDouble;
let app: http.Server;
let workspace: LocalWorkspace;
let server: RunningHttpServer;

before(async () => {
  slack = await startSlackWebApiDouble();
  app = http.createServer(async (req, res) => {
    const body = await readRequestBody(req);
    captured.push({
      valid: verifySlackRequest({ signingSecret, body, headers: req.headers }).valid,
      contentType: String(req.headers['content-type']),
      body,
    });
    answer(res);
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  workspace = createLocalWorkspace({
    slack,
    appEventsUrl: `http://127.0.0.1:${(app.address() as AddressInfo).port}/slack/events`,
    signingSecret,
    mode: 'model',
    ackTimeoutMs: 300,
    users: [
      { id: ALICE, name: 'alice', realName: 'Alice Archer' },
      { id: BOB, name: 'bob', realName: 'Bob Baker' },
    ],
    channels: [{ id: OPS, name: 'ops' }],
    usergroups: [{ id: 'S0OPSLEADS', handle: 'ops-leads', users: [BOB] }],
  });
  server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    logger: createTestLogger(),
    metrics: createMetrics(),
    routes: workspace.routes,
  });
});

after(async () => {
  workspace.close();
  await server.close();
  await new Promise((resolve) => {
    app.close(resolve);
    app.closeAllConnections();
  });
  await slack.close();
});

beforeEach(() => {
  captured.length = 0;
  answer = (res) => res.writeHead(200).end();
});

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(new URL(path, server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

const state = async (channel: string, user = ALICE) =>
  (await (await fetch(new URL(`/local/state?user=${user}&channel=${channel}`, server.url))).json()) as {
    app: { dmChannelId: string };
    channel: { messages: Array<{ text: string; user: string; ephemeral?: boolean }> };
  };

describe('the local workspace server', () => {
  it('serves the page at / and its modules under /local/', async () => {
    const page = await fetch(server.url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Local workspace — not Slack/);
    const script = await fetch(new URL('/local/workspace.js', server.url));
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
  });

  it('sends a DM to the app as a signed `message` event of channel_type im, and stores it as the person’s', async () => {
    const dm = (await state('')).app.dmChannelId;
    const response = await post('/local/compose', { userId: ALICE, channelId: dm, text: 'hi <b> & @bob' });
    assert.equal(response.status, 200);
    assert.equal(captured.length, 1);
    assert.equal(captured[0]!.valid, true);
    assert.equal(captured[0]!.contentType, 'application/json');
    const payload = JSON.parse(captured[0]!.body);
    assert.equal(payload.type, 'event_callback');
    assert.equal(payload.event.type, 'message');
    assert.equal(payload.event.channel_type, 'im');
    assert.equal(payload.event.user, ALICE);
    assert.equal(payload.event.text, `hi &lt;b&gt; &amp; <@${BOB}>`);
    const stored = (await state(dm)).channel.messages.at(-1)!;
    assert.deepEqual([stored.user, stored.text], [ALICE, payload.event.text]);
  });

  it('sends nothing for a channel message that does not mention the app, as Sluice subscribes to none', async () => {
    await post('/local/compose', { userId: ALICE, channelId: OPS, text: 'just chatting' });
    assert.equal(captured.length, 0);
    assert.equal((await state(OPS)).channel.messages.at(-1)?.text, 'just chatting');
  });

  it('answers an unknown slash command as Slack does, without sending it', async () => {
    await post('/local/compose', { userId: ALICE, channelId: OPS, text: '/deploy now' });
    assert.equal(captured.length, 0);
    const notice = (await state(OPS)).channel.messages.at(-1)!;
    assert.equal(notice.ephemeral, true);
    assert.match(notice.text, /`\/deploy` is not a valid command/);
  });

  it('shows Slack’s operation_timeout when the app does not answer a command in time', async () => {
    answer = (res) => setTimeout(() => res.writeHead(200).end(), 600);
    const response = await post('/local/compose', { userId: ALICE, channelId: OPS, text: '/agent status' });
    const result = (await response.json()) as { delivered: { failure?: string } };
    assert.equal(result.delivered.failure, 'operation_timeout');
    assert.equal(captured[0]!.valid, true);
    assert.equal(new URLSearchParams(captured[0]!.body).get('command'), '/agent');
    assert.match(
      (await state(OPS)).channel.messages.at(-1)!.text,
      /failed with the error "operation_timeout"/,
    );
    const other = await state(OPS, BOB);
    assert.equal(other.channel.messages.filter((m) => m.ephemeral).length, 0, 'only Alice sees it');
  });

  it('refuses a request from another web site, and one addressed to a non-loopback host name', async () => {
    const foreign = await post(
      '/local/compose',
      { userId: ALICE, channelId: OPS, text: '/agent pause' },
      { origin: 'https://evil.example' },
    );
    assert.equal(foreign.status, 403);
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        new URL('/local/state', server.url),
        { headers: { host: 'evil.example:3000' } },
        (res) => resolve(res.statusCode ?? 0),
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(rebound, 403);
    const form = await fetch(new URL('/local/compose', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'userId=U0ALICE001',
    });
    assert.equal(form.status, 403);
    assert.equal(captured.length, 0);
  });

  it('refuses an action by someone who is not in the workspace', async () => {
    const response = await post('/local/home-open', { userId: 'U0NOBODY01' });
    assert.equal(response.status, 400);
    assert.equal(captured.length, 0);
  });
});

describe('encodeComposerText', () => {
  it('escapes Slack’s control characters and turns known names into Slack markup', () => {
    assert.equal(
      encodeComposerText('a<b & @Bob, @ops-leads, @here, #ops and @nobody.', slack.directory),
      `a&lt;b &amp; <@${BOB}>, <!subteam^S0OPSLEADS|@ops-leads>, <!here>, <#${OPS}|ops> and @nobody.`,
    );
  });
});
