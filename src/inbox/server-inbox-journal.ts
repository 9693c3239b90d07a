import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { acquireDataDirLock, type DataDirLock, lockHolder } from '../db/data-dir-lock.ts';
import { SluiceError } from '../errors.ts';
import {
  type InboxJournal,
  inspectInboxJournal,
  openInboxJournal,
  REFUSED_FILE,
  segmentFile,
  segmentFiles,
} from './inbox-journal.ts';

/**
 * The inbox journal of a process on a Postgres server. Several processes may share a server and
 * a host (and so a data directory), so each one writes a journal folder of its own ("slot"),
 * locked with its pid like an embedded data directory:
 *
 *   <data dir>/inbox-journal/server-<database>/slot-<started ms>-<pid>-<random>/
 *
 * At start a process adopts the slots of processes that are gone (their lock's pid is not
 * running): it moves their segment files into its own slot, oldest first, so its inbox stores
 * them with its own leftovers, and removes their folders. `<database>` is a hash of the server's
 * address and database name: a data directory used with another server does not send one
 * server's requests to the other. A slot lives on this host's disk; what a process acknowledged
 * and did not store is stored by the next Sluice started on this host with this data directory.
 */

export function serverInboxJournalRoot(dataDir: string, databaseLocation: string): string {
  const database = createHash('sha256').update(databaseLocation).digest('hex').slice(0, 12);
  return path.join(dataDir, 'inbox-journal', `server-${database}`);
}

export interface ServerInboxJournal extends InboxJournal {
  /** Lines adopted from the slots of processes that are gone (they are among `leftovers`). */
  readonly adopted: number;
}

export function openServerInboxJournal(
  root: string,
  options: { segmentBytes?: number } = {},
): ServerInboxJournal {
  let lock: DataDirLock | undefined;
  try {
    fs.mkdirSync(root, { recursive: true });
    const slot = path.join(
      root,
      `slot-${String(Date.now()).padStart(13, '0')}-${process.pid}-${randomBytes(3).toString('hex')}`,
    );
    lock = acquireDataDirLock(slot);
    const before = segmentFiles(slot).length;
    adoptStaleSlots(root, slot);
    const journal = openInboxJournal(slot, options);
    const held = lock;
    return {
      ...journal,
      adopted: journal.leftovers.length - before,
      close() {
        journal.close();
        held.release();
        // An empty slot is removed; one holding lines or refused requests is left for the next start.
        if (fs.readdirSync(slot).length === 0) fs.rmSync(slot, { recursive: true, force: true });
      },
    };
  } catch (error) {
    lock?.release();
    if (error instanceof SluiceError) throw error;
    throw new SluiceError(
      'config_invalid',
      `could not open the inbox journal in ${root}: ${(error as Error).message}; make SLUICE_DATA_DIR a writable directory on this host, or set SLUICE_INBOX_JOURNAL=off to acknowledge Slack only after each request is in the database`,
      { cause: error },
    );
  }
}

/** Moves the lines and refused requests of every slot whose process is gone into `slot`. */
function adoptStaleSlots(root: string, slot: string): void {
  let next = (segmentFiles(slot).at(-1)?.n ?? 0) + 1;
  for (const name of fs.readdirSync(root).sort()) {
    const other = path.join(root, name);
    if (other === slot || !name.startsWith('slot-')) continue;
    let otherLock: DataDirLock;
    try {
      otherLock = acquireDataDirLock(other);
    } catch (error) {
      if (error instanceof SluiceError && error.code === 'data_dir_in_use') continue;
      throw error;
    }
    try {
      for (const f of segmentFiles(other)) {
        // Another process starting at the same moment may have moved it first: then it is theirs.
        if (moveIfPresent(path.join(other, f.name), segmentFile(slot, next))) next++;
      }
      const refused = path.join(other, REFUSED_FILE);
      if (fs.existsSync(refused)) {
        fs.appendFileSync(path.join(slot, REFUSED_FILE), fs.readFileSync(refused));
        fs.rmSync(refused, { force: true });
      }
    } finally {
      otherLock.release();
    }
    fs.rmSync(other, { recursive: true, force: true });
  }
}

function moveIfPresent(from: string, to: string): boolean {
  try {
    fs.renameSync(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** What the slots under `root` hold, read without changing them (`sluice doctor`). */
export function inspectServerInboxJournal(root: string): {
  waiting: number;
  torn: number;
  refused: number;
  refusedFiles: string[];
  running: number;
} {
  const total = { waiting: 0, torn: 0, refused: 0, refusedFiles: [] as string[], running: 0 };
  if (!fs.existsSync(root)) return total;
  for (const name of fs.readdirSync(root).sort()) {
    const slot = path.join(root, name);
    if (!name.startsWith('slot-')) continue;
    const found = inspectInboxJournal(slot);
    if (lockHolder(slot) !== undefined) {
      // A running process's lines are on their way to the database: not "waiting for a start".
      total.running++;
    } else {
      total.waiting += found.waiting;
      total.torn += found.torn;
    }
    total.refused += found.refused;
    if (found.refused > 0) total.refusedFiles.push(path.join(slot, REFUSED_FILE));
  }
  return total;
}
