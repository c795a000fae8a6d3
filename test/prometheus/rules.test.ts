import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runPromtool } from './promtool.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const RULES = join(root, 'deploy/prometheus/rules/llm-cost.rules.yml');
const ALERTS = join(root, 'deploy/prometheus/rules/llm-cost.alerts.yml');
const TESTS_DIR = join(root, 'deploy/prometheus/tests');
const TESTS = readdirSync(TESTS_DIR).filter((f) => f.endsWith('.test.yml')).map((f) => join(TESTS_DIR, f));

interface Rule { record?: string; alert?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
interface RuleFile { groups: Array<{ name: string; interval?: string; rules: Rule[] }> }
interface AlertCase { alertname: string; eval_time: string; exp_alerts?: unknown[] }
interface TestFile { rule_files: string[]; tests: Array<{ alert_rule_test?: AlertCase[]; promql_expr_test?: Array<{ expr: string }> }> }

const load = <T>(path: string): T => parse(readFileSync(path, 'utf8')) as T;
const recordingRules = load<RuleFile>(RULES).groups.flatMap((g) => g.rules);
const alerts = load<RuleFile>(ALERTS).groups.flatMap((g) => g.rules);
const testFiles = TESTS.map((t) => load<TestFile>(t));

describe('promtool check rules', () => {
  it.each(['llm-cost.rules.yml', 'llm-cost.alerts.yml'])('deploy/prometheus/rules/%s passes', (name) => {
    const r = runPromtool(['check', 'rules', join(root, 'deploy/prometheus/rules', name)]);
    expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.status, r.output).toBe(0);
  });
});

describe('promtool test rules', () => {
  it('every unit test in deploy/prometheus/tests passes', () => {
    expect(TESTS.length).toBeGreaterThanOrEqual(2);
    const r = runPromtool(['test', 'rules', ...TESTS]);
    expect(r.output).not.toMatch(/FAILED/);
    expect(r.status, r.output).toBe(0);
  });

  it('would catch a fleet $/M averaged over hosts (the tests are live)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-cost-rules-'));
    mkdirSync(join(dir, 'rules'));
    mkdirSync(join(dir, 'tests'));
    const fleetRatio = /( {6}- record: fleet:llm_cost_usd_per_million_tokens:ratio_increase1h\n {8}expr: )\|\n(?: {10}.*\n)+/;
    const rules = readFileSync(RULES, 'utf8');
    expect(rules).toMatch(fleetRatio);
    writeFileSync(join(dir, 'rules/llm-cost.rules.yml'), rules.replace(fleetRatio, '$1avg without (instance, pod) (instance:llm_cost_usd_per_million_tokens:ratio_increase1h)\n'));
    copyFileSync(ALERTS, join(dir, 'rules/llm-cost.alerts.yml'));
    copyFileSync(join(TESTS_DIR, 'llm-cost.rules.test.yml'), join(dir, 'tests/llm-cost.rules.test.yml'));
    const r = runPromtool(['test', 'rules', join(dir, 'tests/llm-cost.rules.test.yml')]);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/fleet:llm_cost_usd_per_million_tokens:ratio_increase1h/);
  });
});

describe('alerts, mixin style', () => {
  const NAMES = ['LLMCostUtilizationBelowBreakEven', 'LLMCostAboveAPIPrice', 'LLMCostTTFTAboveTarget', 'LLMCostSourceDown', 'LLMCostExporterDown'];
  const runbook = readFileSync(join(root, 'docs/runbook.md'), 'utf8');
  const cases = testFiles.flatMap((t) => t.tests.flatMap((c) => c.alert_rule_test ?? []));

  it('are the five alerts of the contract', () => {
    expect(alerts.map((a) => a.alert)).toEqual(NAMES);
  });

  it.each(NAMES)('%s has severity, summary, description and a runbook_url into docs/runbook.md', (name) => {
    const a = alerts.find((x) => x.alert === name) as Rule;
    expect(a.labels?.['severity']).toMatch(/^(info|warning|critical)$/);
    expect(a.annotations?.['summary']).toBeTruthy();
    expect(a.annotations?.['description']).toBeTruthy();
    const anchor = name.toLowerCase();
    expect(a.annotations?.['runbook_url']).toBe(`https://github.com/llm-cost-exporter/llm-cost-exporter/blob/main/docs/runbook.md#${anchor}`);
    expect(runbook).toMatch(new RegExp(`^## ${name}$`, 'm'));
  });

  it.each(NAMES)('%s has unit tests that fire and unit tests that must not', (name) => {
    const mine = cases.filter((c) => c.alertname === name);
    expect(mine.some((c) => (c.exp_alerts ?? []).length > 0), 'a case that fires').toBe(true);
    expect(mine.some((c) => (c.exp_alerts ?? []).length === 0), 'a case that must not fire').toBe(true);
  });

  it('read their thresholds from the exporter, joined per target', () => {
    const expr = (name: string): string => (alerts.find((a) => a.alert === name) as Rule).expr;
    expect(expr('LLMCostUtilizationBelowBreakEven')).toMatch(/on \(job, instance\) group_left \(\)\s+llm_cost_break_even_threshold_ratio/);
    expect(expr('LLMCostTTFTAboveTarget')).toMatch(/on \(job, instance\) group_left \(\)\s+llm_cost_ttft_target_seconds/);
    expect(expr('LLMCostAboveAPIPrice')).toMatch(/llm_cost_compare_to_info == 1/);
    expect(expr('LLMCostExporterDown')).toMatch(/up\{job=~"\.\*llm-cost\.\*"\} == 0\s+or\s+absent\(up\{job=~"\.\*llm-cost\.\*"\}\)/);
  });
});

describe('recording rules, level:metric:operations', () => {
  const names = recordingRules.map((r) => r.record as string);

  it('are named level:metric:operations, with no _total left after increase()', () => {
    for (const n of names) expect(n).toMatch(/^(instance|fleet):llm_cost_[a-z_]+:(ratio_)?increase(1h|24h|7d)$/);
    for (const n of names) expect(n).not.toMatch(/_total:/);
    expect(new Set(names).size).toBe(names.length);
  });

  it('exist for every level and metric over 1h, 24h and 7d alike', () => {
    const families = (w: string): string[] => names.filter((n) => n.endsWith(`increase${w}`)).map((n) => n.replace(/increase\w+$/, '')).sort();
    expect(families('24h')).toEqual(families('1h'));
    expect(families('7d')).toEqual(families('1h'));
    for (const level of ['instance', 'fleet']) {
      for (const metric of ['usd_per_million_tokens', 'api_equivalent_usd_per_million_tokens', 'token_utilization', 'gpu_utilization']) {
        expect(names).toContain(`${level}:llm_cost_${metric}:ratio_increase1h`);
      }
      expect(names).toContain(`${level}:llm_cost_spend_usd:increase24h`);
      expect(names).toContain(`${level}:llm_cost_api_equivalent_spend_usd:increase24h`);
    }
  });

  it('aggregate with without(...), and the fleet level divides sums', () => {
    for (const r of recordingRules) expect(r.expr, r.record).not.toMatch(/\b(sum|avg|max|min|count) by\b|\bavg\b/);
    for (const r of recordingRules.filter((x) => x.record?.startsWith('fleet:') && !x.record.includes(':ratio_'))) {
      expect(r.expr).toMatch(/^sum without \(instance, pod\) \(instance:/);
    }
    for (const r of recordingRules.filter((x) => x.record?.startsWith('fleet:') && x.record.includes(':ratio_'))) {
      expect(r.expr).not.toMatch(/instance:/);
    }
  });

  it('every ratio family has promql_expr_test cases with computed values', () => {
    const tested = testFiles.flatMap((t) => t.tests.flatMap((c) => (c.promql_expr_test ?? []).map((e) => e.expr))).join('\n');
    const ratioFamilies = new Set(names.filter((n) => n.includes(':ratio_')).map((n) => n.replace(/increase\w+$/, '')));
    for (const family of ratioFamilies) expect(tested, family).toContain(family);
    for (const w of ['1h', '24h', '7d']) expect(tested).toMatch(new RegExp(`ratio_increase${w}\\b`));
  });
});
