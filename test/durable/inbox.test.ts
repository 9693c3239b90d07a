import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recordRequest } from '../../src/inbox/record-request.ts';
import { requestKey } from '../../src/inbox/request-key.ts';
import { databaseTargets } from '../support/test-database.ts';

describe('inbox keys', () => {
  it("key events by Slack's event_id and commands and clicks by a hash of the signed body", () => {
    assert.equal(requestKey({ kind: 'event', eventId: 'Ev0ABC' }), 'event:Ev0ABC');
    const body = 'command=%2Fagent&text=status&trigger_id=1.2.abc';
    const key = requestKey({ kind: 'command', body });
    assert.match(key, /^command:sha256:[0-9a-f]{64}$/);
    assert.equal(requestKey({ kind: 'command', body: Buffer.from(body) }), key, 'bytes and text agree');
    assert.notEqual(
      requestKey({ kind: 'command', body: body.replace('abc', 'abd') }),
      key,
      'a new trigger is a new request',
    );
    assert.notEqual(requestKey({ kind: 'interaction', body }), key, 'kinds never collide');
    assert.equal(
      requestKey({ kind: 'interaction', body: { b: 1, a: [1, 2] } }),
      requestKey({ kind: 'interaction', body: { a: [1, 2], b: 1 } }),
      'a Socket Mode payload is keyed by its canonical JSON',
    );
  });
});

for (const target of databaseTargets()) {
  describe(`recording a request (${target.name})`, () => {
    it('stores a request and its run in one statement, counts redeliveries and never stores the verification token', async () => {
      const db = await target.create();
      try {
        const receivedAt = new Date('2026-01-05T09:00:00.123Z');
        const request = {
          key: 'event:Ev0INBOX01',
          kind: 'event' as const,
          payload: {
            token: 'legacy-verification-token',
            event_id: 'Ev0INBOX01',
            event: { type: 'app_mention' },
          },
          receivedAt,
          run: {
            channelId: 'C0INBOX001',
            userId: 'U0INBOX001',
            threadTs: '1767603600.000100',
            text: 'hello',
          },
        };
        const first = await recordRequest(db, request);
        assert.equal(first.duplicate, false);
        assert.ok(first.runId);
        const second = await recordRequest(db, {
          ...request,
          receivedAt: new Date(receivedAt.getTime() + 3000),
        });
        assert.deepEqual(
          { ...second, duplicate: undefined },
          { ...first, duplicate: undefined, deliveries: 2 },
        );
        assert.equal(second.duplicate, true);
        const stored = await db.query<{
          payload: Record<string, unknown>;
          deliveries: number;
          run_id: string;
        }>('SELECT payload, deliveries, run_id FROM requests');
        assert.equal(stored.rows.length, 1);
        assert.equal(stored.rows[0]!.payload.token, undefined);
        assert.equal(stored.rows[0]!.payload.event_id, 'Ev0INBOX01');
        const runs = await db.query<{
          state: string;
          thread_ts: string;
          created_at: Date;
          correlation_id: string;
        }>('SELECT state, thread_ts, created_at, correlation_id FROM runs');
        assert.equal(runs.rows.length, 1);
        assert.equal(runs.rows[0]!.state, 'received');
        assert.equal(runs.rows[0]!.thread_ts, '1767603600.000100');
        assert.equal(runs.rows[0]!.created_at.getTime(), receivedAt.getTime());
        assert.equal(runs.rows[0]!.correlation_id, first.correlationId);
        const transitions = await db.query<{ to_state: string }>('SELECT to_state FROM run_transitions');
        assert.deepEqual(transitions.rows, [{ to_state: 'received' }]);

        const click = await recordRequest(db, {
          key: 'interaction:sha256:x',
          kind: 'interaction',
          payload: {},
          receivedAt,
        });
        assert.equal(click.runId, null, 'a button click starts no run of its own');
        assert.equal((await db.query('SELECT 1 FROM runs')).rows.length, 1);
      } finally {
        await db.close();
      }
    });
  });
}
