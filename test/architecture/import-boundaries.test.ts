import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

/**
 * Enforces the dependency direction in ARCHITECTURE.md by scanning every import in the product
 * code. A rule names who may import what; a violation names the file and the import.
 */

const root = path.resolve(import.meta.dirname, '../..');
const productFolders = ['src', 'handlers', 'retrieval'];

interface ImportEdge {
  file: string; // relative to root, with forward slashes
  spec: string; // as written
  target: string; // resolved relative path for project files, the package name otherwise
}

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listFiles(full);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

const importPattern =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): ImportEdge[] {
  const text = fs.readFileSync(file, 'utf8');
  const rel = path.relative(root, file).split(path.sep).join('/');
  const edges: ImportEdge[] = [];
  for (const match of text.matchAll(importPattern)) {
    const spec = match[1] ?? match[2]!;
    let target: string;
    if (spec.startsWith('.')) {
      target = path
        .relative(root, path.resolve(path.dirname(file), spec))
        .split(path.sep)
        .join('/');
    } else {
      const parts = spec.replace(/^node:/, 'node:').split('/');
      target = spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
    }
    edges.push({ file: rel, spec, target });
  }
  return edges;
}

const edges = productFolders.flatMap((folder) => listFiles(path.join(root, folder))).flatMap(importsOf);

function under(p: string, ...prefixes: string[]): boolean {
  return prefixes.some(
    (prefix) => p === prefix || p.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`),
  );
}

function violations(predicate: (e: ImportEdge) => boolean): string[] {
  return edges.filter(predicate).map((e) => `${e.file} imports ${e.spec}`);
}

describe('import boundaries', () => {
  it('scans a non-trivial number of imports', () => {
    assert.ok(edges.length > 20, `only ${edges.length} imports found; is the scanner broken?`);
  });

  it('nothing imports the composition root or the CLI entry', () => {
    assert.deepEqual(
      violations((e) => ['src/main.ts', 'src/cli.ts'].includes(e.target) && !under(e.file, 'src/cli')),
      [],
    );
  });

  it('src/config, src/logger and src/errors import nothing from the project', () => {
    assert.deepEqual(
      violations(
        (e) =>
          ['src/config.ts', 'src/logger.ts', 'src/errors.ts'].includes(e.file) &&
          e.spec.startsWith('.') &&
          e.target !== 'src/errors.ts',
      ),
      [],
    );
  });

  it('only src/llm imports the Anthropic SDK', () => {
    assert.deepEqual(
      violations((e) => e.target === '@anthropic-ai/sdk' && !under(e.file, 'src/llm')),
      [],
    );
  });

  it('only src/jobs imports the queue, p-queue and node-cron', () => {
    assert.deepEqual(
      violations((e) => ['pg-boss', 'p-queue', 'node-cron'].includes(e.target) && !under(e.file, 'src/jobs')),
      [],
    );
  });

  it('only handlers and the composition root import @slack/bolt', () => {
    assert.deepEqual(
      violations((e) => e.target === '@slack/bolt' && !under(e.file, 'handlers') && e.file !== 'src/main.ts'),
      [],
    );
  });

  it('handlers never reach the database, the model gateway or retrieval directly', () => {
    assert.deepEqual(
      violations(
        (e) =>
          under(e.file, 'handlers') &&
          (under(e.target, 'src/db', 'src/llm', 'retrieval') ||
            ['pg', '@electric-sql/pglite', '@anthropic-ai/sdk'].includes(e.target)),
      ),
      [],
    );
  });

  it('the core and retrieval never import the Slack transport layer', () => {
    assert.deepEqual(
      violations(
        (e) => under(e.file, 'src', 'retrieval') && e.file !== 'src/main.ts' && under(e.target, 'handlers'),
      ),
      [],
    );
  });

  it('the policy engine imports nothing but src/errors and itself', () => {
    assert.deepEqual(
      violations(
        (e) =>
          under(e.file, 'src/policy') &&
          e.spec.startsWith('.') &&
          !under(e.target, 'src/policy', 'src/errors.ts'),
      ),
      [],
    );
  });

  it('retrieval imports only src/db, src/llm, src/errors, src/logger, src/config and itself', () => {
    assert.deepEqual(
      violations(
        (e) =>
          under(e.file, 'retrieval') &&
          e.spec.startsWith('.') &&
          !under(
            e.target,
            'retrieval',
            'src/db',
            'src/llm',
            'src/errors.ts',
            'src/logger.ts',
            'src/config.ts',
          ),
      ),
      [],
    );
  });
});
