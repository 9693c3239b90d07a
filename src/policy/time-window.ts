/**
 * Time windows in a named time zone (`Europe/Berlin`, `UTC`), evaluated for an instant passed in:
 * the policy engine never reads the clock itself.
 */

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];

export interface TimeWindowSpec {
  days?: readonly Weekday[];
  /** `HH:MM-HH:MM`, start inclusive, end exclusive; an end before the start spans midnight. */
  hours?: string;
  timezone: string;
}

export interface TimeWindow {
  spec: TimeWindowSpec;
  /** Undefined when `now` is inside the window; otherwise why it is not. */
  miss(now: Date): string | undefined;
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Minutes after midnight for `HH:MM` (24:00 allowed as an end), or undefined. */
export function parseClock(text: string): number | undefined {
  const m = /^(\d{2}):(\d{2})$/.exec(text);
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && min !== 0)) return undefined;
  return h * 60 + min;
}

export function parseHours(text: string): { start: number; end: number } | undefined {
  const [a, b, extra] = text.split('-');
  if (a === undefined || b === undefined || extra !== undefined) return undefined;
  const start = parseClock(a.trim());
  const end = parseClock(b.trim());
  if (start === undefined || end === undefined || start === end || start === 1440) return undefined;
  return { start, end };
}

/** Assumes a spec already validated by the policy loader (known zone, well-formed hours). */
export function compileTimeWindow(spec: TimeWindowSpec): TimeWindow {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: spec.timezone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const hours = spec.hours === undefined ? undefined : parseHours(spec.hours);
  return {
    spec,
    miss(now) {
      const parts = Object.fromEntries(format.formatToParts(now).map((p) => [p.type, p.value]));
      const day = String(parts.weekday).toLowerCase().slice(0, 3) as Weekday;
      const minute = Number(parts.hour) * 60 + Number(parts.minute);
      const local = `${day} ${parts.hour}:${parts.minute} ${spec.timezone}`;
      if (spec.days && !spec.days.includes(day)) return `it is ${local}, not on ${spec.days.join('/')}`;
      if (hours) {
        const inside =
          hours.start < hours.end
            ? minute >= hours.start && minute < hours.end
            : minute >= hours.start || minute < hours.end;
        if (!inside) return `it is ${local}, outside ${spec.hours}`;
      }
      return undefined;
    },
  };
}
