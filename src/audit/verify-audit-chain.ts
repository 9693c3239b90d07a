import type { Queryable } from '../db/database.ts';
import { GENESIS_HASH, hashEntry } from './audit-entry.ts';
import { type AuditRow, entryFromRow } from './audit-log.ts';

/**
 * Walks the whole chain in sequence order and names the first entry that does not hold:
 * a gap in the sequence (an entry deleted), a `prev_hash` that is not the previous entry's hash
 * (deleted or reordered), a hash that does not match the entry's fields (edited), or a head that
 * points past the last entry (entries deleted from the end).
 */

export interface AuditProblem {
  /** The sequence number of the first bad entry (for a missing tail: the first missing one). */
  seq: number;
  reason: string;
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  lastSeq: number;
  /** The last entry's hash; copy it somewhere outside the database to anchor the chain. */
  headHash?: string;
  problem?: AuditProblem;
}

const PAGE = 1000;

export async function verifyAuditChain(db: Queryable): Promise<AuditVerification> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  const fail = (problem: AuditProblem): AuditVerification => ({
    ok: false,
    checked,
    lastSeq: expectedSeq - 1,
    problem,
  });
  for (;;) {
    const page = await db.query<AuditRow>('SELECT * FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2', [
      expectedSeq,
      PAGE,
    ]);
    for (const row of page.rows) {
      const entry = entryFromRow(row);
      if (entry.seq !== expectedSeq) {
        return fail({
          seq: expectedSeq,
          reason: `entry ${expectedSeq} is missing: the sequence jumps from ${expectedSeq - 1} to ${entry.seq} (deleted?)`,
        });
      }
      if (entry.prevHash !== prevHash) {
        return fail({
          seq: entry.seq,
          reason: `entry ${entry.seq} does not follow entry ${entry.seq - 1}: its prev_hash differs from that entry's hash (deleted or reordered?)`,
        });
      }
      if (hashEntry(entry.prevHash, entry) !== entry.hash) {
        return fail({
          seq: entry.seq,
          reason: `entry ${entry.seq} (${entry.kind}) does not match its hash: its contents were changed`,
        });
      }
      prevHash = entry.hash;
      expectedSeq++;
      checked++;
    }
    if (page.rows.length < PAGE) break;
  }
  const head = (
    await db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_chain_head WHERE id')
  ).rows[0];
  if (!head) return fail({ seq: expectedSeq, reason: 'the chain head row is missing' });
  const last = expectedSeq - 1;
  if (head.seq > last) {
    return fail({
      seq: expectedSeq,
      reason: `entries ${expectedSeq} to ${head.seq} are missing from the end of the chain (deleted?)`,
    });
  }
  if (head.seq < last) {
    return fail({
      seq: head.seq + 1,
      reason: `entries ${head.seq + 1} to ${last} were not appended through the chain head (written by hand?)`,
    });
  }
  if (head.hash !== prevHash) {
    return fail({ seq: last, reason: `the chain head's hash differs from entry ${last}'s hash (edited?)` });
  }
  return { ok: true, checked, lastSeq: expectedSeq - 1, headHash: prevHash };
}
