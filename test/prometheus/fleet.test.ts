import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, sampleValue, startCli, type CliProcess } from '../e2e/cli-process.js';
import { startPrometheus, stopAllPrometheus, type PrometheusProcess } from './prometheus-server.js';

// Three demo exporters (different GPU counts, prices, traffic) scraped every second by one real
// Prometheus with the recording rules loaded: the fleet's $/M is total spend over total tokens,
// equal to the same ratio of the exporters' own counters, and not the mean of the hosts' $/M.
const HOSTS = [
  { gpus: '1', price: '3.2', seed: '7', peakToTrough: '8' },
  { gpus: '2', price: '2.1', seed: '11', peakToTrough: '3' },
  { gpus: '1', price: '4.0', seed: '23', peakToTrough: '20' },
];
const RUN_MS = 30_000;
const RULES = join(ROOT, 'deploy/prometheus/rules/llm-cost.rules.yml');

describe('a fleet of three demo exporters scraped by one Prometheus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llm-cost-fleet-'));
  const exporters: CliProcess[] = [];
  let prom: PrometheusProcess;
  const figures: string[] = [];

  beforeAll(async () => {
    for (const h of HOSTS) {
      exporters.push(
        await startCli([
          'demo', '--warmup', '0s', '--speed', '60', '--poll-interval', '1s',
          '--gpus', h.gpus, '--gpu.hourly-cost-usd', h.price, '--seed', h.seed, '--peak-to-trough', h.peakToTrough,
        ]),
      );
    }
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global: {scrape_interval: 1s, scrape_timeout: 900ms, evaluation_interval: 1s}',
        `rule_files: ['${RULES}']`,
        'scrape_configs:',
        '  - job_name: llm-cost-exporter',
        `    static_configs: [{targets: [${exporters.map((e) => `'127.0.0.1:${e.port}'`).join(', ')}]}]`,
        '',
      ].join('\n'),
    );
    prom = await startPrometheus(config, join(dir, 'data'));
    await new Promise((r) => setTimeout(r, RUN_MS));
  }, 90_000);

  afterAll(async () => {
    await stopAllPrometheus();
    await Promise.all(exporters.map((e) => e.stop()));
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    appendFileSync(join(ROOT, 'test-artifacts/fleet.txt'), [`# ${new Date().toISOString()}`, ...figures, ''].join('\n'));
  });

  it('every exporter is scraped', async () => {
    const up = await prom.query('up{job="llm-cost-exporter"}');
    expect(up.map((r) => r.value[1])).toEqual(['1', '1', '1']);
  });

  it('fleet $/M in Prometheus = total spend / total tokens of the exporters, not the mean of their $/M', async () => {
    // the exporters' own counters, read directly, and Prometheus' view of the same instant (its
    // last scrape is at most 1 s, 60 simulated s, older: the totals cover ~30 simulated minutes)
    const atS = Date.now() / 1000;
    const bodies = await Promise.all(exporters.map(async (e) => (await fetch(`${e.url}/metrics`)).text()));
    const hosts = bodies.map((b) => {
      const spend = sampleValue(b, 'llm_cost_spend_usd_total', { basis: 'compute' })!;
      const tokens = sampleValue(b, 'llm_cost_tokens_total', { direction: 'prompt' })! + sampleValue(b, 'llm_cost_tokens_total', { direction: 'generation' })!;
      return { spend, tokens, usdPerM: (spend / tokens) * 1e6 };
    });
    const ratioOfSums = (hosts.reduce((a, h) => a + h.spend, 0) / hosts.reduce((a, h) => a + h.tokens, 0)) * 1e6;
    const meanOfRatios = hosts.reduce((a, h) => a + h.usdPerM, 0) / hosts.length;

    const value = async (expr: string) => {
      const r = await prom.query(expr, atS);
      expect(r, expr).toHaveLength(1);
      return Number(r[0]!.value[1]);
    };
    const promFleet = await value('sum(llm_cost_spend_usd_total{basis="compute"}) / sum(llm_cost_tokens_total) * 1e6');
    // the recording rules: the fleet ratio divides the fleet sums (1h windows over a 30 s run: both
    // sides see the same extrapolated increases, so compare them with each other)
    const ruleFleet = await value('fleet:llm_cost_usd_per_million_tokens:ratio_increase1h{basis="compute"}');
    const ruleSums = await value(
      'sum(instance:llm_cost_spend_usd:increase1h{basis="compute"}) / sum(instance:llm_cost_tokens:increase1h) * 1e6',
    );
    const ruleMean = await value('avg(instance:llm_cost_usd_per_million_tokens:ratio_increase1h{basis="compute"})');

    figures.push(
      `hosts: ${hosts.map((h, i) => `${HOSTS[i]!.gpus}x$${HOSTS[i]!.price} ${h.usdPerM.toFixed(4)} $/M (${(h.tokens / 1e6).toFixed(2)} Mtok)`).join('; ')}`,
      `exporters: ratio of sums ${ratioOfSums.toFixed(4)} $/M, mean of ratios ${meanOfRatios.toFixed(4)} $/M (${((100 * (meanOfRatios - ratioOfSums)) / ratioOfSums).toFixed(1)}%)`,
      `prometheus: sum/sum ${promFleet.toFixed(4)} $/M (${((100 * (promFleet - ratioOfSums)) / ratioOfSums).toFixed(3)}% from the exporters); ` +
        `fleet rule 1h ${ruleFleet.toFixed(4)}, sum of instance rules ${ruleSums.toFixed(4)}, avg of instance ratios ${ruleMean.toFixed(4)}`,
    );
    expect(Math.abs(promFleet - ratioOfSums) / ratioOfSums).toBeLessThan(0.01);
    expect(Math.abs(ruleFleet - ruleSums) / ruleSums).toBeLessThan(1e-9);
    // the hosts differ enough that averaging their ratios would be visibly wrong
    expect(Math.abs(meanOfRatios - ratioOfSums) / ratioOfSums).toBeGreaterThan(0.05);
    expect(Math.abs(ruleMean - ruleFleet) / ruleFleet).toBeGreaterThan(0.05);
  });
});
