import fs from 'node:fs';
import path from 'node:path';
import { SluiceError } from '../errors.ts';
import type { JobSpec } from '../jobs/job-queue.ts';
import type { RequestKind, RunSeed } from './record-request.ts';

/**
 * The inbox journal: a Slack request is written here, one JSON line, before Slack gets its ack,
 * and moved into the database right after (src/inbox/create-inbox.ts). The ack then waits for one
 * `write` to a file instead of for the database (on the embedded database, its one session, which
 * workers keep busy; on a server, a round trip and a commit, or a failover). For the embedded
 * database the folder sits in the data directory beside `pgdata`, under the same lock; for a
 * server each process has a folder of its own (src/inbox/server-inbox-journal.ts). Like the
 * embedded database (PGlite runs with fsync off) it survives the process, not the machine. A
 * process that stops with lines not yet moved leaves them for the next start, which moves them
 * first (`leftovers`); a request's key makes moving one twice harmless.
 *
 * The journal is a series of segment files `inbox-journal-<n>.jsonl`. The current one is emptied
 * whenever every line in it has been moved; past 8 MB a new one is started and the old one is
 * deleted once its lines are all moved. A line the database refuses (it cannot succeed on a
 * retry) is copied to `inbox-journal-refused.jsonl` for an operator.
 */

export interface JournalRecord {
  key: string;
  kind: RequestKind;
  payload: unknown;
  /** ISO 8601. */
  receivedAt: string;
  run: RunSeed | null;
  runId: string | null;
  jobs: JobSpec[];
}

/** A journal line and the segment it is in. */
export interface JournalEntry {
  record: JournalRecord;
  segment: number;
}

export interface InboxJournal {
  /** The folder, or undefined for a journal kept in memory (an in-memory database). */
  readonly dir: string | undefined;
  /** Lines an earlier process wrote and did not move, oldest first; unreadable (torn) lines are counted. */
  readonly leftovers: readonly JournalEntry[];
  readonly tornLines: number;
  /** Writes one line; throws (and leaves the file as it was) if it cannot. */
  append(record: JournalRecord): JournalEntry;
  /** The line is in the database: its segment is emptied or deleted once all its lines are. */
  moved(entry: JournalEntry): void;
  /** The database refused the line for good: kept aside for an operator. */
  refuse(entry: JournalEntry, reason: string): void;
  close(): void;
}

const PREFIX = 'inbox-journal-';
export const REFUSED_FILE = 'inbox-journal-refused.jsonl';
const SEGMENT_BYTES = 8 * 1024 * 1024;

/**
 * Where the journal of an embedded database kept in a data directory lives: beside its `pgdata`.
 * None for a server (no journal) or an in-memory database (a journal in memory).
 */
export function inboxJournalDir(db: { kind: string; location: string }): string | undefined {
  if (db.kind !== 'embedded' || db.location === 'memory://') return undefined;
  return path.join(path.dirname(db.location), 'inbox-journal');
}

/** What a journal folder holds, read without changing it (`sluice doctor`). */
export function inspectInboxJournal(dir: string): { waiting: number; torn: number; refused: number } {
  if (!fs.existsSync(dir)) return { waiting: 0, torn: 0, refused: 0 };
  const { leftovers, tornLines } = readSegments(dir);
  const refusedFile = path.join(dir, REFUSED_FILE);
  const refused = fs.existsSync(refusedFile)
    ? fs.readFileSync(refusedFile, 'utf8').split('\n').filter(Boolean).length
    : 0;
  return { waiting: leftovers.length, torn: tornLines, refused };
}

function readSegments(dir: string) {
  const found = segmentFiles(dir);
  const leftovers: JournalEntry[] = [];
  let tornLines = 0;
  for (const f of found) {
    for (const line of fs.readFileSync(path.join(dir, f.name), 'utf8').split('\n')) {
      if (!line) continue;
      const record = parseRecord(line);
      if (record) leftovers.push({ record, segment: f.n });
      else tornLines++;
    }
  }
  return { found, leftovers, tornLines };
}

/** A journal in `dir` (created if missing), or in memory when `dir` is undefined. */
export function openInboxJournal(
  dir: string | undefined,
  options: { segmentBytes?: number } = {},
): InboxJournal {
  const segmentBytes = options.segmentBytes ?? SEGMENT_BYTES;
  if (!dir) return memoryJournal();
  fs.mkdirSync(dir, { recursive: true });
  const { found, leftovers, tornLines } = readSegments(dir);
  const pending = new Map<number, number>();
  for (const e of leftovers) pending.set(e.segment, (pending.get(e.segment) ?? 0) + 1);
  // A segment whose lines were all unreadable has nothing left to move.
  for (const f of found) if (!pending.has(f.n)) fs.rmSync(path.join(dir, f.name), { force: true });

  let segment = (found.at(-1)?.n ?? 0) + 1;
  let fd = fs.openSync(segmentFile(dir, segment), 'a');
  let size = 0;

  const settle = (n: number) => {
    if ((pending.get(n) ?? 0) > 0) return;
    pending.delete(n);
    if (n === segment) {
      if (size > 0) {
        fs.ftruncateSync(fd, 0);
        size = 0;
      }
    } else {
      fs.rmSync(segmentFile(dir, n), { force: true });
    }
  };

  function moved(entry: JournalEntry): void {
    pending.set(entry.segment, (pending.get(entry.segment) ?? 1) - 1);
    settle(entry.segment);
  }

  return {
    dir,
    leftovers,
    tornLines,
    append(record) {
      if (size >= segmentBytes) {
        fs.closeSync(fd);
        const previous = segment;
        segment++;
        fd = fs.openSync(segmentFile(dir, segment), 'a');
        size = 0;
        settle(previous);
      }
      const bytes = Buffer.from(`${JSON.stringify(record)}\n`);
      try {
        let written = 0;
        while (written < bytes.length) written += fs.writeSync(fd, bytes, written);
      } catch (error) {
        // A part-written line would run into the next one: cut the file back to where it was.
        try {
          fs.ftruncateSync(fd, size);
        } catch {
          // Nothing more can be done here; reading skips a torn line.
        }
        throw new SluiceError(
          'database_unavailable',
          `could not write the inbox journal in ${dir}: ${(error as Error).message}; check that the data directory's disk has space and is writable`,
          { cause: error },
        );
      }
      size += bytes.length;
      pending.set(segment, (pending.get(segment) ?? 0) + 1);
      return { record, segment };
    },
    moved,
    refuse(entry, reason) {
      fs.appendFileSync(
        path.join(dir, REFUSED_FILE),
        `${JSON.stringify({ refusedAt: new Date().toISOString(), reason, record: entry.record })}\n`,
      );
      moved(entry);
    },
    close() {
      fs.closeSync(fd);
      if (size === 0 && !pending.has(segment)) fs.rmSync(segmentFile(dir, segment), { force: true });
    },
  };
}

function memoryJournal(): InboxJournal {
  return {
    dir: undefined,
    leftovers: [],
    tornLines: 0,
    append: (record) => ({ record, segment: 0 }),
    moved() {},
    refuse() {},
    close() {},
  };
}

/** The journal's segment files in `dir`, oldest first. */
export function segmentFiles(dir: string): { name: string; n: number }[] {
  return fs
    .readdirSync(dir)
    .map((name) => ({ name, n: segmentNumber(name) }))
    .filter((f): f is { name: string; n: number } => f.n !== undefined)
    .sort((a, b) => a.n - b.n);
}

export function segmentFile(dir: string, n: number): string {
  return path.join(dir, `${PREFIX}${String(n).padStart(8, '0')}.jsonl`);
}

function segmentNumber(name: string): number | undefined {
  const m = /^inbox-journal-(\d{8,})\.jsonl$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

function parseRecord(line: string): JournalRecord | undefined {
  try {
    const r = JSON.parse(line) as Partial<JournalRecord>;
    if (typeof r.key !== 'string' || typeof r.kind !== 'string' || typeof r.receivedAt !== 'string') return;
    if (!Array.isArray(r.jobs)) return;
    return r as JournalRecord;
  } catch {
    return undefined;
  }
}
