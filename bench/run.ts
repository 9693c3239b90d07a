import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * `npm run bench`: runs Sluice's benchmarks one after another, each in its own process, and
 * prints their figures. Benchmarks print numbers; they assert nothing (targets are read by
 * people, next to the figures). `npm run bench -- <name> [args…]` runs one with its own
 * arguments; `npm run bench -- --list` names them. The default set uses short settings so the
 * whole run takes minutes; each script's header documents the long form quoted in docs.
 */

interface Bench {
  file: string;
  what: string;
  /** Arguments for the default, short run. */
  quick: string[];
}

const benches: Record<string, Bench> = {
  'slack-ack': {
    file: 'slack-ack-latency.ts',
    what: 'Slack ack p50/p99 for commands and button clicks vs a bare Bolt app, queue busy',
    quick: ['300', '20'],
  },
  'ack-latency': {
    file: 'ack-latency.ts',
    what: 'inbox write and HTTP ack p99 while run workers are busy (embedded and server)',
    quick: ['300', '20', '8'],
  },
  'outbox-outage': {
    file: 'outbox-outage.ts',
    what: 'outbox through a Slack outage: exactly once, in order per channel',
    quick: ['20', '10'],
  },
  'llm-budget': {
    file: 'llm-budget-contention.ts',
    what: 'budget reservations contending on one ledger row; gateway overhead per call',
    quick: [],
  },
  'retrieval-ingest': {
    file: 'retrieval-ingest.ts',
    what: 'ingest throughput with the local embedder on PGlite, and the incremental re-ingest',
    quick: ['--files', '200'],
  },
  'retrieval-scale': {
    file: 'retrieval-scale.ts',
    what: 'per-leg latency and memory at N chunks on PGlite, with pg_textsearch in the same run',
    quick: ['--chunks', '10000', '--queries', '100', '--check-exact', '20'],
  },
};

const here = import.meta.dirname;
const [name, ...rest] = process.argv.slice(2);

function run(key: string, bench: Bench, args: string[]): number {
  console.log(`\n=== ${key}: ${bench.what}\n$ node --import tsx bench/${bench.file} ${args.join(' ')}`);
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, bench.file), ...args], {
    stdio: 'inherit',
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  });
  console.log(
    `=== ${key}: exit ${result.status ?? result.signal} after ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return result.status ?? 1;
}

if (name === '--list' || name === '--help' || name === '-h') {
  for (const [key, bench] of Object.entries(benches)) console.log(`${key.padEnd(18)} ${bench.what}`);
  console.log('\nnpm run bench                 all of them, short settings');
  console.log('npm run bench -- <name> [args] one, with its own arguments (see the script header)');
} else if (name) {
  const bench = benches[name];
  if (!bench) {
    console.error(`unknown benchmark "${name}"; one of: ${Object.keys(benches).join(', ')}`);
    process.exitCode = 2;
  } else {
    process.exitCode = run(name, bench, rest.length > 0 ? rest : bench.quick);
  }
} else {
  const failed = Object.entries(benches).filter(([key, bench]) => run(key, bench, bench.quick) !== 0);
  if (failed.length > 0) {
    console.error(`\nfailed: ${failed.map(([key]) => key).join(', ')}`);
    process.exitCode = 1;
  }
}
