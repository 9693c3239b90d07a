/**
 * `sluice ingest` throughput with the local embedder on PGlite: writes a synthetic Markdown
 * knowledge base (SciFact sentences under headings, several chunks per file) to a temporary
 * folder and ingests it through the same code as the CLI into a fresh on-disk data directory.
 * Then re-ingests it unchanged (the incremental path) and prints both.
 *
 *   node --import tsx bench/retrieval-ingest.ts [--files 500] [--dataset ../shared/data/scifact-dev] [--memory]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadBeirDataset } from '../retrieval/bench/beir-dataset.ts';
import { generateSyntheticCorpus, mulberry32 } from '../retrieval/bench/synthetic-corpus.ts';
import { createRetrieval } from '../retrieval/create-retrieval.ts';
import { loadConfig } from '../src/config.ts';
import { detectCapabilities } from '../src/db/capabilities.ts';
import { migrate } from '../src/db/migrate.ts';
import { openEmbeddedDatabase } from '../src/db/pglite-database.ts';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '500' },
    dataset: { type: 'string', default: '../shared/data/scifact-dev' },
    memory: { type: 'boolean', default: false },
  },
});
const files = Number(values.files);
const data = await loadBeirDataset(values.dataset!, 'train');
const docs = generateSyntheticCorpus({ count: files * 4, source: data.corpus, seed: 11 });
const random = mulberry32(5);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ingest-bench-'));
for (let f = 0; f < files; f++) {
  const sections = docs.slice(f * 4, f * 4 + 4);
  const body = sections
    .map(
      (d) =>
        `## ${d.title}\n\n${d.text.replace(/(?<=\.) (?=[A-Z])/g, () => (random() < 0.3 ? '\n\n' : ' '))}`,
    )
    .join('\n\n');
  fs.writeFileSync(
    path.join(root, `runbook-${String(f).padStart(5, '0')}.md`),
    `# Runbook ${f}\n\n${body}\n`,
  );
}
const dataDir = values.memory ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ingest-db-'));
const db = await openEmbeddedDatabase(dataDir ? { dataDir } : {});
try {
  await migrate(db);
  const retrieval = await createRetrieval({
    db,
    config: loadConfig({}).retrieval,
    capabilities: await detectCapabilities(db),
  });
  const cpuBefore = process.cpuUsage();
  const first = await retrieval.ingest({ paths: [root], cwd: root, prune: false });
  // Both threads' CPU time (this one and the database's): steadier than wall time on a busy machine.
  const cpu = process.cpuUsage(cpuBefore);
  const second = await retrieval.ingest({ paths: [root], cwd: root, prune: true });
  const report = {
    storage: dataDir ? 'PGlite data directory on disk' : 'PGlite in memory',
    files: first.files,
    chunks: first.chunks,
    seconds: +first.seconds.toFixed(1),
    chunks_per_s: +first.chunksPerSecond.toFixed(1),
    cpu_ms_per_chunk: +((cpu.user + cpu.system) / 1000 / first.chunks).toFixed(3),
    vector: first.vector,
    reingest_unchanged: { unchanged: second.unchanged, seconds: +second.seconds.toFixed(2) },
    rss_mb: Math.round(process.memoryUsage().rss / 1e6),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  await db.close();
  fs.rmSync(root, { recursive: true, force: true });
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
}
