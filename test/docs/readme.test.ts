import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', ROOT), 'utf8');
const table = (which: string) => execFileSync(process.execPath, ['scripts/reference-tables.mjs', which], { cwd: ROOT }).toString().trimEnd();

describe('README', () => {
  it.each(['config', 'metrics'])('carries the current %s reference table (regenerate with scripts/reference-tables.mjs)', (which) => {
    expect(readme).toContain(table(which));
  });

  it('names the two quick-start commands that CI and the fresh-clone check run', () => {
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm ci && npm test');
    const ci = readFileSync(new URL('.ci/run', ROOT), 'utf8');
    expect(ci).toContain('npm test');
    expect(ci).toContain('npm run test:prometheus');
  });

  it('links only to files that exist', () => {
    for (const [, target] of readme.matchAll(/\]\((?!https?:|#)([^)]+)\)/g)) {
      expect(existsSync(new URL(target!, ROOT)), target).toBe(true);
    }
  });
});
