import fs from 'node:fs';
import path from 'node:path';
import { SluiceError } from '../errors.ts';

/**
 * Only one process may open an embedded data directory: PGlite has no locking of its own and two
 * writers corrupt it. The lock is a file holding the owner's pid; a lock whose pid is gone (or is
 * this very process without holding it, as after a container restart) is stale and taken over.
 */

/** Lock files this process holds. One 'exit' listener releases them all (one per open would pile up). */
const heldLocks = new Set<string>();
let exitListenerAdded = false;

export interface DataDirLock {
  readonly file: string;
  release(): void;
}

export function acquireDataDirLock(dataDir: string): DataDirLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'sluice.lock');
  if (heldLocks.has(file)) throw inUse(dataDir, process.pid);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      heldLocks.add(file);
      if (!exitListenerAdded) {
        exitListenerAdded = true;
        process.on('exit', () => {
          for (const held of [...heldLocks]) releaseLock(held);
        });
      }
      return { file, release: () => releaseLock(file) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = readPid(file);
      if (owner !== undefined && owner !== process.pid && isAlive(owner)) throw inUse(dataDir, owner);
      try {
        fs.unlinkSync(file);
      } catch {
        // Another process removed the stale lock first; try again.
      }
    }
  }
  throw inUse(dataDir, readPid(file) ?? 0);
}

function releaseLock(file: string): void {
  if (!heldLocks.delete(file)) return;
  try {
    if (readPid(file) === process.pid) fs.unlinkSync(file);
  } catch {
    // Already gone: nothing to release.
  }
}

/** How many data-directory locks this process holds (tests check that releases are tracked). */
export function heldDataDirLocks(): number {
  return heldLocks.size;
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid runs on this host (EPERM: it does, as another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function inUse(dataDir: string, pid: number): SluiceError {
  return new SluiceError(
    'data_dir_in_use',
    `data directory ${dataDir} in use by pid ${pid}; stop that process first, or set SLUICE_DATA_DIR to another directory (or DATABASE_URL to a Postgres server for several processes)`,
    { details: { dataDir, pid } },
  );
}
