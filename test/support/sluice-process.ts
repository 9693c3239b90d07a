import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { testLogFile } from './test-logger.ts';

export const sluiceBin = path.resolve(import.meta.dirname, '../../bin/sluice.js');

export interface SluiceProcess {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  stdout: () => string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `sluice start` as a real process and waits for its "running at" line. */
export async function startSluiceProcess(
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<SluiceProcess> {
  const child = spawn(process.execPath, [sluiceBin, 'start'], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'debug', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      // Kept for the suite's secret scan of everything that was logged.
      fs.appendFileSync(testLogFile(`sluice-${child.pid}`), out + err);
      resolve(code);
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`sluice did not start in ${timeoutMs} ms:\n${err}`)),
      timeoutMs,
    );
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const match = /running at (http:\/\/\S+)/.exec(err);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sluice exited with ${code} before starting:\n${err}`));
    });
  });
  return {
    child,
    url,
    stderr: () => err,
    stdout: () => out,
    stop(signal: NodeJS.Signals = 'SIGINT') {
      child.kill(signal);
      return exited;
    },
  };
}

/** Runs `sluice <args>` to completion. */
export function runSluice(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [sluiceBin, ...args], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'debug', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('exit', (code) => {
      fs.appendFileSync(testLogFile(`sluice-${child.pid}`), stdout + stderr);
      resolve({ code, stdout, stderr });
    });
  });
}
