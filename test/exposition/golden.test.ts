import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/exposition/catalogue.js';
import { parseExposition } from '../../src/sources/exposition/parse.js';
import { renderGoldenMetrics } from '../support/golden-exporter.js';

const GOLDEN = new URL('../golden/metrics.prom', import.meta.url);
const GOLDEN_OM = new URL('../golden/metrics.openmetrics', import.meta.url);

/**
 * The golden /metrics: any change to names, labels, HELP or values shows up as a diff. Rewrite it
 * on purpose with LLM_COST_UPDATE_GOLDEN=1 npm test, and review the diff.
 */
describe('golden /metrics', () => {
  let text = '';
  let openMetrics = '';
  beforeAll(async () => {
    ({ text, openMetrics } = await renderGoldenMetrics());
  });

  it('matches the committed text exposition and OpenMetrics rendering', async () => {
    if (process.env['LLM_COST_UPDATE_GOLDEN'] === '1' || !existsSync(GOLDEN)) {
      writeFileSync(GOLDEN, text);
      writeFileSync(GOLDEN_OM, openMetrics);
    }
    expect(text).toBe(readFileSync(GOLDEN, 'utf8'));
    expect(openMetrics).toBe(readFileSync(GOLDEN_OM, 'utf8'));
  });

  it('declares every catalogue metric with HELP and TYPE, and only those', async () => {
    const parsed = parseExposition(text);
    expect([...parsed.types.keys()].sort()).toEqual(CATALOGUE.map((d) => d.name).sort());
    for (const def of CATALOGUE) expect(parsed.types.get(def.name)).toBe(def.type);
  });

  it('never exposes NaN, infinities or negative costs', async () => {
    for (const s of parseExposition(text).samples) {
      expect(Number.isFinite(s.value), `${s.name} ${JSON.stringify(s.labels)}`).toBe(true);
      if (s.name.includes('usd') && !s.name.includes('savings')) expect(s.value).toBeGreaterThanOrEqual(0);
    }
  });

  it('prices the golden hour correctly: 3000 tok/s on 8 GPUs at $3.20/h', async () => {
    const parsed = parseExposition(text);
    const get = (name: string, labels: Record<string, string>) =>
      parsed.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    // 8 x $3.20/h = $25.60/h over 3000 tok/s (2400 prompt + 600 generation)
    expect(get('llm_cost_usd_per_million_tokens', { basis: 'compute', window: '1h' })).toBeCloseTo((25.6 / 3600 / 3000) * 1e6, 6);
    expect(get('llm_cost_utilization_ratio', { source: 'tokens', window: '1h' })).toBeCloseTo(3000 / 15000, 6);
    // GPUs 0-3 at ~100%, 4-7 idle: host mean of per-GPU means
    expect(get('llm_cost_utilization_ratio', { source: 'gpu', window: '1h' })).toBeCloseTo((1 + 1 + 0.99 + 1) / 8, 6);
    expect(get('llm_cost_gpu_hourly_cost_usd', {})).toBe(25.6);
  });
});

describe('repeated publishing', () => {
  it('keeps both renderings intact after many updates (no shared state between formats)', async () => {
    const { ExporterMetrics } = await import('../../src/exposition/exporter-metrics.js');
    const { renderGoldenSnapshot } = await import('../support/golden-exporter.js');
    const snapshot = await renderGoldenSnapshot();
    const metrics = new ExporterMetrics('0.0.0-golden');
    for (let i = 0; i < 3; i++) {
      metrics.publish(snapshot);
      await metrics.current(true);
    }
    const text = (await metrics.current(false))!.body;
    expect(text).toContain('# TYPE llm_cost_spend_usd_total counter');
    expect(text).toContain('llm_cost_tokens_total{direction="prompt"}');
    expect((await metrics.current(true))!.body).toContain('# TYPE llm_cost_spend_usd counter');
  });
});
