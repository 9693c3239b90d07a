import { CronExpressionParser } from 'cron-parser';

/**
 * Slot arithmetic. A slot is a cron occurrence read in the schedule's time zone and stored as a
 * UTC instant; cron-parser resolves the zone (a local time that a spring-forward change skips
 * moves to the first valid instant after it, and the hour repeated in autumn fires once), so
 * every scheduler derives the same instants for the same cron and zone.
 */

/** How far back a scheduler looks for unrecorded slots: older ones are not worth recording. */
const LOOKBACK_MS = 35 * 24 * 60 * 60 * 1000;
const MAX_SLOTS = 2000;

/** Occurrences in (after, until], oldest first; at most the newest MAX_SLOTS. */
export function slotsBetween(cron: string, tz: string, after: Date, until: Date): Date[] {
  // A replica whose clock lags another's can see a recorded slot later than its own now.
  if (after.getTime() >= until.getTime()) return [];
  const start = new Date(Math.max(after.getTime(), until.getTime() - LOOKBACK_MS));
  const iterator = CronExpressionParser.parse(cron, { currentDate: start, endDate: until, tz });
  const slots: Date[] = [];
  while (iterator.hasNext()) {
    const next = iterator.next().toDate();
    if (next.getTime() <= after.getTime()) continue;
    if (next.getTime() > until.getTime()) break;
    slots.push(next);
    if (slots.length > MAX_SLOTS) slots.shift();
  }
  return slots;
}

/** The occurrence before `slot`: where a digest's period starts when no earlier one was posted. */
export function previousSlot(cron: string, tz: string, slot: Date): Date {
  return CronExpressionParser.parse(cron, { currentDate: slot, tz }).prev().toDate();
}
