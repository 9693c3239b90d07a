import fs from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import { SUPPORTED_EXTENSIONS } from './read-document.ts';

/**
 * Expands the paths and globs given to `sluice ingest` into files. A directory contributes its
 * supported files, recursively; a glob contributes whatever it matches (unsupported files are
 * then skipped with a reason); a plain path is taken as given, even if it cannot be read, so the
 * summary can say why. `roots` are the folders (or files) each argument covers: `--prune`
 * removes documents under them that this run did not find.
 */
export interface CollectedFiles {
  files: string[];
  roots: string[];
}

const supportedGlob = `**/*.{${SUPPORTED_EXTENSIONS.map((e) => e.slice(1)).join(',')}}`;

export async function collectFiles(args: readonly string[], cwd: string): Promise<CollectedFiles> {
  const files = new Set<string>();
  const roots: string[] = [];
  for (const arg of args) {
    const absolute = path.resolve(cwd, arg);
    if (fg.isDynamicPattern(arg)) {
      const pattern = fg.convertPathToPattern(cwd) + '/' + arg.replace(/\\/g, '/');
      const matches = await fg(path.isAbsolute(arg) ? arg : pattern, {
        absolute: true,
        onlyFiles: true,
        suppressErrors: true,
        caseSensitiveMatch: false,
      });
      for (const m of matches) files.add(path.normalize(m));
      roots.push(staticBase(absolute));
    } else if (isDirectory(absolute)) {
      const matches = await fg(supportedGlob, {
        cwd: absolute,
        absolute: true,
        onlyFiles: true,
        suppressErrors: true,
        caseSensitiveMatch: false,
      });
      for (const m of matches) files.add(path.normalize(m));
      roots.push(absolute);
    } else {
      files.add(absolute);
      roots.push(absolute);
    }
  }
  return { files: [...files].sort(), roots };
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The folder part of a glob before its first wildcard: `docs/**\/*.md` -> `docs`. */
function staticBase(pattern: string): string {
  const parts = pattern.split(path.sep);
  const index = parts.findIndex((p) => fg.isDynamicPattern(p));
  return parts.slice(0, index === -1 ? parts.length : index).join(path.sep) || path.sep;
}

/** True when `source` is `root` itself or inside it. */
export function isUnder(source: string, root: string): boolean {
  return source === root || source.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}
