import cliProgress from 'cli-progress';
import { type Command, Option } from 'commander';
import { type RetrievalBenchReport, runRetrievalBench } from '../../retrieval/bench/run-retrieval-bench.ts';
import { formatSnippet } from '../../retrieval/citations/load-citations.ts';
import { createRetrieval } from '../../retrieval/create-retrieval.ts';
import type { IngestProgress, IngestSummary } from '../../retrieval/ingest/ingest-files.ts';
import type { SearchMode, SearchResponse } from '../../retrieval/search/search-knowledge-base.ts';
import { UsageError } from '../errors.ts';
import { type CliContext, loadCliConfig, withRuntime } from './context.ts';

/**
 * `sluice ingest`, `search`, `reindex` and `bench retrieval`. Human output by default, one JSON
 * object with --json; progress bars only on a terminal (on stderr, so stdout stays clean).
 */
export function registerRetrievalCommands(program: Command, context: CliContext): void {
  program
    .command('ingest')
    .description('index Markdown, text, HTML and PDF files (paths, folders or globs) into the knowledge base')
    .argument('<paths...>', 'files, folders or globs such as "docs/**/*.md"')
    .option('--prune', 'remove documents under these paths whose files are gone')
    .option('--json', 'print the summary as JSON')
    .action(async (paths: string[], options: { prune?: boolean; json?: boolean }) => {
      const summary = await withRuntime(context, async ({ config, db, capabilities, logger }) => {
        const retrieval = await createRetrieval({ db, config: config.retrieval, capabilities, logger });
        if (retrieval.vectorNotice && !options.json) context.stderr(`warning: ${retrieval.vectorNotice}\n`);
        const bar = context.isTTY && !options.json ? progressBar() : undefined;
        try {
          return await retrieval.ingest({
            paths,
            cwd: context.cwd,
            prune: Boolean(options.prune),
            onProgress: bar ? (p: IngestProgress) => bar.update(p) : undefined,
          });
        } finally {
          bar?.stop();
        }
      });
      if (options.json) context.stdout(`${JSON.stringify(summary, null, 2)}\n`);
      else context.stdout(describeIngest(summary));
    });

  program
    .command('search')
    .description('search the knowledge base (BM25, vector or both fused) and show cited passages')
    .argument('<query>', 'what to look for')
    .addOption(
      new Option('--mode <mode>', 'which legs to use')
        .choices(['bm25', 'vector', 'hybrid'])
        .default('hybrid'),
    )
    .option('--limit <n>', 'number of results', '8')
    .option('--json', 'print the results as JSON')
    .action(async (query: string, options: { mode: SearchMode; limit: string; json?: boolean }) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 200)
        throw new UsageError('--limit must be a whole number from 1 to 200');
      const response = await withRuntime(context, async ({ config, db, capabilities, logger }) => {
        const retrieval = await createRetrieval({ db, config: config.retrieval, capabilities, logger });
        return retrieval.search({ query, mode: options.mode, limit });
      });
      if (options.json) context.stdout(`${JSON.stringify(response, null, 2)}\n`);
      else context.stdout(describeSearch(response));
    });

  program
    .command('reindex')
    .description('re-embed every chunk with the configured embeddings and recount BM25 statistics')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      const result = await withRuntime(context, async ({ config, db, capabilities, logger }) => {
        const retrieval = await createRetrieval({ db, config: config.retrieval, capabilities, logger });
        const bar = context.isTTY && !options.json ? progressBar() : undefined;
        try {
          return await retrieval.reindex(
            bar ? (done, total) => bar.update({ done, total, file: '' }) : undefined,
          );
        } finally {
          bar?.stop();
        }
      });
      if (options.json) context.stdout(`${JSON.stringify(result, null, 2)}\n`);
      else
        context.stdout(
          `reindexed ${result.chunks} chunks (${result.embedded} embedded) in ${result.seconds.toFixed(1)} s\n`,
        );
    });

  const bench =
    program.commands.find((c) => c.name() === 'bench') ?? program.command('bench').description('benchmarks');
  bench
    .command('retrieval')
    .description('measure retrieval quality and speed on a BEIR dataset in a scratch database')
    .requiredOption('--dataset <dir>', 'BEIR folder with corpus.jsonl, queries.jsonl and qrels/')
    .addOption(
      new Option('--split <split>', 'which qrels file').choices(['train', 'test', 'dev']).default('train'),
    )
    .option('--max-queries <n>', 'run only the first N judged queries')
    .option('--json', 'print one JSON object')
    .action(async (options: { dataset: string; split: string; maxQueries?: string; json?: boolean }) => {
      const config = loadCliConfig(context);
      const maxQueries = options.maxQueries === undefined ? undefined : Number(options.maxQueries);
      if (maxQueries !== undefined && !(Number.isInteger(maxQueries) && maxQueries > 0)) {
        throw new UsageError('--max-queries must be a positive whole number');
      }
      const report = await runRetrievalBench({
        dataset: options.dataset,
        split: options.split,
        settings: config.retrieval,
        maxQueries,
        onProgress: options.json ? undefined : (m) => context.stderr(`${m}\n`),
      });
      if (options.json) context.stdout(`${JSON.stringify(report)}\n`);
      else context.stdout(describeBench(report));
    });
}

function progressBar() {
  const bar = new cliProgress.SingleBar(
    {
      format: '{bar} {value}/{total} files  {file}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p: IngestProgress) {
      if (!started) {
        bar.start(p.total, p.done, { file: p.file });
        started = true;
      } else bar.update(p.done, { file: p.file.length > 60 ? `…${p.file.slice(-59)}` : p.file });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

export function describeIngest(s: IngestSummary): string {
  const lines = [
    `${s.files} files: ${s.added} added, ${s.updated} updated, ${s.unchanged} unchanged, ${s.removed} removed, ${s.skipped.length} skipped`,
    `${s.chunks} chunks in ${s.seconds.toFixed(1)} s (${s.chunksPerSecond.toFixed(0)} chunks/s); vector leg ${s.vector}`,
    ...(s.lexicalIndexRebuilt
      ? ['rebuilt the pg_textsearch index: replaced and removed chunks had passed a tenth of the live ones']
      : []),
    ...s.skipped.map((k) => `  skipped ${k.path}: ${k.reason} (${k.detail})`),
  ];
  return `${lines.join('\n')}\n`;
}

export function describeSearch(r: SearchResponse): string {
  const out: string[] = [];
  if (r.notice) out.push(`note: ${r.notice}`);
  if (r.hits.length === 0) out.push(`no results for "${r.query}"`);
  for (const h of r.hits) {
    const legs = Object.entries(h.legs)
      .map(([name, l]) => `${name} #${l.rank} (${l.score.toFixed(3)})`)
      .join(', ');
    const where = [h.citation.title, ...h.citation.headingPath.filter((p) => p !== h.citation.title)].join(
      ' › ',
    );
    out.push(`[${h.rank}] ${where}  —  ${legs}`);
    out.push(`    ${formatSnippet(h.citation, '**', '**')}`);
    out.push(`    ${h.citation.link ?? `${h.citation.source}:${h.citation.startLine}`}`);
  }
  out.push(
    `(${r.mode}${r.mode !== r.requestedMode ? `, asked for ${r.requestedMode}` : ''}; ${r.timings.totalMs.toFixed(1)} ms)`,
  );
  return `${out.join('\n')}\n`;
}

export function describeBench(r: RetrievalBenchReport): string {
  const rows = Object.entries(r.results).map(
    ([name, m]) =>
      `${name.padEnd(14)} ${m['ndcg@10'].toFixed(4)}   ${m['recall@100'].toFixed(4)}     ${m['mrr@10'].toFixed(4)}  ${m.p50_ms.toFixed(2).padStart(8)} ${m.p95_ms.toFixed(2).padStart(8)}`,
  );
  return [
    `${r.dataset} (${r.split}), ${r.queries} queries`,
    'method         nDCG@10  recall@100  MRR@10    p50 ms   p95 ms',
    ...rows,
    `ingest: ${r.ingest.chunks} chunks at ${r.ingest.chunks_per_s} chunks/s`,
    '',
  ].join('\n');
}
