import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createActionRegistry } from '../../src/actions/action-registry.ts';
import { parseEndpointsFile } from '../../src/actions/endpoints-file.ts';
import { type Authorization, executeAction } from '../../src/actions/execute-action.ts';
import { createHttpRequestAction } from '../../src/actions/http-request.ts';
import { createPostgresEffectLedger } from '../../src/actions/postgres-effect-ledger.ts';
import type { Database } from '../../src/db/database.ts';
import { isSluiceError } from '../../src/errors.ts';
import { parsePolicy } from '../../src/policy/parse-policy.ts';
import type { Proposal } from '../../src/policy/proposal.ts';
import { databaseTargets } from '../support/test-database.ts';
import { type RecordedCall, startRecordingServer } from './support/recording-http-server.ts';

const SECRET = 'deploy-token-0123456789';

function endpointsYaml(base: string): string {
  return `version: 1
endpoints:
  - name: restart-service
    description: Restart a service.
    method: POST
    url: ${base}/api/environments/{environment}/services/{service}/restart?note={note}
    headers:
      Authorization: { secret: SLUICE_SECRET_DEPLOY_TOKEN, prefix: "Bearer " }
      X-Team: ops
    params:
      type: object
      properties:
        service: { type: string }
        environment: { type: string, enum: [staging, production] }
        note: { type: string }
      required: [service, environment, note]
    timeout: 5s
  - name: slow-restart
    description: The same, with a short timeout.
    method: POST
    url: ${base}/api/environments/{environment}/services/{service}/restart
    params:
      type: object
      properties:
        service: { type: string }
        environment: { type: string }
        note: { type: string }
      required: [service, environment]
    timeout: 1s
  - name: status
    description: Read a status page.
    method: GET
    url: ${base}/status/{code}
    params:
      type: object
      properties:
        code: { type: integer }
      required: [code]
    max_response_chars: 20
`;
}

function restart(service: string, note = 'routine'): Proposal {
  return {
    action: 'http.request',
    params: { endpoint: 'restart-service', params: { service, environment: 'staging', note } },
    source: 'explicit',
  };
}

/** The policy these calls run under: staging restarts with a routine note, and status reads, are auto. */
const policy = parsePolicy(
  `version: 1
rules:
  - id: guarded
    match: { action: http.request, params: { params.service: guarded, params.note: other } }
    decision: escalate
    escalation: { approvers: { users: [U_LEAD] } }
  - id: routine-staging
    match: { action: http.request, params: { endpoint: [restart-service, slow-restart], params.environment: staging } }
    decision: auto
  - id: status
    match: { action: http.request, params: { endpoint: status } }
    decision: auto
`,
  'policy.yaml',
);

const auto = (_p?: Proposal): Authorization => ({
  kind: 'policy',
  policy,
  context: { requester: 'U1', channel: 'C1' },
  decidedAt: new Date(),
});

const context = (step: string) => ({ runId: 'run-1', step, requester: 'U1', channel: 'C1' });

function respond(call: RecordedCall) {
  if (call.url.startsWith('/status/')) {
    const code = Number(call.url.split('/')[2]);
    if (code === 302) return { status: 302, headers: { location: 'http://example.invalid/elsewhere' } };
    return { status: code, body: `status ${code} ${'x'.repeat(100)}` };
  }
  if (call.url.includes('/services/slow/')) return { status: 202, body: '{}', delayMs: 1500 };
  if (call.url.includes('/services/sluggish/')) return { status: 202, body: '{"queued":true}', delayMs: 300 };
  // Echo the credential back, to prove the recorded body never keeps it.
  return { status: 202, body: JSON.stringify({ queued: true, echo: call.headers.authorization }) };
}

for (const target of databaseTargets()) {
  describe(`http.request against a local server (${target.name})`, () => {
    let db: Database;
    let server: Awaited<ReturnType<typeof startRecordingServer>>;
    let deps: Parameters<typeof executeAction>[1];

    before(async () => {
      db = await target.create();
      server = await startRecordingServer(respond);
      const endpoints = parseEndpointsFile(endpointsYaml(server.base), 'endpoints.yaml', {
        SLUICE_SECRET_DEPLOY_TOKEN: SECRET,
      });
      deps = {
        registry: createActionRegistry([createHttpRequestAction({ endpoints })]),
        ledger: createPostgresEffectLedger(db),
      };
    });
    after(async () => {
      await server.close();
      await db.close();
    });

    const callsFor = (service: string) => server.calls.filter((c) => c.url.includes(`/services/${service}/`));

    it('receives exactly one call per idempotency key when the executor is invoked twice', async () => {
      const p = restart('payments');
      const first = await executeAction(
        { proposal: p, authorization: auto(p), context: context('effect:1') },
        deps,
      );
      const second = await executeAction(
        { proposal: p, authorization: auto(p), context: context('effect:1') },
        deps,
      );
      assert.equal(callsFor('payments').length, 1);
      assert.equal(first.status, 'executed');
      assert.equal(second.status, 'replayed');
      assert.deepEqual(second.result, first.result);
      assert.equal(first.idempotencyKey, 'run-1:effect:1');
    });

    it('receives one call when two invocations with one key race', async () => {
      const p = restart('sluggish');
      const results = await Promise.allSettled([
        executeAction({ proposal: p, authorization: auto(p), context: context('effect:race') }, deps),
        executeAction({ proposal: p, authorization: auto(p), context: context('effect:race') }, deps),
      ]);
      assert.equal(callsFor('sluggish').length, 1);
      const executed = results.filter((r) => r.status === 'fulfilled' && r.value.status === 'executed');
      assert.equal(executed.length, 1);
      for (const r of results) {
        if (r.status === 'rejected') {
          assert.ok(
            isSluiceError(r.reason) && r.reason.code === 'conflict' && r.reason.retryable,
            String(r.reason),
          );
        }
      }
      const later = await executeAction(
        { proposal: p, authorization: auto(p), context: context('effect:race') },
        deps,
      );
      assert.equal(later.status, 'replayed');
      assert.equal(callsFor('sluggish').length, 1);
    });

    it('sends the idempotency key, the secret header and the params, and encodes URL values', async () => {
      const p = restart('search', 'a b/../c?d=1&e');
      const outcome = await executeAction(
        { proposal: p, authorization: auto(p), context: context('effect:2') },
        deps,
      );
      const [call] = callsFor('search');
      assert.ok(call);
      assert.equal(call.method, 'POST');
      assert.equal(
        call.url,
        '/api/environments/staging/services/search/restart?note=a%20b%2F..%2Fc%3Fd%3D1%26e',
      );
      assert.equal(call.headers['idempotency-key'], 'run-1:effect:2');
      assert.equal(call.headers.authorization, `Bearer ${SECRET}`);
      assert.equal(call.headers['x-team'], 'ops');
      assert.equal(call.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(call.body), {
        service: 'search',
        environment: 'staging',
        note: 'a b/../c?d=1&e',
      });
      assert.equal(outcome.ok, true);
      assert.equal(outcome.result?.data?.status, 202);
      assert.ok(!JSON.stringify(outcome.result).includes(SECRET), 'the secret must not be recorded');
      assert.match(String(outcome.result?.data?.body), /\[redacted\]/);
    });

    it('records the status and a truncated body', async () => {
      const p: Proposal = {
        action: 'http.request',
        params: { endpoint: 'status', params: { code: 200 } },
        source: 'model',
      };
      const outcome = await executeAction(
        { proposal: p, authorization: auto(p), context: context('effect:3') },
        deps,
      );
      assert.equal(outcome.result?.data?.status, 200);
      assert.equal(outcome.result?.data?.body, 'status 200 xxxxxxxxx');
      assert.equal(outcome.result?.data?.bodyTruncated, true);
      assert.equal(outcome.result?.summary, 'GET status -> 200');
      const row = await db.query<{ status: string; result: { data: { status: number } } }>(
        'SELECT status, result FROM action_effects WHERE idempotency_key = $1',
        ['run-1:effect:3'],
      );
      assert.equal(row.rows[0]?.status, 'succeeded');
      assert.equal(row.rows[0]?.result.data.status, 200);
    });

    it('settles a 4xx as a final failure: replayed, not called again', async () => {
      const p: Proposal = {
        action: 'http.request',
        params: { endpoint: 'status', params: { code: 404 } },
        source: 'model',
      };
      const first = await executeAction(
        { proposal: p, authorization: auto(p), context: context('effect:404') },
        deps,
      );
      const again = await executeAction(
        { proposal: p, authorization: auto(p), context: context('effect:404') },
        deps,
      );
      assert.equal(first.ok, false);
      assert.equal(again.status, 'replayed');
      assert.equal(server.calls.filter((c) => c.url === '/status/404').length, 1);
    });

    it('lets a 5xx be retried under the same key, with the same Idempotency-Key header', async () => {
      const p: Proposal = {
        action: 'http.request',
        params: { endpoint: 'status', params: { code: 503 } },
        source: 'model',
      };
      const first = await executeAction(
        { proposal: p, authorization: auto(p), context: context('effect:503') },
        deps,
      );
      const again = await executeAction(
        { proposal: p, authorization: auto(p), context: context('effect:503') },
        deps,
      );
      assert.equal(first.ok, false);
      assert.equal(first.result?.retryable, true);
      assert.equal(again.status, 'executed');
      const calls = server.calls.filter((c) => c.url === '/status/503');
      assert.equal(calls.length, 2);
      assert.deepEqual(
        calls.map((c) => c.headers['idempotency-key']),
        ['run-1:effect:503', 'run-1:effect:503'],
      );
    });

    it('does not follow redirects off the configured host', async () => {
      const p: Proposal = {
        action: 'http.request',
        params: { endpoint: 'status', params: { code: 302 } },
        source: 'model',
      };
      const outcome = await executeAction(
        { proposal: p, authorization: auto(p), context: context('effect:302') },
        deps,
      );
      assert.equal(outcome.ok, false);
      assert.match(outcome.result?.summary ?? '', /302 \(redirect not followed\)/);
    });

    it('times out, records a retryable failure, and retries with the same key', async () => {
      const p: Proposal = {
        action: 'http.request',
        params: { endpoint: 'slow-restart', params: { service: 'slow', environment: 'staging' } },
        source: 'model',
      };
      await assert.rejects(
        executeAction({ proposal: p, authorization: auto(p), context: context('effect:slow') }, deps),
        (e: unknown) =>
          isSluiceError(e) &&
          e.code === 'upstream_failed' &&
          e.retryable &&
          /timed out after 1000 ms/.test(e.message),
      );
      const row = await db.query<{ status: string; retryable: boolean }>(
        'SELECT status, retryable FROM action_effects WHERE idempotency_key = $1',
        ['run-1:effect:slow'],
      );
      assert.deepEqual(row.rows[0], { status: 'failed', retryable: true });
      await assert.rejects(
        executeAction({ proposal: p, authorization: auto(p), context: context('effect:slow') }, deps),
      );
      assert.deepEqual(
        callsFor('slow').map((c) => c.headers['idempotency-key']),
        ['run-1:effect:slow', 'run-1:effect:slow'],
      );
    });

    it('refuses a different payload under a key already used', async () => {
      const p = restart('api');
      await executeAction({ proposal: p, authorization: auto(p), context: context('effect:4') }, deps);
      const other = restart('api', 'changed');
      await assert.rejects(
        executeAction({ proposal: other, authorization: auto(other), context: context('effect:4') }, deps),
        (e: unknown) => isSluiceError(e) && e.code === 'conflict' && /different payload/.test(e.message),
      );
      assert.equal(callsFor('api').length, 1);
    });

    it('makes no call unless the policy, asked again, says auto for exactly these parameters', async () => {
      const p = restart('guarded', 'other');
      const production: Proposal = {
        action: 'http.request',
        params: {
          endpoint: 'restart-service',
          params: { service: 'guarded', environment: 'production', note: 'x' },
        },
        source: 'model',
      };
      await assert.rejects(
        executeAction({ proposal: p, authorization: auto(), context: context('effect:5') }, deps),
        (e: unknown) =>
          isSluiceError(e) &&
          e.code === 'forbidden' &&
          /the policy decides escalate for these parameters, not auto/.test(e.message),
      );
      await assert.rejects(
        executeAction({ proposal: production, authorization: auto(), context: context('effect:6') }, deps),
        /the policy decides deny for these parameters, not auto: no rule matched/,
      );
      assert.equal(callsFor('guarded').length, 0);
    });
  });
}
