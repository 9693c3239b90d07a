import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isAlive } from '../db/data-dir-lock.ts';
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
 * a data directory (on one host, or containers on one volume), so each writes a folder of its
 * own ("slot"):
 *
 *   <data dir>/inbox-journal/server-<database>/slot-<started ms>-<pid>-<random>/
 *
 * holding `owner.json` (pid and host name), whose time the process refreshes every 10 seconds.
 * A slot belongs to a process that is gone when its owner ran on this host and that pid is not
 * running (or is this process's own pid, as in a restarted container, and not held here), or
 * when it ran on another host and has not been refreshed for a minute. At start a process claims
 * every such slot by renaming it into its own (a rename succeeds for one claimant only), moves its
 * segment files in, oldest slot first, so its inbox stores them with its own leftovers, and
 * removes what is left. `<database>` is a hash of the server's address and database name: a data
 * directory used with another server does not send one server's requests to the other.
 */

const OWNER_FILE = 'owner.json';
const HEARTBEAT_MS = 10_000;
/** A slot of another host not refreshed for this long is taken to be a stopped process's. */
const STALE_MS = 60_000;

export function serverInboxJournalRoot(dataDir: string, databaseLocation: string): string {
  const database = createHash('sha256').update(databaseLocation).digest('hex').slice(0, 12);
  return path.join(dataDir, 'inbox-journal', `server-${database}`);
}

export interface ServerInboxJournal extends InboxJournal {
  /** Lines adopted from the slots of processes that are gone (they are among `leftovers`). */
  readonly adopted: number;
}

/** Slots this process owns (so one with this process's pid is not mistaken for a restarted container's). */
const ownSlots = new Set<string>();

export function openServerInboxJournal(
  root: string,
  options: { segmentBytes?: number } = {},
): ServerInboxJournal {
  const slot = path.join(
    root,
    `slot-${String(Date.now()).padStart(13, '0')}-${process.pid}-${randomBytes(3).toString('hex')}`,
  );
  try {
    fs.mkdirSync(slot, { recursive: true });
    ownSlots.add(slot);
    writeOwner(slot);
    adoptStoppedSlots(root, slot);
    const journal = openInboxJournal(slot, options);
    const heartbeat = setInterval(() => touchOwner(slot), HEARTBEAT_MS);
    heartbeat.unref();
    return {
      ...journal,
      // The slot is new: everything in it was adopted.
      adopted: journal.leftovers.length,
      close() {
        clearInterval(heartbeat);
        journal.close();
        ownSlots.delete(slot);
        // An empty slot is removed; one holding lines or refused requests is left for the next start.
        const left = fs.readdirSync(slot).filter((f) => f !== OWNER_FILE);
        if (left.length === 0) fs.rmSync(slot, { recursive: true, force: true });
      },
    };
  } catch (error) {
    ownSlots.delete(slot);
    // Removed only if it holds nothing adopted; otherwise the next start adopts it in turn.
    try {
      if (fs.readdirSync(slot).every((f) => f === OWNER_FILE))
        fs.rmSync(slot, { recursive: true, force: true });
    } catch {
      // The slot could not even be made.
    }
    throw new SluiceError(
      'config_invalid',
      `could not open the inbox journal in ${root}: ${(error as Error).message}; make SLUICE_DATA_DIR a writable directory on this host, or set SLUICE_INBOX_JOURNAL=off to acknowledge Slack only after each request is in the database`,
      { cause: error },
    );
  }
}

/** Claims every slot under `root` whose process is gone and moves its lines into `slot`. */
function adoptStoppedSlots(root: string, slot: string): void {
  let next = (segmentFiles(slot).at(-1)?.n ?? 0) + 1;
  /** A claimed slot's lines, after those of slots it was itself adopting when its process died. */
  const moveLines = (from: string) => {
    for (const inner of fs
      .readdirSync(from)
      .filter((f) => f.startsWith('adopting-'))
      .sort()) {
      moveLines(path.join(from, inner));
    }
    for (const f of segmentFiles(from)) fs.renameSync(path.join(from, f.name), segmentFile(slot, next++));
    const refused = path.join(from, REFUSED_FILE);
    if (fs.existsSync(refused)) fs.appendFileSync(path.join(slot, REFUSED_FILE), fs.readFileSync(refused));
  };
  for (const name of fs.readdirSync(root).sort()) {
    const other = path.join(root, name);
    if (other === slot || !name.startsWith('slot-') || isRunning(other, Date.now())) continue;
    // The rename is the claim: another process starting at the same moment gets ENOENT and moves on.
    const claimed = path.join(slot, `adopting-${name}`);
    try {
      fs.renameSync(other, claimed);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    moveLines(claimed);
    fs.rmSync(claimed, { recursive: true, force: true });
  }
}

function writeOwner(slot: string): void {
  fs.writeFileSync(
    path.join(slot, OWNER_FILE),
    `${JSON.stringify({ pid: process.pid, host: os.hostname() })}\n`,
  );
}

function touchOwner(slot: string): void {
  try {
    const t = new Date();
    fs.utimesSync(path.join(slot, OWNER_FILE), t, t);
  } catch {
    // The slot's folder was removed under the process (an operator, or another host's adoption
    // after a long stall): write it again; its lines are in the database or adopted by then.
    try {
      fs.mkdirSync(slot, { recursive: true });
      writeOwner(slot);
    } catch {
      // Nothing more to do here; the next beat tries again.
    }
  }
}

/** Whether the slot's process may still be running (see the module's comment). */
function isRunning(slot: string, now: number): boolean {
  if (ownSlots.has(slot)) return true;
  let owner: { pid?: unknown; host?: unknown };
  let touched: number;
  try {
    const file = path.join(slot, OWNER_FILE);
    owner = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof owner;
    touched = fs.statSync(file).mtimeMs;
  } catch {
    // No readable owner: a process that died while making its slot, or a damaged one.
    return false;
  }
  if (owner.host === os.hostname() && typeof owner.pid === 'number') {
    return owner.pid !== process.pid && isAlive(owner.pid);
  }
  return now - touched < STALE_MS;
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
    if (isRunning(slot, Date.now())) {
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
