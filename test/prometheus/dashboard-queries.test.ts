import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { allPanels, buildDashboards, type Json } from '../../dashboards/src/index.js';
import { runPromtool } from './promtool.js';

/** Grafana's range variables, replaced by durations so that Prometheus' own parser can read the query. */
function asPromQL(expr: string): string {
  return expr.replaceAll('$__rate_interval', '5m').replaceAll('$__range', '1d').replaceAll('$__interval', '1m');
}

describe('dashboard queries', () => {
  it('all parse with Prometheus\' PromQL parser (promtool check rules)', () => {
    const rules: Array<{ record: string; expr: string }> = [];
    for (const [file, dashboard] of Object.entries(buildDashboards())) {
      if (file.startsWith('grafana.com/')) continue;
      for (const panel of allPanels(dashboard)) {
        const targets = Array.isArray(panel['targets']) ? (panel['targets'] as Array<{ [k: string]: Json }>) : [];
        for (const t of targets) {
          if (typeof t['expr'] === 'string') rules.push({ record: `dashboard:query:${rules.length}`, expr: asPromQL(t['expr']) });
        }
      }
    }
    expect(rules.length).toBeGreaterThan(50);
    const file = join(mkdtempSync(join(tmpdir(), 'llm-cost-dash-')), 'queries.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard-queries', rules }] }));
    const r = runPromtool(['check', 'rules', file]);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain(`SUCCESS: ${rules.length} rules found`);
  });
});
