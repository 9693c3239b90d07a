import { startCronTicker } from '../jobs/cron-ticker.ts';
import type { Logger } from '../logger.ts';
import type { DigestService } from './digest-service.ts';

/**
 * The scheduler tick: node-cron calls `runDueSlots` at second 1 of every minute on every
 * replica, and once at start (slots missed while down are handled by the missed-slot policy).
 * The schedules' own cron expressions and zones are read by `runDueSlots` (through cron-parser),
 * not by node-cron: a tick finds every slot that fell due since the last one, so a tick that
 * runs late or a daylight-saving jump neither loses nor doubles a slot, and slot claims in
 * Postgres make the ticks of many replicas post each digest once. Ticks never overlap; a failed
 * tick is logged and the next one finds the slot still due (nothing was committed).
 */

export interface DigestTicker {
  stop(): Promise<void>;
}

/** Every minute, one second past the boundary (node-cron's six-field form, seconds first). */
export const DIGEST_TICK = '1 * * * * *';

export function startDigestTicker(
  service: Pick<DigestService, 'runDueSlots'>,
  logger: Logger,
  options: { every?: string } = {},
): DigestTicker {
  let running: Promise<void> | null = null;

  const tick = () => {
    if (running) return running;
    running = service
      .runDueSlots()
      .then((results) => {
        for (const r of results.filter((x) => x.outcome !== 'taken')) {
          logger.info({ schedule: r.scheduleKey, slotAt: r.slotAt, outcome: r.outcome }, 'digest slot');
        }
      })
      .catch((error: unknown) => logger.error({ err: error }, 'digest tick failed; the slot stays due'))
      .finally(() => {
        running = null;
      });
    return running;
  };

  const task = startCronTicker(options.every ?? DIGEST_TICK, 'sluice-digests', tick);
  void tick();
  return {
    async stop() {
      await task.stop();
      await running;
    },
  };
}
