import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { allPanels, buildDashboards, type Json } from '../../dashboards/src/index.js';
import { CATALOGUE } from '../../src/exposition/catalogue.js';
import { metricNames, variableQueryExpr } from './promql-names.js';

const root = new URL('../../', import.meta.url);
const RULE_FILES = ['deploy/prometheus/rules/llm-cost.rules.yml', 'deploy/prometheus/rules/llm-cost.alerts.yml'];

interface Rule { record?: string; alert?: string; expr: string }
interface RuleFile { groups: Array<{ name: string; rules: Rule[] }> }

function rules(): Rule[] {
  return RULE_FILES.flatMap((f) => (parse(readFileSync(new URL(f, root), 'utf8')) as RuleFile).groups.flatMap((g) => g.rules));
}

/** Every series name in vLLM's latest /metrics capture (samples and # TYPE lines). */
function vllmNames(): Set<string> {
  const text = readFileSync(new URL('test/fixtures/vllm/latest.prom', root), 'utf8');
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+)/.exec(line);
    if (type?.[1]) names.add(type[1]);
    const sample = /^([A-Za-z_:][\w:]*)[{ ]/.exec(line);
    if (sample?.[1]) names.add(sample[1]);
  }
  return names;
}

function known(): Set<string> {
  const names = new Set<string>(['up']);
  for (const m of CATALOGUE) {
    names.add(m.name);
    if (m.type === 'counter' && !m.name.endsWith('_total')) names.add(`${m.name}_total`);
  }
  for (const r of rules()) if (r.record) names.add(r.record);
  for (const n of vllmNames()) if (n.startsWith('vllm:')) names.add(n);
  return names;
}

/** [where, expr] of every PromQL expression in the dashboards: panel queries and variable queries. */
function dashboardExprs(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [file, dashboard] of Object.entries(buildDashboards())) {
    if (file.startsWith('grafana.com/')) continue;
    for (const panel of allPanels(dashboard)) {
      const targets = Array.isArray(panel['targets']) ? panel['targets'] : [];
      for (const t of targets as Array<{ [k: string]: Json }>) {
        if (typeof t['expr'] === 'string') out.push([`${file} "${String(panel['title'])}" ${String(t['refId'])}`, t['expr']]);
      }
    }
    const templating = dashboard['templating'] as { list: Array<{ [k: string]: Json }> };
    for (const v of templating.list) {
      if (v['type'] === 'query' && typeof v['query'] === 'string') out.push([`${file} variable ${String(v['name'])}`, variableQueryExpr(v['query'])]);
    }
  }
  return out;
}

describe('the PromQL name extractor', () => {
  it.each([
    ['sum by (basis) (increase(llm_cost_spend_usd_total{job=~"$job",basis="$basis"}[$__range])) / on () group_left () (x > 0) * 1e6', ['llm_cost_spend_usd_total', 'x']],
    ['a < on (job, instance) group_left () b', ['a', 'b']],
    ['histogram_quantile(0.95, sum by (le, model_name) (rate(vllm:time_to_first_token_seconds_bucket{model_name=~"$model"}[$__rate_interval])))', ['vllm:time_to_first_token_seconds_bucket']],
    ['sum(rate(m_total{a="b"}[1h] offset 23h))', ['m_total']],
    ['count(instance:x:ratio_increase1h < bool 0.5) or vector(0)', ['instance:x:ratio_increase1h']],
    ['max(llm_cost_price_table_timestamp_seconds{instance=~"${instance}"}) * 1000', ['llm_cost_price_table_timestamp_seconds']],
    ['sum without (gpu, uuid) (increase(busy[7d:1h])) unless absent(up{job=~".*llm-cost.*"})', ['busy', 'up']],
  ])('%s', (expr, names) => {
    expect(metricNames(expr)).toEqual(names);
  });

  it('reads the metric of a label_values() variable query, not its label', () => {
    expect(metricNames(variableQueryExpr('label_values(llm_cost_gpu_info{job=~"$job"}, gpu)'))).toEqual(['llm_cost_gpu_info']);
  });
});

describe('metric names used by dashboards and rules', () => {
  const names = known();

  it('finds queries to check (the meta-test is live)', () => {
    expect(dashboardExprs().length).toBeGreaterThan(50);
    expect(rules().length).toBeGreaterThan(60);
    expect(names.has('vllm:time_to_first_token_seconds_bucket')).toBe(true);
    expect(names.has('instance:llm_cost_usd_per_million_tokens:ratio_increase1h')).toBe(true);
    expect(metricNames('sum(rate(llm_cost_tokenz_total[5m]))').filter((n) => !names.has(n))).toEqual(['llm_cost_tokenz_total']);
  });

  it('dashboards use only catalogued series, recording rules, vLLM series or up', () => {
    const unknown = dashboardExprs().flatMap(([where, expr]) => metricNames(expr).filter((n) => !names.has(n)).map((n) => `${where}: ${n}`));
    expect(unknown).toEqual([]);
  });

  it('rules use only catalogued series, recording rules, vLLM series or up', () => {
    const unknown = rules().flatMap((r) => metricNames(r.expr).filter((n) => !names.has(n)).map((n) => `${r.record ?? r.alert}: ${n}`));
    expect(unknown).toEqual([]);
  });

  it('every expression selects at least one series', () => {
    const empty = [...dashboardExprs().map(([w, e]) => [w, e] as const), ...rules().map((r) => [r.record ?? r.alert ?? '?', r.expr] as const)]
      .filter(([, e]) => metricNames(e).length === 0)
      .map(([w]) => w);
    expect(empty).toEqual([]);
  });
});
