import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import type { StatementPriority } from './database.ts';

/**
 * Who goes next on a database that has one session (PGlite). Each unit of work (one statement,
 * one multi-statement script, or a whole transaction with all its statements) has the session to
 * itself from start to end, so transactions stay atomic and isolated from each other and from
 * single statements. Waiting units start by priority, then in arrival order: an inbox write that
 * a Slack ack waits for goes ahead of the queued work of busy run workers.
 *
 * The priority is that of the async context that asked (`withPriority`), so code deep in a call
 * chain (a run step, the job queue's own polling) need not pass it along.
 *
 * Written out rather than built on p-queue: it is a lock with three waiting lines, and p-queue
 * stays in src/jobs (test/architecture keeps the in-process limiters there).
 */

export interface SessionScheduler {
  /** Runs `work` alone on the session once every waiting unit of higher priority has run. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Runs `fn` with every unit it schedules, directly or through callees, at `priority`. */
  withPriority<T>(priority: StatementPriority, fn: () => Promise<T>): Promise<T>;
}

/** Highest first. */
const LINES: readonly StatementPriority[] = ['interactive', 'normal', 'background'];

export function createSessionScheduler(): SessionScheduler {
  const priority = new AsyncLocalStorage<StatementPriority>();
  const lines = new Map<StatementPriority, (() => void)[]>(LINES.map((p) => [p, []]));
  let busy = false;

  const startNext = () => {
    for (const line of lines.values()) {
      const start = line.shift();
      if (start) return start();
    }
    busy = false;
  };

  return {
    run<T>(work: () => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const start = (context?: AsyncResource) => {
          let done: Promise<T>;
          try {
            done = context ? context.runInAsyncScope(work) : work();
          } catch (error) {
            done = Promise.reject(error);
          }
          done.then(resolve, reject).finally(startNext);
        };
        if (busy) {
          // A waiting unit keeps the caller's async context: started when another finishes, it
          // would otherwise run in that one's, and its statements must keep their own priority.
          // (Not AsyncResource.bind, which costs far more per call on Node 20.)
          const context = new AsyncResource('sluice-db-unit');
          lines.get(priority.getStore() ?? 'normal')!.push(() => start(context));
        } else {
          busy = true;
          start();
        }
      });
    },
    withPriority(level, fn) {
      return priority.run(level, fn);
    },
  };
}
