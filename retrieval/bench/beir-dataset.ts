import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { UsageError } from '../../src/errors.ts';

/** A retrieval benchmark in BEIR's layout: corpus.jsonl, queries.jsonl and qrels/<split>.tsv. */
export interface BeirDataset {
  name: string;
  corpus: BeirDocument[];
  /** Only queries that have relevance judgements in the split. */
  queries: { id: string; text: string }[];
  /** query id -> (document id -> graded relevance) */
  qrels: Map<string, Map<string, number>>;
}

export interface BeirDocument {
  id: string;
  title: string;
  text: string;
}

export async function loadBeirDataset(dir: string, split: string): Promise<BeirDataset> {
  const corpusFile = path.join(dir, 'corpus.jsonl');
  const queriesFile = path.join(dir, 'queries.jsonl');
  const qrelsFile = path.join(dir, 'qrels', `${split}.tsv`);
  for (const f of [corpusFile, queriesFile, qrelsFile]) {
    if (!fs.existsSync(f))
      throw new UsageError(`${f} not found: --dataset must be a BEIR folder with that file`);
  }
  const qrels = new Map<string, Map<string, number>>();
  for (const line of fs.readFileSync(qrelsFile, 'utf8').split('\n')) {
    const [queryId, docId, score] = line.trim().split('\t');
    if (!queryId || !docId || queryId === 'query-id' || score === undefined) continue;
    const judged = qrels.get(queryId) ?? new Map<string, number>();
    judged.set(docId, Number(score));
    qrels.set(queryId, judged);
  }
  const corpus: BeirDocument[] = [];
  for await (const o of readJsonl(corpusFile)) {
    corpus.push({ id: String(o._id), title: String(o.title ?? ''), text: String(o.text ?? '') });
  }
  const queries: { id: string; text: string }[] = [];
  for await (const o of readJsonl(queriesFile)) {
    if (qrels.has(String(o._id))) queries.push({ id: String(o._id), text: String(o.text ?? '') });
  }
  return { name: path.basename(path.resolve(dir)), corpus, queries, qrels };
}

async function* readJsonl(file: string): AsyncGenerator<Record<string, unknown>> {
  const lines = readline.createInterface({
    input: fs.createReadStream(file, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of lines) if (line.trim()) yield JSON.parse(line) as Record<string, unknown>;
}
