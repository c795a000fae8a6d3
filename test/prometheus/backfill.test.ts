import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Config } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/load-config.js';
import { DEFAULT_DEMO, DemoHost } from '../../src/simulator/demo-host.js';
import { DEFAULT_HISTORY_LABELS, historyExporterFlags, simulateHistory, writeOpenMetricsHistory, type History } from '../../src/simulator/history.js';
import { startPrometheus, stopAllPrometheus, type PrometheusProcess } from './prometheus-server.js';
import { runPromtool } from './promtool.js';

// A simulated week of the demo host, written as OpenMetrics, imported with promtool, the recording
// rules backfilled with promtool, and a real Prometheus on that TSDB compared with the simulator's
// ground truth. Backfill evaluates no alerts, so the alerts are checked by a `promtool test rules`
// file generated from the same week, with expectations taken from the ground truth.
const root = fileURLToPath(new URL('../../', import.meta.url));
const RULES = join(root, 'deploy/prometheus/rules/llm-cost.rules.yml');
const ALERTS = join(root, 'deploy/prometheus/rules/llm-cost.alerts.yml');
const END = Date.UTC(2026, 10, 20, 0, 0, 0); // the week ends at midnight Thursday -> Friday (UTC)
const WEEK = 7 * 86_400_000;
const STEP = 60_000;
const RULE_EVAL = 300_000; // backfill evaluation interval of the 1h and 24h groups (7d has its own 3m)
// a hidden promtool flag (default 2h): one block per rule per day instead of per 2h, far fewer files
const MAX_BLOCK = '24h';
const { job, instance } = DEFAULT_HISTORY_LABELS as { job: string; instance: string };
// what the rules and alerts read (the rest of /metrics would only make the import slower)
const FAMILIES = new Set([
  'llm_cost_spend_usd_total',
  'llm_cost_tokens_total',
  'llm_cost_api_equivalent_spend_usd_total',
  'llm_cost_observed_seconds_total',
  'llm_cost_gpu_busy_seconds_total',
  'llm_cost_gpu_sampled_seconds_total',
  'llm_cost_capacity_tokens_per_second',
  'llm_cost_compare_to_info',
  'llm_cost_break_even_threshold_ratio',
]);

interface Rule { record?: string; alert?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
interface RuleGroup { name: string; interval?: string; rules: Rule[] }

const timings: Record<string, number> = {};
const figures: string[] = [];
const time = async <T>(name: string, fn: () => T | Promise<T>): Promise<T> => {
  const t = performance.now();
  try {
    return await fn();
  } finally {
    timings[name] = Math.round(performance.now() - t);
  }
};

/** Recording rules split by dependency depth: backfill cannot read rules it is still writing. */
function rulesByLevel(groups: RuleGroup[]): RuleGroup[][] {
  const level = new Map<string, number>();
  const all = groups.flatMap((g) => g.rules);
  const depth = (r: Rule): number => {
    const known = level.get(r.record!);
    if (known !== undefined) return known;
    const deps = all.filter((d) => d !== r && new RegExp(`\\b${d.record!.replace(/[:.]/g, '\\$&')}\\b`).test(r.expr));
    const l = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(depth));
    level.set(r.record!, l);
    return l;
  };
  all.forEach(depth);
  const max = Math.max(...level.values());
  return Array.from({ length: max + 1 }, (_, l) =>
    groups
      .map((g) => ({ ...g, rules: g.rules.filter((r) => level.get(r.record!) === l) }))
      .filter((g) => g.rules.length > 0),
  );
}

const relDiff = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('a simulated week backfilled into Prometheus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llm-cost-backfill-'));
  const data = join(dir, 'data');
  // $1/h instead of the demo's $3.20 and a 30% threshold: the week then crosses both alerts'
  // thresholds back and forth (weekdays below the API price, weekends and nights above it)
  const host = new DemoHost({ ...DEFAULT_DEMO, liveStartMs: END, warmupMs: WEEK, gpuHourlyCostUsd: 1 });
  let config: Config;
  let history: History;
  let prom: PrometheusProcess;
  const hourly = host.options.gpuHourlyCostUsd * host.options.gpus;
  const capacity = host.capacityTokensPerSecond;

  beforeAll(async () => {
    config = loadConfig({ env: {}, flags: { ...historyExporterFlags(host), 'alert.break-even-utilization': '0.3' } });
    history = await time('simulate', () => simulateHistory({ host, config, stepMs: STEP, families: (n) => FAMILIES.has(n) }));
    const om = join(dir, 'week.om');
    const written = await time('write', () => writeOpenMetricsHistory(history, om));
    figures.push(`openmetrics: ${written.series} series, ${written.samples} samples, ${(written.bytes / 1e6).toFixed(1)} MB`);
    const imported = await time('create-blocks-from openmetrics', () => runPromtool(['tsdb', 'create-blocks-from', 'openmetrics', '-q', `--max-block-duration=${MAX_BLOCK}`, om, data]));
    expect(imported.status, imported.output).toBe(0);

    const promConfig = join(dir, 'prometheus.yml');
    writeFileSync(promConfig, 'global:\n  scrape_interval: 1m\n');
    const groups = (parse(readFileSync(RULES, 'utf8')) as { groups: RuleGroup[] }).groups;
    const levels = rulesByLevel(groups);
    await time('create-blocks-from rules', async () => {
      for (const [l, level] of levels.entries()) {
        prom = await startPrometheus(promConfig, data);
        const out = join(dir, `rules-out-${l}`);
        // the 7d group only where a full week lies behind it: the last hour (it is the slowest)
        for (const [name, start, only] of [
          ['1h+24h', END - WEEK + 3_600_000, level.filter((g) => !g.interval)],
          ['7d', END - 3_600_000, level.filter((g) => g.interval)],
        ] as const) {
          if (only.length === 0) continue;
          // one path and the groups' own names for every pass: a group's evaluation offset is a
          // hash of both, so each level is evaluated at the instants the previous one wrote
          const f = join(dir, 'llm-cost.rules.yml');
          writeFileSync(f, stringify({ groups: only }));
          const r = runPromtool([
            'tsdb', 'create-blocks-from', 'rules', '-q', `--max-block-duration=${MAX_BLOCK}`,
            `--start=${start / 1000}`, `--end=${END / 1000}`, `--url=${prom.url}`,
            `--output-dir=${out}`, `--eval-interval=${RULE_EVAL / 1000}s`, f,
          ]);
          expect(r.status, r.output).toBe(0);
        }
        await prom.stop();
        for (const block of readdirSync(out)) renameSync(join(out, block), join(data, `${block}`));
      }
      prom = await startPrometheus(promConfig, data);
    });
  }, 120_000);

  afterAll(async () => {
    await stopAllPrometheus();
    if (!process.env["KEEP_BACKFILL"]) rmSync(dir, { recursive: true, force: true });
    else console.log(dir);
    await host.stop();
    mkdirSync(join(root, 'test-artifacts'), { recursive: true });
    appendFileSync(join(root, 'test-artifacts/backfill.txt'), [`# ${new Date().toISOString()}`, `timings ms: ${JSON.stringify(timings)}`, ...figures, ''].join('\n'));
  });

  /** The value of a single-series query at `tMs` and the time of its sample (fails when absent). */
  const one = async (expr: string, tMs: number): Promise<{ value: number; atMs: number }> => {
    const [r, ts] = await Promise.all([prom.query(expr, tMs / 1000), prom.query(`timestamp(${expr})`, tMs / 1000)]);
    expect(r, `${expr} at ${new Date(tMs).toISOString()}`).toHaveLength(1);
    return { value: Number(r[0]!.value[1]), atMs: Math.round(Number(ts[0]!.value[1]) * 1000) };
  };

  const truthAt = (tMs: number, windowMs: number) => {
    const t = host.sim.truth.between(tMs - windowMs, tMs)!;
    const tokens = t.promptTokens + t.generationTokens;
    return {
      usdPerM: (((hourly * t.seconds) / 3600) / tokens) * 1e6,
      tokenUtil: tokens / (capacity * t.seconds),
      gpuUtil: t.gpuUtilization.reduce((a, b) => a + b, 0) / t.gpuUtilization.length,
      tokens,
    };
  };

  const compare = async (level: 'instance' | 'fleet', window: '1h' | '24h' | '7d', tMs: number) => {
    const windowMs = { '1h': 3_600_000, '24h': 86_400_000, '7d': WEEK }[window];
    const sel = level === 'instance' ? `{job="${job}",instance="${instance}"` : `{job="${job}"`;
    // recording rules are evaluated at their group's offset: compare with the truth of that instant
    const usdPerMSample = await one(`${level}:llm_cost_usd_per_million_tokens:ratio_increase${window}${sel},basis="compute"}`, tMs);
    const at = usdPerMSample.atMs;
    expect(tMs - at).toBeLessThan(RULE_EVAL);
    const usdPerM = usdPerMSample.value;
    const tokenUtil = (await one(`${level}:llm_cost_token_utilization:ratio_increase${window}${sel}}`, tMs)).value;
    const gpuUtil = (await one(`${level}:llm_cost_gpu_utilization:ratio_increase${window}${sel}}`, tMs)).value;
    // increase() reads the samples inside the window and extrapolates both counters of a ratio
    // by the same factor to the window's edges: the ratio is exactly that of the span between the
    // first and last sample inside the window (the history has one sample a minute)
    const from = Math.max(Math.ceil((at - windowMs) / STEP) * STEP, history.timesMs[0]!);
    const to = Math.floor(at / STEP) * STEP;
    const truth = truthAt(to, to - from);
    const plain = truthAt(at, Math.min(windowMs, at - (END - WEEK)));
    figures.push(
      `${level} ${window} @ ${new Date(at).toISOString()}: $/M prom ${usdPerM.toFixed(4)} truth ${truth.usdPerM.toFixed(4)} (${(100 * relDiff(usdPerM, truth.usdPerM)).toFixed(3)}%; ` +
        `over the whole window ${plain.usdPerM.toFixed(4)}, ${(100 * relDiff(usdPerM, plain.usdPerM)).toFixed(3)}%); ` +
        `token util ${tokenUtil.toFixed(4)} / ${truth.tokenUtil.toFixed(4)}; gpu util ${gpuUtil.toFixed(4)} / ${truth.gpuUtil.toFixed(4)}`,
    );
    expect(relDiff(usdPerM, truth.usdPerM)).toBeLessThan(0.01);
    expect(relDiff(tokenUtil, truth.tokenUtil) < 0.01 || Math.abs(tokenUtil - truth.tokenUtil) < 0.01).toBe(true);
    expect(relDiff(gpuUtil, truth.gpuUtil) < 0.01 || Math.abs(gpuUtil - truth.gpuUtil) < 0.01).toBe(true);
  };

  // whole hours over the week: nights, office peaks, the weekend (END is a Friday 00:00 UTC)
  const HOURS_BACK = [150, 131, 110, 99, 77, 60, 40, 33, 20, 14, 9, 3, 0];

  it('1h recording rules (instance and fleet) answer the ground truth within 1%', async () => {
    for (const h of HOURS_BACK) {
      await compare('instance', '1h', END - h * 3_600_000);
      await compare('fleet', '1h', END - h * 3_600_000);
    }
  });

  it('24h recording rules answer the ground truth within 1%', async () => {
    for (const h of HOURS_BACK.filter((x) => x <= 144)) await compare('instance', '24h', END - h * 3_600_000);
    await compare('fleet', '24h', END);
  });

  it('7d recording rules answer the ground truth within 1% at the end of the week', async () => {
    await compare('instance', '7d', END);
    await compare('fleet', '7d', END);
  });

  it('promtool test rules generated from the same week: the break-even alerts fire exactly where the truth is below break-even', () => {
    const INTERVAL = 300_000;
    const MARGIN = 0.03; // instants this close to a threshold (relative) are left out: either answer is right
    const picks = history.timesMs.flatMap((t, i) => (t % INTERVAL === 0 ? [i] : []));
    const t0 = history.timesMs[picks[0]!]!;
    const value = (v: number) => (Number.isNaN(v) ? '_' : String(v));
    const inputSeries = history.series.map((s) => ({
      series: `${s.family}{${Object.entries(s.labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`,
      values: picks.map((i) => value(s.values[i]!)).join(' '),
    }));
    const endMs = history.timesMs[picks[picks.length - 1]!]!;

    const threshold = config.alert.break_even_utilization;
    const price = config.api_prices.table.get(config.compare_to)!;
    // the truth of each alert's expression at an evaluation instant: -1 clearly false, 1 clearly true, 0 too close
    const below = (s: number) => {
      const t = host.sim.truth.between(s - 3_600_000, s)!;
      const util = (t.promptTokens + t.generationTokens) / (capacity * t.seconds);
      return util < threshold * (1 - MARGIN) ? 1 : util > threshold * (1 + MARGIN) ? -1 : 0;
    };
    const aboveApi = (s: number) => {
      const t = host.sim.truth.between(s - 86_400_000, s)!;
      const spend = (hourly * t.seconds) / 3600;
      const api = (t.promptTokens * price.input_usd_per_mtok + t.generationTokens * price.output_usd_per_mtok) / 1e6;
      const ratio = spend / api;
      return ratio > 1 + MARGIN ? 1 : ratio < 1 - MARGIN ? -1 : 0;
    };
    // an alert with `for: F` fires at t iff its expression held at every evaluation in [t - F, t];
    // one evaluation of slack on each side, for the order of rule groups within an evaluation
    const expected = (cond: (s: number) => number, forMs: number, t: number): boolean | undefined => {
      const steps: number[] = [];
      for (let s = t - forMs - INTERVAL; s <= t; s += INTERVAL) steps.push(cond(s));
      if (steps.every((c) => c === 1)) return true;
      if (steps.slice(2).some((c) => c === -1)) return false;
      return undefined;
    };
    const cases: Array<{ eval_time: string; alertname: string; exp_alerts: Array<{ exp_labels: Record<string, string> }> }> = [];
    const counts = { LLMCostUtilizationBelowBreakEven: { firing: 0, quiet: 0, skipped: 0 }, LLMCostAboveAPIPrice: { firing: 0, quiet: 0, skipped: 0 } };
    for (const [alertname, cond, forMs, warmMs, labels] of [
      ['LLMCostUtilizationBelowBreakEven', below, 2 * 3_600_000, 4 * 3_600_000, {}],
      ['LLMCostAboveAPIPrice', aboveApi, 3_600_000, 26 * 3_600_000, { basis: 'compute', api_model: config.compare_to }],
    ] as const) {
      for (let t = t0 + warmMs; t <= endMs; t += 3_600_000) {
        const fires = expected(cond, forMs, t);
        const c = counts[alertname];
        if (fires === undefined) {
          c.skipped++;
          continue;
        }
        fires ? c.firing++ : c.quiet++;
        cases.push({
          eval_time: `${(t - t0) / 60_000}m`,
          alertname,
          exp_alerts: fires ? [{ exp_labels: { severity: 'warning', job, instance, ...labels } }] : [],
        });
      }
    }
    figures.push(`promtool test rules cases: ${JSON.stringify(counts)}`);
    for (const c of Object.values(counts)) {
      expect(c.firing).toBeGreaterThan(0);
      expect(c.quiet).toBeGreaterThan(0);
    }
    // the alerts as deployed, less their annotations (rendered text is tested in deploy/prometheus/tests)
    const alertGroups = (parse(readFileSync(ALERTS, 'utf8')) as { groups: RuleGroup[] }).groups.map((g) => ({
      ...g,
      rules: g.rules.map(({ annotations: _annotations, ...rule }) => rule),
    }));
    const alertsFile = join(dir, 'alerts-without-annotations.yml');
    writeFileSync(alertsFile, stringify({ groups: alertGroups }));
    const testFile = join(dir, 'week.test.yml');
    writeFileSync(
      testFile,
      stringify({
        rule_files: [RULES, alertsFile],
        evaluation_interval: `${INTERVAL / 1000}s`,
        tests: [{ name: 'a simulated week', interval: `${INTERVAL / 1000}s`, input_series: inputSeries, alert_rule_test: cases }],
      }, { lineWidth: 0 }),
    );
    const t = performance.now();
    const r = runPromtool(['test', 'rules', testFile]);
    timings['promtool test rules'] = Math.round(performance.now() - t);
    expect(r.output).not.toMatch(/FAILED/);
    expect(r.status, r.output.slice(0, 4000)).toBe(0);
  });
});
