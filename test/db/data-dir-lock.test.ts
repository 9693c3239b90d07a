import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { acquireDataDirLock, heldDataDirLocks } from '../../src/db/data-dir-lock.ts';
import { SluiceError } from '../../src/errors.ts';

const lockModule = path.resolve(import.meta.dirname, '../../src/db/data-dir-lock.ts');

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-lock-'));
}

describe('data directory lock', () => {
  it('refuses a second open from the same process', () => {
    const dir = tempDir();
    const lock = acquireDataDirLock(dir);
    try {
      assert.throws(() => acquireDataDirLock(dir), new RegExp(`in use by pid ${process.pid}`));
    } finally {
      lock.release();
    }
  });

  it('refuses a directory held by another live process, naming its pid', async () => {
    const dir = tempDir();
    const holder = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import(${JSON.stringify(lockModule)}).then((m) => { m.acquireDataDirLock(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 1000); })`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
        holder.on('exit', (code) => reject(new Error(`holder exited early with ${code}`)));
      });
      assert.throws(
        () => acquireDataDirLock(dir),
        (error: unknown) =>
          error instanceof SluiceError &&
          error.code === 'data_dir_in_use' &&
          error.message.includes(`data directory ${dir} in use by pid ${holder.pid}`),
      );
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('takes over a stale lock left by a process that died', () => {
    const dir = tempDir();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(dead.stdout.toString());
    fs.writeFileSync(path.join(dir, 'sluice.lock'), `${deadPid}\n`);
    const lock = acquireDataDirLock(dir);
    assert.equal(fs.readFileSync(lock.file, 'utf8').trim(), String(process.pid));
    lock.release();
    assert.equal(fs.existsSync(lock.file), false);
  });

  it('can be taken again after release', () => {
    const dir = tempDir();
    acquireDataDirLock(dir).release();
    const again = acquireDataDirLock(dir);
    again.release();
  });

  it('adds one exit listener however many locks are taken and released', () => {
    acquireDataDirLock(tempDir()).release();
    const listeners = process.listenerCount('exit');
    const held = heldDataDirLocks();
    const locks = Array.from({ length: 25 }, () => acquireDataDirLock(tempDir()));
    assert.equal(process.listenerCount('exit'), listeners);
    assert.equal(heldDataDirLocks(), held + 25);
    for (const lock of locks) lock.release();
    assert.equal(heldDataDirLocks(), held);
    assert.equal(process.listenerCount('exit'), listeners);
    assert.ok(locks.every((lock) => !fs.existsSync(lock.file)));
  });

  it('removes the lock files still held when the process exits', () => {
    const dirs = [tempDir(), tempDir()];
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import(${JSON.stringify(lockModule)}).then((m) => { for (const d of ${JSON.stringify(dirs)}) m.acquireDataDirLock(d); })`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(child.status, 0, child.stderr);
    for (const dir of dirs) assert.equal(fs.existsSync(path.join(dir, 'sluice.lock')), false);
  });
});
