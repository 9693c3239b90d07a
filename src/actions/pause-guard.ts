import { describePause, findBlockingPause } from '../control/kill-switch.ts';
import type { Queryable } from '../db/database.ts';
import { SluiceError } from '../errors.ts';
import type { ExecuteDeps } from './execute-action.ts';

/**
 * The kill-switch check `executeAction` runs immediately before every effect: a pause of
 * everything, of the run's channel or of the action stops it. Retryable, so the effect runs
 * once the pause is lifted (the run state machine decides whether it still should).
 */
export function createPauseGuard(db: Queryable): NonNullable<ExecuteDeps['beforeEffect']> {
  return async (target) => {
    const pause = await findBlockingPause(db, { channelId: target.channelId, action: target.action });
    if (pause) {
      throw new SluiceError('paused', `not executed: Sluice is ${describePause(pause)}`, {
        retryable: true,
        details: { scope: pause.scopeKind, value: pause.scopeValue },
      });
    }
  };
}
