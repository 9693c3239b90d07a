import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger, type Logger } from '../../src/logger.ts';

/**
 * Every log line written during the test suite is captured here at trace level, so that after
 * the run `test/run-suite.ts` can scan them for secrets (tokens must never reach logs).
 */
export const testLogDir = process.env.SLUICE_TEST_LOG_DIR ?? path.join(os.tmpdir(), 'sluice-test-logs');

export function testLogFile(name = String(process.pid)): string {
  fs.mkdirSync(testLogDir, { recursive: true });
  return path.join(testLogDir, `${name}.log`);
}

export function createTestLogger(): Logger {
  const destination = fs.createWriteStream(testLogFile(), { flags: 'a' });
  return createLogger({ level: 'trace', destination });
}
