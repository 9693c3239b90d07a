import type { Database, Queryable } from '../db/database.ts';
import { SluiceError } from '../errors.ts';
import { picoToUsd, usdToPico } from './price-table.ts';

/**
 * Budgets as rows in Postgres (see migrations/0011). Reserving takes row locks on the three ledger
 * rows in one fixed order (day, user, run), so concurrent reservers queue instead of deadlocking,
 * and each guarded UPDATE re-checks the limit against the row as the previous holder left it.
 */

export interface BudgetLimits {
  runUsd: number;
  userDayUsd: number;
  dayUsd: number;
  /** Model turns one run may take, whatever they cost. */
  maxTurnsPerRun: number;
}

export type BudgetScope = 'day' | 'user' | 'run';

export interface Reservation {
  id: number;
  amountPico: bigint;
}

export interface LedgerRow {
  scope: BudgetScope;
  scopeKey: string;
  limitUsd: number;
  reservedUsd: number;
  spentUsd: number;
  turns: number;
}

export interface BudgetLedger {
  /** Sets money aside for one turn; throws `budget_exceeded` naming the scope that is full. */
  reserve(input: { runId: string; userId: string; amountPico: bigint }): Promise<Reservation>;
  /** Replaces the hold with what the turn really cost. */
  settle(reservation: Reservation, actualPico: bigint): Promise<void>;
  /** Gives a hold back (the turn failed and cost nothing). */
  release(reservation: Reservation): Promise<void>;
  /** Releases holds whose holder died; returns how many. */
  sweepExpired(): Promise<number>;
  ledgers(keys: { runId?: string; userId?: string }): Promise<LedgerRow[]>;
}

export interface BudgetLedgerOptions {
  db: Database;
  limits: BudgetLimits;
  now?: () => Date;
  /** How long a hold lives without being settled (longer than any turn with its retries). */
  holdMs?: number;
}

const SCOPES = ['day', 'user', 'run'] as const;

class FullLedger extends Error {
  constructor(readonly scope: BudgetScope) {
    super(`the ${scope} budget is full`);
  }
}

interface Keys {
  day: string;
  user: string;
  run: string;
}

function keysFor(runId: string, userId: string, now: Date): Keys {
  const day = now.toISOString().slice(0, 10);
  return { day, user: `${userId}@${day}`, run: runId };
}

export function createBudgetLedger(options: BudgetLedgerOptions): BudgetLedger {
  const { db, limits } = options;
  const now = options.now ?? (() => new Date());
  const holdMs = options.holdMs ?? 10 * 60_000;
  const limitUsd: Record<BudgetScope, string> = {
    day: picoToUsd(usdToPico(limits.dayUsd)),
    user: picoToUsd(usdToPico(limits.userDayUsd)),
    run: picoToUsd(usdToPico(limits.runUsd)),
  };

  /** Resolves to the reservation id; rejects with FullLedger (rolling the holds back) when a scope is full. */
  async function tryReserve(tx: Queryable, keys: Keys, amount: string): Promise<number> {
    await tx.query(
      `INSERT INTO llm_budget_ledgers (scope, scope_key, limit_usd)
       VALUES ('day', $1, $4::numeric), ('user', $2, $5::numeric), ('run', $3, $6::numeric)
       ON CONFLICT (scope, scope_key) DO NOTHING`,
      [keys.day, keys.user, keys.run, limitUsd.day, limitUsd.user, limitUsd.run],
    );
    // Order matters: always day, then user, then run, so lock waits never form a cycle.
    for (const scope of SCOPES) {
      const turn = scope === 'run' ? 1 : 0;
      const maxTurns = scope === 'run' ? limits.maxTurnsPerRun : 2_147_483_647;
      const updated = await tx.query(
        `UPDATE llm_budget_ledgers
            SET reserved_usd = reserved_usd + $3::numeric, limit_usd = $4::numeric,
                turns = turns + $5, updated_at = now()
          WHERE scope = $1 AND scope_key = $2
            AND spent_usd + reserved_usd + $3::numeric <= $4::numeric
            AND turns + $5 <= $6`,
        [scope, keys[scope], amount, limitUsd[scope], turn, maxTurns],
      );
      // Throwing (not returning) matters: the holds already taken on earlier scopes must roll back.
      if (updated.rowCount !== 1) throw new FullLedger(scope);
    }
    const inserted = await tx.query<{ id: number }>(
      `INSERT INTO llm_budget_reservations (run_key, user_key, day_key, amount_usd, expires_at)
       VALUES ($1, $2, $3, $4::numeric, $5) RETURNING id`,
      [keys.run, keys.user, keys.day, amount, new Date(now().getTime() + holdMs)],
    );
    return inserted.rows[0]!.id;
  }

  async function exceeded(scope: BudgetScope, keys: Keys, amountPico: bigint): Promise<SluiceError> {
    const row = (
      await db.query<{ limit_usd: number; reserved_usd: number; spent_usd: number; turns: number }>(
        'SELECT limit_usd, reserved_usd, spent_usd, turns FROM llm_budget_ledgers WHERE scope = $1 AND scope_key = $2',
        [scope, keys[scope]],
      )
    ).rows[0];
    const turnsFull = scope === 'run' && (row?.turns ?? 0) >= limits.maxTurnsPerRun;
    const what = {
      day: 'the daily model budget',
      user: "this user's daily model budget",
      run: "this run's model budget",
    };
    const message = turnsFull
      ? `this run has used its ${limits.maxTurnsPerRun} model turns`
      : `${what[scope]} of $${row?.limit_usd ?? '?'} would be exceeded (spent $${row?.spent_usd ?? 0}, held $${row?.reserved_usd ?? 0}, this turn needs up to $${picoToUsd(amountPico)})`;
    return new SluiceError('budget_exceeded', message, {
      details: { scope, key: keys[scope], reason: turnsFull ? 'turns' : 'money', ...row },
    });
  }

  async function applyToLedgers(
    tx: Queryable,
    keys: Keys,
    reservedDelta: string,
    spentDelta: string,
  ): Promise<void> {
    for (const scope of SCOPES) {
      await tx.query(
        `UPDATE llm_budget_ledgers
            SET reserved_usd = GREATEST(0, reserved_usd - $3::numeric), spent_usd = spent_usd + $4::numeric,
                updated_at = now()
          WHERE scope = $1 AND scope_key = $2`,
        [scope, keys[scope], reservedDelta, spentDelta],
      );
    }
  }

  async function finish(reservation: Reservation, actual: string, status: 'settled' | 'released') {
    await db.transaction(async (tx) => {
      const held = await tx.query<{ run_key: string; user_key: string; day_key: string; amount: string }>(
        `UPDATE llm_budget_reservations SET status = $2, actual_usd = $3::numeric, settled_at = now()
          WHERE id = $1 AND status = 'held'
          RETURNING run_key, user_key, day_key, amount_usd::text AS amount`,
        [reservation.id, status, actual],
      );
      const row = held.rows[0];
      if (row) {
        await applyToLedgers(
          tx,
          { day: row.day_key, user: row.user_key, run: row.run_key },
          row.amount,
          actual,
        );
        return;
      }
      if (status !== 'settled') return;
      // The sweeper released this hold already (we were slower than holdMs); the money was still spent.
      const late = await tx.query<{ run_key: string; user_key: string; day_key: string }>(
        `UPDATE llm_budget_reservations SET status = 'settled', actual_usd = $2::numeric, settled_at = now()
          WHERE id = $1 AND status = 'released' RETURNING run_key, user_key, day_key`,
        [reservation.id, actual],
      );
      const lateRow = late.rows[0];
      if (lateRow) {
        await applyToLedgers(
          tx,
          { day: lateRow.day_key, user: lateRow.user_key, run: lateRow.run_key },
          '0',
          actual,
        );
      }
    });
  }

  async function sweepExpired(): Promise<number> {
    return db.transaction(async (tx) => {
      const expired = await tx.query<{ run_key: string; user_key: string; day_key: string; amount: string }>(
        `WITH expired AS (
           SELECT id FROM llm_budget_reservations
            WHERE status = 'held' AND expires_at < $1
            ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED)
         UPDATE llm_budget_reservations r SET status = 'released', settled_at = now()
           FROM expired WHERE r.id = expired.id
         RETURNING r.run_key, r.user_key, r.day_key, r.amount_usd::text AS amount`,
        [now()],
      );
      // Sum per ledger row, then update rows in the same fixed order as reserve does.
      const totals: Record<BudgetScope, Map<string, bigint>> = {
        day: new Map(),
        user: new Map(),
        run: new Map(),
      };
      for (const row of expired.rows) {
        const keys: Keys = { day: row.day_key, user: row.user_key, run: row.run_key };
        for (const scope of SCOPES) {
          totals[scope].set(keys[scope], (totals[scope].get(keys[scope]) ?? 0n) + usdTextToPico(row.amount));
        }
      }
      for (const scope of SCOPES) {
        for (const [key, pico] of [...totals[scope]].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
          await tx.query(
            `UPDATE llm_budget_ledgers SET reserved_usd = GREATEST(0, reserved_usd - $3::numeric), updated_at = now()
              WHERE scope = $1 AND scope_key = $2`,
            [scope, key, picoToUsd(pico)],
          );
        }
      }
      return expired.rows.length;
    });
  }

  return {
    async reserve({ runId, userId, amountPico }) {
      const keys = keysFor(runId, userId, now());
      const amount = picoToUsd(amountPico);
      const attempt = () =>
        db
          .transaction((tx) => tryReserve(tx, keys, amount))
          .catch((error: unknown) => {
            if (error instanceof FullLedger) return error.scope;
            throw error;
          });
      let result = await attempt();
      // Holds left by a crashed replica may be what fills the ledger; clear them and look again.
      if (typeof result !== 'number' && (await sweepExpired()) > 0) result = await attempt();
      if (typeof result !== 'number') throw await exceeded(result, keys, amountPico);
      return { id: result, amountPico };
    },

    settle: (reservation, actualPico) => finish(reservation, picoToUsd(actualPico), 'settled'),

    release: (reservation) => finish(reservation, '0', 'released'),

    sweepExpired,

    async ledgers({ runId, userId }) {
      const day = now().toISOString().slice(0, 10);
      const result = await db.query<{
        scope: BudgetScope;
        scope_key: string;
        limit_usd: number;
        reserved_usd: number;
        spent_usd: number;
        turns: number;
      }>(
        `SELECT scope, scope_key, limit_usd, reserved_usd, spent_usd, turns FROM llm_budget_ledgers
          WHERE (scope = 'day' AND scope_key = $1) OR (scope = 'user' AND scope_key = $2) OR (scope = 'run' AND scope_key = $3)
          ORDER BY scope`,
        [day, userId ? `${userId}@${day}` : null, runId ?? null],
      );
      return result.rows.map((r) => ({
        scope: r.scope,
        scopeKey: r.scope_key,
        limitUsd: r.limit_usd,
        reservedUsd: r.reserved_usd,
        spentUsd: r.spent_usd,
        turns: r.turns,
      }));
    },
  };
}

/** numeric text such as "0.000123000000" to pico-dollars. */
export function usdTextToPico(text: string): bigint {
  const negative = text.startsWith('-');
  const [whole = '0', frac = ''] = (negative ? text.slice(1) : text).split('.');
  const pico = BigInt(whole) * 1_000_000_000_000n + BigInt((frac + '000000000000').slice(0, 12));
  return negative ? -pico : pico;
}
