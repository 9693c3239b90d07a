import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { previousSlot, slotsBetween } from '../../src/digest/digest-slots.ts';

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe('digest slot arithmetic', () => {
  it('lists occurrences after the first bound and up to and including the second', () => {
    assert.deepEqual(
      iso(
        slotsBetween('0 * * * *', 'UTC', new Date('2026-11-20T09:00:00Z'), new Date('2026-11-20T11:00:00Z')),
      ),
      ['2026-11-20T10:00:00.000Z', '2026-11-20T11:00:00.000Z'],
    );
  });

  it('finds nothing when a lagging clock is behind the last recorded slot', () => {
    assert.deepEqual(
      slotsBetween('0 * * * *', 'UTC', new Date('2026-11-20T10:00:00Z'), new Date('2026-11-20T09:59:50Z')),
      [],
    );
  });

  it('reads the cron in the zone: 09:00 London is 09:00 UTC in winter and 08:00 UTC in summer', () => {
    const at = (s: string) => new Date(s);
    assert.deepEqual(
      iso(slotsBetween('0 9 * * *', 'Europe/London', at('2026-01-10T00:00:00Z'), at('2026-01-10T23:00:00Z'))),
      ['2026-01-10T09:00:00.000Z'],
    );
    assert.deepEqual(
      iso(slotsBetween('0 9 * * *', 'Europe/London', at('2026-07-10T00:00:00Z'), at('2026-07-10T23:00:00Z'))),
      ['2026-07-10T08:00:00.000Z'],
    );
  });

  it('gives the occurrence before a slot, across a weekend for a weekday schedule', () => {
    // Monday 23 November 2026 09:00 London; the one before is Friday the 20th.
    assert.equal(
      previousSlot('0 9 * * 1-5', 'Europe/London', new Date('2026-11-23T09:00:00Z')).toISOString(),
      '2026-11-20T09:00:00.000Z',
    );
  });

  it('keeps only the newest slots after a very long outage', () => {
    const slots = slotsBetween(
      '*/5 * * * *',
      'UTC',
      new Date('2025-01-01T00:00:00Z'),
      new Date('2026-11-20T10:00:00Z'),
    );
    assert.equal(slots.length, 2000);
    assert.equal(slots.at(-1)!.toISOString(), '2026-11-20T10:00:00.000Z');
  });
});
