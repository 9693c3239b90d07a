import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { digestMessage } from '../../handlers/blocks/digest-message.ts';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import type { DigestSchedule } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { createDigestService, type DigestService, type SlotResult } from '../../src/digest/digest-service.ts';
import { databaseTargets } from '../support/test-database.ts';

const MINUTE = 60_000;

function schedule(cron: string, tz: string, missed: DigestSchedule['missed'] = 'skip'): DigestSchedule {
  return { key: `C0OPS:${cron}:${tz}`, cron, tz, channel: 'C0OPS', missed };
}

/** Two schedulers (as on two replicas) sharing one database, each with its own fake clock. */
function twoServices(db: Database, schedules: DigestSchedule[]): DigestService[] {
  const config = {
    digest: { schedules, baselines: { 'http.request': 15 }, graceMinutes: 15 },
    llm: { budgets: { dayUsd: 5 } },
  };
  return [0, 1].map(() =>
    createDigestService({
      db,
      render: (d) => digestMessage(d),
      clock: () => new Date(0),
      config,
      audit: createAuditLog(db),
    }),
  );
}

/** Both schedulers tick at every step from start to end; the second a few seconds after the first. */
async function tickBoth(
  services: DigestService[],
  start: Date,
  end: Date,
  stepMs: number,
): Promise<SlotResult[]> {
  const results: SlotResult[] = [];
  for (let t = start.getTime(); t <= end.getTime(); t += stepMs) {
    const batches = await Promise.all(services.map((s, i) => s.runDueSlots(new Date(t + i * 7_000))));
    results.push(...batches.flat());
  }
  return results;
}

async function digestPosts(db: Database) {
  const result = await db.query<{ key: string; payload: { text: string; blocks: unknown[] } }>(
    "SELECT key, payload FROM outbox_messages WHERE key LIKE 'digest:%' ORDER BY id",
  );
  return result.rows;
}

async function auditKinds(db: Database) {
  const result = await db.query<{ kind: string; n: number }>(
    "SELECT kind, count(*)::int AS n FROM audit_log WHERE kind LIKE 'digest.%' GROUP BY kind ORDER BY kind",
  );
  return Object.fromEntries(result.rows.map((r) => [r.kind, r.n]));
}

async function slots(db: Database) {
  const result = await db.query<{ slot_at: Date; status: string; reason: string | null }>(
    'SELECT slot_at, status, reason FROM digest_slots ORDER BY slot_at',
  );
  return result.rows;
}

const londonDay = (d: Date) =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/London',
    dateStyle: 'short',
    timeStyle: 'short',
    hourCycle: 'h23',
  }).format(d);

for (const target of databaseTargets()) {
  describe(`digest slots with two schedulers on one database (${target.name})`, () => {
    let db: Database;
    beforeEach(async () => {
      db = await target.create();
    });
    afterEach(() => db.close());

    it('posts exactly one digest for each of 60 hourly slots and no duplicates', async () => {
      const services = twoServices(db, [schedule('0 * * * *', 'UTC')]);
      const start = new Date('2026-11-20T00:01:00Z');
      // Two ticks per hour (one on time, one that finds nothing new), for 60 hours.
      const results = await tickBoth(
        services,
        start,
        new Date(start.getTime() + 59 * 60 * MINUTE + 20 * MINUTE),
        20 * MINUTE,
      );
      const posts = await digestPosts(db);
      assert.equal(posts.length, 60);
      assert.equal(new Set(posts.map((p) => p.key)).size, 60);
      assert.equal(results.filter((r) => r.outcome === 'posted').length, 60);
      const recorded = await slots(db);
      assert.equal(recorded.length, 60);
      assert.ok(recorded.every((s) => s.status === 'posted'));
      assert.equal(recorded[0]!.slot_at.toISOString(), '2026-11-20T00:00:00.000Z');
      assert.equal(recorded[59]!.slot_at.toISOString(), '2026-11-22T11:00:00.000Z');
      assert.deepEqual(await auditKinds(db), { 'digest.posted': 60 });
    });

    it('skips a slot while paused and says so in the next digest', async () => {
      const services = twoServices(db, [schedule('0 * * * *', 'UTC')]);
      await tickBoth(services, new Date('2026-11-20T09:01:00Z'), new Date('2026-11-20T09:01:00Z'), MINUTE);
      await db.query(
        "INSERT INTO pauses (scope_kind, reason, paused_by) VALUES ('global', 'incident 42', 'U1')",
      );
      const paused = await tickBoth(
        services,
        new Date('2026-11-20T10:01:00Z'),
        new Date('2026-11-20T10:01:00Z'),
        MINUTE,
      );
      assert.deepEqual(paused.map((r) => r.outcome).sort(), ['skipped_paused', 'taken']);
      await db.query("UPDATE pauses SET resumed_at = now(), resumed_by = 'U1' WHERE resumed_at IS NULL");
      await tickBoth(services, new Date('2026-11-20T11:01:00Z'), new Date('2026-11-20T11:01:00Z'), MINUTE);

      const recorded = await slots(db);
      assert.deepEqual(
        recorded.map((s) => [s.slot_at.toISOString(), s.status, s.reason]),
        [
          ['2026-11-20T09:00:00.000Z', 'posted', null],
          ['2026-11-20T10:00:00.000Z', 'skipped_paused', 'paused: incident 42'],
          ['2026-11-20T11:00:00.000Z', 'posted', null],
        ],
      );
      const posts = await digestPosts(db);
      assert.equal(posts.length, 2);
      const next = JSON.stringify(posts[1]!.payload.blocks);
      assert.match(next, /1 digest slot\(s\) since the last digest were not posted/);
      assert.match(next, /skipped \(paused: incident 42\)/);
      // The digest after the pause covers the skipped slot's period too: from 09:00 to 11:00.
      const period = await db.query<{ period_from: Date }>(
        "SELECT period_from FROM digest_slots WHERE slot_at = '2026-11-20T11:00:00Z'",
      );
      assert.equal(period.rows[0]!.period_from.toISOString(), '2026-11-20T09:00:00.000Z');
      assert.deepEqual(await auditKinds(db), { 'digest.posted': 2, 'digest.skipped': 1 });
    });

    for (const [name, start, end, expectedLocal] of [
      [
        'spring forward',
        '2026-03-27T00:00:00Z',
        '2026-03-31T00:00:00Z',
        ['2026-03-27, 01:30', '2026-03-28, 01:30', '2026-03-29, 02:30', '2026-03-30, 01:30'],
      ],
      [
        'fall back',
        '2026-10-23T00:00:00Z',
        '2026-10-27T00:00:00Z',
        ['2026-10-23, 01:30', '2026-10-24, 01:30', '2026-10-25, 01:30', '2026-10-26, 01:30'],
      ],
    ] as const) {
      it(`neither skips nor doubles a slot across the ${name} change in Europe/London`, async () => {
        // 01:30 London does not exist on 29 March (it fires at the first instant after, 02:30
        // BST) and happens twice on 25 October (it fires once).
        const services = twoServices(db, [schedule('30 1 * * *', 'Europe/London')]);
        await tickBoth(services, new Date(start), new Date(end), 10 * MINUTE);
        const recorded = await slots(db);
        assert.deepEqual(
          recorded.map((s) => londonDay(s.slot_at)),
          [...expectedLocal],
        );
        assert.ok(recorded.every((s) => s.status === 'posted'));
        assert.equal((await digestPosts(db)).length, 4);
      });
    }

    it('records slots missed while down and, under "skip", posts nothing for them', async () => {
      const services = twoServices(db, [schedule('0 * * * *', 'UTC', 'skip')]);
      await tickBoth(services, new Date('2026-11-20T09:01:00Z'), new Date('2026-11-20T09:01:00Z'), MINUTE);
      // Down from 09:30 to 12:40: slots 10:00, 11:00 and 12:00 were not posted on time.
      const results = await tickBoth(
        services,
        new Date('2026-11-20T12:40:00Z'),
        new Date('2026-11-20T12:40:00Z'),
        MINUTE,
      );
      assert.deepEqual(results.filter((r) => r.outcome === 'missed').length, 3);
      assert.equal((await digestPosts(db)).length, 1);
      await tickBoth(services, new Date('2026-11-20T13:01:00Z'), new Date('2026-11-20T13:01:00Z'), MINUTE);
      const posts = await digestPosts(db);
      assert.equal(posts.length, 2);
      assert.match(
        JSON.stringify(posts[1]!.payload.blocks),
        /3 digest slot\(s\) since the last digest were not posted/,
      );
    });

    it('under "catch_up_once" posts the newest missed slot once, late, and records the rest', async () => {
      const services = twoServices(db, [schedule('0 * * * *', 'UTC', 'catch_up_once')]);
      await tickBoth(services, new Date('2026-11-20T09:01:00Z'), new Date('2026-11-20T09:01:00Z'), MINUTE);
      await tickBoth(
        services,
        new Date('2026-11-20T12:40:00Z'),
        new Date('2026-11-20T12:50:00Z'),
        5 * MINUTE,
      );
      const recorded = await slots(db);
      assert.deepEqual(
        recorded.map((s) => [s.slot_at.toISOString().slice(11, 16), s.status]),
        [
          ['09:00', 'posted'],
          ['10:00', 'missed'],
          ['11:00', 'missed'],
          ['12:00', 'posted'],
        ],
      );
      const posts = await digestPosts(db);
      assert.equal(posts.length, 2);
      assert.match(JSON.stringify(posts[1]!.payload.blocks), /posted late/);
    });

    it('a schedule seen for the first time does not post for slots before it existed', async () => {
      const services = twoServices(db, [schedule('0 9 * * *', 'UTC')]);
      const results = await tickBoth(
        services,
        new Date('2026-11-20T15:00:00Z'),
        new Date('2026-11-20T15:00:00Z'),
        MINUTE,
      );
      assert.deepEqual(results, []);
      assert.equal((await digestPosts(db)).length, 0);
    });

    it('digestNow posts once per key to the asked channel', async () => {
      const [service] = twoServices(db, []);
      const first = await service!.digestNow({ channelId: 'U123', key: 'req-1' });
      const again = await service!.digestNow({ channelId: 'U123', key: 'req-1' });
      assert.equal(first.posted, true);
      assert.equal(again.posted, false);
      const posts = await db.query<{ channel_id: string }>(
        "SELECT channel_id FROM outbox_messages WHERE key = 'digest:now:req-1'",
      );
      assert.deepEqual(posts.rows, [{ channel_id: 'U123' }]);
    });
  });
}
