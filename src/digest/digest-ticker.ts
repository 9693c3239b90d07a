import type { Logger } from '../logger.ts';
import type { DigestService } from './digest-service.ts';

/**
 * The scheduler tick: calls `runDueSlots` shortly after every minute boundary on every replica.
 * Slot claims in Postgres make the ticks of many replicas post each digest once, so the tick
 * itself needs no coordination. Ticks never overlap; a failed tick is logged and the next one
 * finds the slot still due (nothing was committed).
 */

export interface DigestTicker {
  stop(): Promise<void>;
}

export function startDigestTicker(
  service: Pick<DigestService, 'runDueSlots'>,
  logger: Logger,
  options: { intervalMs?: number; offsetMs?: number; clock?: () => Date } = {},
): DigestTicker {
  const intervalMs = options.intervalMs ?? 60_000;
  const clock = options.clock ?? (() => new Date());
  const offsetMs = options.offsetMs ?? 1_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  const schedule = () => {
    if (stopped) return;
    // A second past the boundary, so a slot at :00 is due by the time the tick looks.
    const wait = intervalMs - (clock().getTime() % intervalMs) + offsetMs;
    timer = setTimeout(tick, wait);
    timer.unref();
  };

  const tick = () => {
    running = service
      .runDueSlots(clock())
      .then((results) => {
        for (const r of results.filter((x) => x.outcome !== 'taken')) {
          logger.info({ schedule: r.scheduleKey, slotAt: r.slotAt, outcome: r.outcome }, 'digest slot');
        }
      })
      .catch((error: unknown) => logger.error({ err: error }, 'digest tick failed; the slot stays due'))
      .finally(schedule);
  };

  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
