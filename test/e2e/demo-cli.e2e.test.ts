import { afterAll, describe, expect, it } from 'vitest';
import { sampleValue, startCli, type CliProcess } from './cli-process.js';

// The acceptance: `npm run demo` on a machine with no GPU and no vLLM serves /metrics and
// / within 15 s (default 7 simulated days of history replayed first).
describe('llm-cost-exporter demo, as a newcomer runs it', () => {
  let cli: CliProcess;
  const started = Date.now();

  afterAll(async () => {
    expect(await cli?.stop()).toBe(0);
  });

  it('serves /metrics and the status page within 15 s, then a full simulated week', async () => {
    cli = await startCli(['demo']);
    while (Date.now() - started < 15_000 && (await fetch(`${cli.url}/metrics`)).status !== 200) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const page = await fetch(`${cli.url}/`);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('per million tokens');
    // the replay of the week goes on while serving; it is done when the vLLM source is polled live
    let metrics = '';
    while (Date.now() - started < 40_000) {
      metrics = await (await fetch(`${cli.url}/metrics`)).text();
      if (sampleValue(metrics, 'llm_cost_collector_up', { collector: 'vllm' }) === 1) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    // the seed's story over the simulated week
    const week = sampleValue(metrics, 'llm_cost_window_covered_seconds', { window: '7d' })!;
    expect(week).toBeGreaterThan(6.9 * 86_400);
    const tokenUtil = sampleValue(metrics, 'llm_cost_utilization_ratio', { source: 'tokens', window: '7d' })!;
    expect(tokenUtil).toBeGreaterThan(0.08);
    expect(tokenUtil).toBeLessThan(0.15);
    expect(sampleValue(metrics, 'llm_cost_api_cost_ratio', { api_model: 'claude-3-5-haiku', basis: 'compute', window: '7d' })!).toBeGreaterThan(1);
    expect(sampleValue(metrics, 'llm_cost_collector_up', { collector: 'vllm' })).toBe(1);
  }, 60_000);
});
