import type { AuditLog } from '../audit/audit-log.ts';
import type { DigestConfig, DigestSchedule } from '../config.ts';
import { listActivePauses } from '../control/active-pauses.ts';
import type { Database, Queryable } from '../db/database.ts';
import { enqueueOutbox } from '../outbox/outbox-message.ts';
import { collectDigestFigures, type DigestFigures } from './digest-figures.ts';
import { previousSlot, slotsBetween } from './digest-slots.ts';
import type { DigestRenderer, UnpostedSlot } from './digest-to-render.ts';

/**
 * Scheduled and on-demand digests. `runDueSlots` is what every scheduler tick calls, on every
 * replica: each slot is claimed by inserting its digest_slots row, and only the replica whose
 * insert wins (the primary key makes exactly one) posts, in the same transaction, through the
 * outbox. A crash before commit leaves neither the claim nor the message, so the slot stays due.
 */

export interface DigestServiceDeps {
  db: Database;
  render: DigestRenderer;
  clock: () => Date;
  config: { digest: DigestConfig; llm: { budgets: { dayUsd: number } } };
  /** When given, every posted or paused-skipped slot and every on-demand digest is audited. */
  audit?: AuditLog;
}

export type SlotOutcome = 'posted' | 'skipped_paused' | 'missed' | 'taken';

export interface SlotResult {
  scheduleKey: string;
  slotAt: Date;
  outcome: SlotOutcome;
}

export interface DigestNowRequest {
  /** Where to post: a channel id, or the requester's user id for a direct message. */
  channelId: string;
  /** Idempotency key, e.g. the slash command's request key: the same key posts once. */
  key: string;
  /** Hours back from now the digest covers (default 24). */
  hours?: number;
  /** The Slack user who asked, for the audit log. */
  requestedBy?: string;
}

export interface DigestService {
  runDueSlots(now?: Date): Promise<SlotResult[]>;
  digestNow(request: DigestNowRequest): Promise<{ posted: boolean; outboxKey: string }>;
}

const NOT_RUNNING = 'no scheduler was running at the time';

export function createDigestService(deps: DigestServiceDeps): DigestService {
  const { db, render, clock, config, audit } = deps;
  const graceMs = config.digest.graceMinutes * 60_000;
  const figureOptions = { baselines: config.digest.baselines, dayBudgetUsd: config.llm.budgets.dayUsd };

  async function pauseFor(q: Queryable, channelId: string): Promise<string | null> {
    const pauses = await listActivePauses(q);
    const pause = pauses.find(
      (p) => p.scopeKind === 'global' || (p.scopeKind === 'channel' && p.scopeValue === channelId),
    );
    return pause ? pause.reason : null;
  }

  async function recordMissed(schedule: DigestSchedule, slotAt: Date, now: Date): Promise<SlotOutcome> {
    const inserted = await db.query(
      `INSERT INTO digest_slots (schedule_key, slot_at, status, reason, channel_id, recorded_at)
       VALUES ($1, $2, 'missed', $3, $4, $5) ON CONFLICT DO NOTHING RETURNING slot_at`,
      [schedule.key, slotAt, NOT_RUNNING, schedule.channel, now],
    );
    return inserted.rows.length > 0 ? 'missed' : 'taken';
  }

  async function claimSlot(
    schedule: DigestSchedule,
    slotAt: Date,
    now: Date,
    late: boolean,
  ): Promise<SlotOutcome> {
    return db.transaction(async (tx) => {
      const claimed = await tx.query(
        `INSERT INTO digest_slots (schedule_key, slot_at, status, channel_id, late, recorded_at)
         VALUES ($1, $2, 'posted', $3, $4, $5) ON CONFLICT DO NOTHING RETURNING slot_at`,
        [schedule.key, slotAt, schedule.channel, late, now],
      );
      // Another scheduler recorded this slot first: it posts (or skipped), we do nothing.
      if (claimed.rows.length === 0) return 'taken';
      const paused = await pauseFor(tx, schedule.channel);
      if (paused !== null) {
        await tx.query(
          `UPDATE digest_slots SET status = 'skipped_paused', reason = $3 WHERE schedule_key = $1 AND slot_at = $2`,
          [schedule.key, slotAt, `paused: ${paused}`],
        );
        await audit?.append(tx, {
          actor: 'system',
          kind: 'digest.skipped',
          detail: { schedule: schedule.key, slotAt: slotAt.toISOString(), why: 'paused', pause: paused },
        });
        return 'skipped_paused';
      }
      const last = await tx.query<{ at: Date | null }>(
        `SELECT max(slot_at) AS at FROM digest_slots
          WHERE schedule_key = $1 AND status = 'posted' AND slot_at < $2`,
        [schedule.key, slotAt],
      );
      const lastPosted = last.rows[0]?.at ?? null;
      const period = { from: lastPosted ?? previousSlot(schedule.cron, schedule.tz, slotAt), to: slotAt };
      const unposted = await tx.query<{
        slot_at: Date;
        status: UnpostedSlot['status'];
        reason: string | null;
      }>(
        `SELECT slot_at, status, reason FROM digest_slots
          WHERE schedule_key = $1 AND status <> 'posted' AND slot_at < $2 AND ($3::timestamptz IS NULL OR slot_at > $3)
          ORDER BY slot_at`,
        [schedule.key, slotAt, lastPosted],
      );
      const figures = await collectDigestFigures(tx, period, figureOptions);
      const draft = render({
        figures,
        timeZone: schedule.tz,
        trigger: 'scheduled',
        late,
        unposted: unposted.rows.map((r) => ({ slotAt: r.slot_at, status: r.status, reason: r.reason })),
        pausedReason: null,
      });
      const outboxKey = `digest:${schedule.key}:${slotAt.toISOString()}`;
      await enqueueOutbox(tx, { operation: 'post', key: outboxKey, channelId: schedule.channel, ...draft });
      await tx.query(
        `UPDATE digest_slots SET period_from = $3, period_to = $4, outbox_key = $5
          WHERE schedule_key = $1 AND slot_at = $2`,
        [schedule.key, slotAt, period.from, period.to, outboxKey],
      );
      await audit?.append(tx, {
        actor: 'system',
        kind: 'digest.posted',
        effect: 'slack.post_message',
        detail: {
          schedule: schedule.key,
          slotAt: slotAt.toISOString(),
          late,
          outboxKey,
          figures: headline(figures),
        },
      });
      return 'posted';
    });
  }

  async function runSchedule(schedule: DigestSchedule, now: Date): Promise<SlotResult[]> {
    const last = await db.query<{ at: Date | null }>(
      'SELECT max(slot_at) AS at FROM digest_slots WHERE schedule_key = $1',
      [schedule.key],
    );
    // A schedule seen for the first time starts now: it does not post for slots before it existed.
    const after = last.rows[0]?.at ?? new Date(now.getTime() - graceMs);
    const due = slotsBetween(schedule.cron, schedule.tz, after, now);
    const results: SlotResult[] = [];
    for (const [i, slotAt] of due.entries()) {
      const newest = i === due.length - 1;
      const late = now.getTime() - slotAt.getTime() > graceMs;
      // Missed-slot policy: older missed slots are only recorded; the newest one is posted when
      // on time, or late once under catch_up_once (its period reaches back to the last digest).
      const post = newest && (!late || schedule.missed === 'catch_up_once');
      const outcome = post
        ? await claimSlot(schedule, slotAt, now, late)
        : await recordMissed(schedule, slotAt, now);
      results.push({ scheduleKey: schedule.key, slotAt, outcome });
    }
    return results;
  }

  return {
    async runDueSlots(now = clock()) {
      const results: SlotResult[] = [];
      for (const schedule of config.digest.schedules) results.push(...(await runSchedule(schedule, now)));
      return results;
    },

    async digestNow(request) {
      const now = clock();
      const hours = request.hours ?? 24;
      const period = { from: new Date(now.getTime() - hours * 3_600_000), to: now };
      const outboxKey = `digest:now:${request.key}`;
      const posted = await db.transaction(async (tx) => {
        const figures = await collectDigestFigures(tx, period, figureOptions);
        const draft = render({
          figures,
          timeZone: config.digest.schedules[0]?.tz ?? 'UTC',
          trigger: 'on_demand',
          late: false,
          unposted: [],
          pausedReason: await pauseFor(tx, request.channelId),
        });
        return enqueueOutbox(tx, {
          operation: 'post',
          key: outboxKey,
          channelId: request.channelId,
          ...draft,
        });
      });
      return { posted, outboxKey };
    },
  };
}

/** The digest's headline numbers, kept in the audit entry so a posted figure can be checked later. */
function headline(f: DigestFigures) {
  return {
    period: { from: f.period.from.toISOString(), to: f.period.to.toISOString() },
    runs: f.runs.total,
    succeeded: f.runs.succeeded,
    failed: f.runs.failed,
    decisions: f.decisions,
    approvals: { requested: f.approvals.requested, expired: f.approvals.expired },
    spendUsd: f.spend.spendUsd,
    hoursSaved: f.hoursSaved.totalHours,
    baselines: f.hoursSaved.baselines,
    gaps: f.gaps.count,
  };
}
