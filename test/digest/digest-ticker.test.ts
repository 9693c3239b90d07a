import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDigestTicker } from '../../src/digest/digest-ticker.ts';
import { createTestLogger } from '../support/test-logger.ts';

describe('the digest ticker', () => {
  it('ticks at start and on every node-cron firing, never two at once, survives a failing tick and stops', async () => {
    let calls = 0;
    let active = 0;
    let maxActive = 0;
    const service = {
      async runDueSlots() {
        calls += 1;
        active += 1;
        maxActive = Math.max(maxActive, active);
        await sleep(1_200);
        active -= 1;
        if (calls === 1) throw new Error('database went away');
        return [];
      },
    };
    // Every second; each tick takes 1.2 s, so some firings land while a tick is still running.
    const ticker = startDigestTicker(service, createTestLogger(), { every: '* * * * * *' });
    await sleep(4_500);
    await ticker.stop();
    const afterStop = calls;
    await sleep(100);
    assert.ok(calls >= 3, `only ${calls} ticks`);
    assert.equal(maxActive, 1);
    assert.equal(calls, afterStop);
  });
});
