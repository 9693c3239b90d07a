import cron from 'node-cron';

/**
 * A recurring in-process tick driven by node-cron (six-field form, seconds first). Firings that
 * arrive while the previous tick is still running are dropped, not queued. For work whose
 * exactly-once-ness lives in Postgres (digest slots, approval expiry): the tick only says "look
 * now", so every replica may run one.
 */
export interface CronTicker {
  stop(): Promise<void>;
}

export function startCronTicker(expression: string, name: string, tick: () => Promise<void>): CronTicker {
  if (!cron.validate(expression)) throw new Error(`not a cron expression: "${expression}"`);
  const task = cron.schedule(expression, tick, { name, noOverlap: true });
  return {
    async stop() {
      await task.stop();
      await task.destroy();
    },
  };
}
