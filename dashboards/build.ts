/**
 * Writes the bundled dashboards: dashboards/<uid>.json (file provisioning) and
 * dashboards/grafana.com/<uid>.json (grafana.com import). Run:
 *   tsc -p tsconfig.dashboards.json && node .dashboards-dist/dashboards/build.js
 * The output is deterministic; test/dashboards/dashboards.test.ts fails when it is not committed.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDashboards, serialize } from './src/index.js';

/** The repository root: the nearest folder above this file (source or compiled) with a package.json. */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('dashboards build: no package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

const outDir = join(repositoryRoot(), 'dashboards');
for (const [file, dashboard] of Object.entries(buildDashboards())) {
  const path = join(outDir, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, serialize(dashboard));
  console.log(`wrote dashboards/${file}`);
}
