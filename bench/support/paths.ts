/** Locations the benchmarks need, found from the compiled file's place (.bench-dist/bench/...). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

let root: string | undefined;

/** The repository root: the nearest ancestor holding package.json and src/cli/main.ts. */
export function repoRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src', 'cli', 'main.ts'))) return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root from ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** The product build (`tsc -p tsconfig.build.json`): what `serve` runs from. */
export const distFile = (rel: string): string => join(repoRoot(), 'dist', rel);
export const distUrl = (rel: string): string => pathToFileURL(distFile(rel)).href;

/** A compiled benchmark file (.bench-dist/bench/...). */
export const benchDistFile = (rel: string): string => join(repoRoot(), '.bench-dist', 'bench', rel);

/** The nvidia-smi double shipped in src/simulator (an executable Node.js script). */
export const nvidiaSmiDouble = (): string => join(repoRoot(), 'src', 'simulator', 'nvidia-smi-double');

/** True when this module is the process's entry point. */
export function isMain(metaUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(entry).href === metaUrl;
}
