import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDigestTicker } from '../../src/digest/digest-ticker.ts';
import { createTestLogger } from '../support/test-logger.ts';

describe('the digest ticker', () => {
  it('ticks repeatedly, never two ticks at once, survives a failing tick and stops', async () => {
    let calls = 0;
    let active = 0;
    let maxActive = 0;
    const service = {
      async runDueSlots() {
        calls += 1;
        active += 1;
        maxActive = Math.max(maxActive, active);
        await sleep(30);
        active -= 1;
        if (calls === 1) throw new Error('database went away');
        return [];
      },
    };
    const ticker = startDigestTicker(service, createTestLogger(), { intervalMs: 20, offsetMs: 0 });
    await sleep(400);
    await ticker.stop();
    const afterStop = calls;
    await sleep(100);
    assert.ok(calls >= 3, `only ${calls} ticks`);
    assert.equal(maxActive, 1);
    assert.equal(calls, afterStop);
  });
});
