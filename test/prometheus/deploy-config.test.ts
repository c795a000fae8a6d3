import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runPromtool } from './promtool.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'llm-cost-promtool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The Compose Prometheus configurations, checked by promtool. Their rule files are container
 * paths (deploy/prometheus/rules mounted at /etc/prometheus/rules): a copy points them at the
 * repository so promtool also loads and checks the rules themselves.
 */
describe.each(['prometheus.yml', 'prometheus.demo.yml'])('promtool check config deploy/compose/%s', (file) => {
  it('reports SUCCESS, rule files included', () => {
    const text = readFileSync(join(ROOT, 'deploy/compose', file), 'utf8').replaceAll('/etc/prometheus/rules/', join(ROOT, 'deploy/prometheus/rules/'));
    const copy = join(dir, file);
    writeFileSync(copy, text);
    const r = runPromtool(['check', 'config', copy]);
    expect(r.output).toContain('SUCCESS');
    expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.status).toBe(0);
  });
});
