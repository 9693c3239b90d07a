import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Database, Queryable } from '../db/database.ts';
import { isSluiceError } from '../errors.ts';
import { type Logger, redactSecrets } from '../logger.ts';
import { findPostedMessage } from './find-posted-message.ts';
import { messageFromRow, type OutboxMessage, type OutboxRow } from './outbox-message.ts';
import { OUTBOX_EVENT_TYPE, type SlackWriter } from './slack-writer.ts';

/**
 * Delivers the outbox to Slack: per channel in the order messages were committed, about one
 * message per second per channel, waiting out 429 Retry-After, and retrying other failures with
 * capped backoff for as long as the outage lasts. A sender leases a channel (so replicas never
 * write one channel concurrently) and delivers the channel's oldest pending message. Before
 * posting a message that an earlier attempt may have posted, it looks for the message's key in
 * the channel's history and records that post instead of making a second one.
 */

export interface OutboxHooks {
  /** Runs in the transaction that marks the message sent (e.g. finishing its run). */
  onSent?: (tx: Queryable, message: OutboxMessage) => Promise<void>;
  /** Runs in the transaction that gives the message up (Slack refused it for good). */
  onFailed?: (tx: Queryable, message: OutboxMessage, error: string) => Promise<void>;
}

export interface OutboxSenderOptions {
  db: Database;
  slack: SlackWriter;
  logger: Logger;
  hooks?: OutboxHooks;
  /** Gap between two writes to one channel; Slack allows about one message per second. */
  pacingMs?: number;
  /** A channel lease; must outlast one Slack call and its reconciliation. */
  leaseMs?: number;
  /** How often an idle sender looks for due messages. */
  pollMs?: number;
  /** Channels delivered to at once by this sender. */
  maxChannels?: number;
  /** Backoff after a failure that is not a rate limit: base, doubling, capped. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

export interface OutboxSender {
  start(): void;
  /** Stops claiming, waits for deliveries in flight. */
  stop(): Promise<void>;
  /** Delivers what is due now, one message per due channel; returns how many channels it served. */
  deliverDue(): Promise<number>;
  /** Looks for work now instead of at the next poll. */
  wake(): void;
}

type Outcome = { nextInMs: number };

export function createOutboxSender(options: OutboxSenderOptions): OutboxSender {
  const { db, slack, hooks = {} } = options;
  const logger = options.logger.child({ component: 'outbox' });
  const pacingMs = options.pacingMs ?? 1000;
  const leaseMs = options.leaseMs ?? 60_000;
  const pollMs = options.pollMs ?? 250;
  const maxChannels = options.maxChannels ?? 8;
  const retryBaseMs = options.retryBaseMs ?? 1000;
  const retryMaxMs = options.retryMaxMs ?? 30_000;
  const owner = `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  let running = false;
  let loop: Promise<void> | undefined;
  let wakeUp: (() => void) | undefined;

  const backoffMs = (attempts: number) => {
    const capped = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.max(0, attempts - 1));
    return Math.round(capped * (0.5 + Math.random() * 0.5));
  };

  async function claimChannels(): Promise<string[]> {
    const result = await db.query<{ channel_id: string }>(
      `WITH due AS (
         SELECT c.channel_id FROM outbox_channels c
          WHERE c.next_send_at <= clock_timestamp()
            AND (c.lease_until IS NULL OR c.lease_until < clock_timestamp())
            AND EXISTS (SELECT 1 FROM outbox_messages m WHERE m.channel_id = c.channel_id AND m.state = 'pending')
          ORDER BY c.next_send_at
          LIMIT $1
          FOR UPDATE SKIP LOCKED)
       UPDATE outbox_channels c
          SET lease_owner = $2, lease_until = clock_timestamp() + $3 * interval '1 millisecond'
         FROM due WHERE c.channel_id = due.channel_id
       RETURNING c.channel_id`,
      [maxChannels, owner, leaseMs],
    );
    return result.rows.map((r) => r.channel_id);
  }

  async function release(channelId: string, nextInMs: number): Promise<void> {
    await db.query(
      `UPDATE outbox_channels
          SET next_send_at = clock_timestamp() + $3 * interval '1 millisecond', lease_owner = NULL, lease_until = NULL
        WHERE channel_id = $1 AND lease_owner = $2`,
      [channelId, owner, Math.max(0, nextInMs)],
    );
  }

  async function markSent(
    message: OutboxMessage,
    ts: string,
    how: 'posted' | 'reconciled' | 'updated',
  ): Promise<void> {
    await db.transaction(async (tx) => {
      const updated = await tx.query(
        `UPDATE outbox_messages SET state = 'sent', slack_ts = $2, sent_at = clock_timestamp(), maybe_sent = false
          WHERE id = $1 AND state = 'pending' RETURNING id`,
        [message.id, ts],
      );
      if (updated.rows.length === 1) await hooks.onSent?.(tx, { ...message, state: 'sent', slackTs: ts });
    });
    logger.debug({ key: message.key, channel: message.channelId, ts, how }, 'outbox message delivered');
  }

  async function markFailed(message: OutboxMessage, error: string): Promise<void> {
    await db.transaction(async (tx) => {
      const updated = await tx.query(
        `UPDATE outbox_messages SET state = 'failed', last_error = $2, maybe_sent = false
          WHERE id = $1 AND state = 'pending' RETURNING id`,
        [message.id, error],
      );
      if (updated.rows.length === 1) await hooks.onFailed?.(tx, { ...message, state: 'failed' }, error);
    });
    logger.error(
      { key: message.key, channel: message.channelId, error },
      'outbox message refused by Slack; given up',
    );
  }

  async function noteFailure(message: OutboxMessage, error: unknown, maybeSent: boolean): Promise<void> {
    await db.query(
      'UPDATE outbox_messages SET last_error = $2, maybe_sent = $3, failures = failures + 1 WHERE id = $1',
      [message.id, describe(error), maybeSent],
    );
  }

  /** What went wrong, and whether Slack may have acted. */
  function classify(error: unknown): 'rate_limited' | 'refused' | 'unknown' {
    if (!isSluiceError(error)) return 'unknown';
    if (error.code === 'rate_limited') return 'rate_limited';
    if (!error.retryable && error.details?.outcome === 'not_applied') return 'refused';
    return 'unknown';
  }

  /** `progress.calledSlack` tells the caller whether a failure came from the post itself. */
  async function post(message: OutboxMessage, progress: { calledSlack: boolean }): Promise<Outcome> {
    if (message.maybeSent) {
      const found = await findPostedMessage(slack, {
        channelId: message.channelId,
        threadTs: message.threadTs,
        key: message.key,
        since: message.createdAt,
      });
      if (found) {
        await markSent(message, found.ts, 'reconciled');
        return { nextInMs: 0 };
      }
    }
    // Recorded before the call: if this process dies during it, the next attempt reconciles.
    await db.query('UPDATE outbox_messages SET attempts = attempts + 1, maybe_sent = true WHERE id = $1', [
      message.id,
    ]);
    progress.calledSlack = true;
    const posted = await slack.postMessage({
      channel: message.channelId,
      text: message.payload.text,
      ...(message.payload.blocks ? { blocks: message.payload.blocks } : {}),
      ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
      metadata: {
        event_type: OUTBOX_EVENT_TYPE,
        event_payload: { key: message.key, run_id: message.runId ?? '', step: message.payload.step ?? '' },
      },
      unfurl_links: false,
      unfurl_media: false,
    });
    await markSent(message, posted.ts, 'posted');
    return { nextInMs: pacingMs };
  }

  async function update(message: OutboxMessage): Promise<Outcome> {
    const target = await db.query<{ slack_ts: string | null; state: string }>(
      'SELECT slack_ts, state FROM outbox_messages WHERE key = $1',
      [message.targetKey],
    );
    const row = target.rows[0];
    if (!row || row.state === 'failed') {
      await markFailed(message, `the message to update (${message.targetKey}) was never posted`);
      return { nextInMs: 0 };
    }
    if (row.state !== 'sent' || !row.slack_ts) return { nextInMs: pacingMs };
    await db.query('UPDATE outbox_messages SET attempts = attempts + 1 WHERE id = $1', [message.id]);
    await slack.update({
      channel: message.channelId,
      ts: row.slack_ts,
      text: message.payload.text,
      ...(message.payload.blocks ? { blocks: message.payload.blocks } : {}),
    });
    await markSent(message, row.slack_ts, 'updated');
    return { nextInMs: pacingMs };
  }

  async function deliverHead(channelId: string): Promise<void> {
    let nextInMs = 0;
    try {
      const head = await db.query<OutboxRow>(
        "SELECT * FROM outbox_messages WHERE channel_id = $1 AND state = 'pending' ORDER BY id LIMIT 1",
        [channelId],
      );
      const row = head.rows[0];
      if (!row) return;
      const message = messageFromRow(row);
      const progress = { calledSlack: false };
      try {
        nextInMs = (message.operation === 'post' ? await post(message, progress) : await update(message))
          .nextInMs;
      } catch (error) {
        const kind = classify(error);
        if (kind === 'refused') {
          await markFailed(message, describe(error));
          nextInMs = pacingMs;
        } else if (kind === 'rate_limited') {
          // A 429 on the post itself proves it did nothing; one on the history lookup proves nothing.
          await noteFailure(message, error, progress.calledSlack ? false : message.maybeSent);
          nextInMs = (isSluiceError(error) && error.retryAfterMs) || pacingMs;
          logger.warn({ channel: channelId, retryInMs: nextInMs }, 'slack rate limit; waiting as asked');
        } else {
          await noteFailure(
            message,
            error,
            message.operation === 'post' && (progress.calledSlack || message.maybeSent),
          );
          nextInMs = backoffMs(message.failures + 1);
          logger.warn(
            { channel: channelId, key: message.key, retryInMs: nextInMs, error: describe(error) },
            'outbox delivery failed; will retry',
          );
        }
      }
    } catch (error) {
      // The database itself failed; the lease lapses and the channel is tried again.
      logger.error({ err: error, channel: channelId }, 'outbox delivery could not be recorded');
      nextInMs = backoffMs(1);
    } finally {
      await release(channelId, nextInMs).catch((error: unknown) =>
        logger.error({ err: error, channel: channelId }, 'could not release an outbox channel'),
      );
    }
  }

  async function deliverDue(): Promise<number> {
    const channels = await claimChannels();
    await Promise.all(channels.map(deliverHead));
    return channels.length;
  }

  async function run(): Promise<void> {
    while (running) {
      let served = 0;
      try {
        served = await deliverDue();
      } catch (error) {
        logger.error({ err: error }, 'outbox sender could not claim channels');
      }
      if (served === 0 && running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pollMs);
          wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wakeUp = undefined;
      }
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      wakeUp?.();
      await loop;
    },
    deliverDue,
    wake() {
      wakeUp?.();
    },
  };
}

function describe(error: unknown): string {
  return redactSecrets(error instanceof Error ? error.message : String(error));
}
