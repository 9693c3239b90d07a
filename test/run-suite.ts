import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { testLogDir } from './support/test-logger.ts';

/**
 * `npm run test:unit`: runs every *.test.ts under test/, src/, handlers/ and retrieval/ with
 * node's test runner, then scans the logs captured during the run for anything shaped like a
 * Slack or Anthropic secret. Arguments narrow the run to matching paths.
 */

const root = path.resolve(import.meta.dirname, '..');
const filters = process.argv.slice(2);

function findTests(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) return [];
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return findTests(full);
    return entry.name.endsWith('.test.ts') ? [path.relative(root, full)] : [];
  });
}

const files = ['test', 'src', 'handlers', 'retrieval']
  .flatMap((d) => findTests(path.join(root, d)))
  .filter((f) => filters.length === 0 || filters.some((filter) => f.includes(filter)))
  .sort();

fs.rmSync(testLogDir, { recursive: true, force: true });
fs.mkdirSync(testLogDir, { recursive: true });

const started = Date.now();
const run = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, SLUICE_TEST_LOG_DIR: testLogDir } },
);

const secretShapes = [/xox[abposre]-/, /xapp-/, /sk-ant-/];
let lines = 0;
const leaks: string[] = [];
for (const file of fs.readdirSync(testLogDir)) {
  const text = fs.readFileSync(path.join(testLogDir, file), 'utf8');
  for (const line of text.split('\n')) {
    if (!line) continue;
    lines++;
    if (secretShapes.some((s) => s.test(line))) leaks.push(`${file}: ${line.slice(0, 200)}`);
  }
}
console.log(
  `log scan: ${lines} captured log lines from ${fs.readdirSync(testLogDir).length} files, ${leaks.length} with a secret`,
);
for (const leak of leaks.slice(0, 20)) console.log(`  LEAK ${leak}`);
console.log(`suite: ${files.length} files in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exitCode = run.status !== 0 ? (run.status ?? 1) : leaks.length > 0 ? 1 : 0;
