import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { windowFigures, type WindowFigures } from '../../src/accounting/cost-model.js';
import type { HistoryPoint } from '../../src/accounting/history.js';
import { emptyTally, type Tally } from '../../src/accounting/tally.js';
import type { Snapshot } from '../../src/exporter/snapshot.js';
import type { ApiPrice } from '../../src/pricing/api-price.js';
import { fmtPct, fmtRatio, fmtUsd, renderStatusPage, statusPageAssets } from '../../src/server/status-page.js';

const HAIKU: ApiPrice = { id: 'claude-3-5-haiku', input_usd_per_mtok: 0.8, output_usd_per_mtok: 4, cached_input_usd_per_mtok: 0.08 };
const MINI: ApiPrice = { id: 'gpt-4o-mini', input_usd_per_mtok: 0.15, output_usd_per_mtok: 0.6 };
const CAPACITY = 1975.3;

interface Scenario {
  /** Token load L of every window; 0 = no tokens. */
  readonly load: number;
  readonly coveredSeconds?: number;
  readonly prices?: readonly ApiPrice[];
  /** capacity.tokens_per_second not configured. */
  readonly noCapacity?: boolean;
  readonly opsHourlyCostUsd?: number;
  readonly gpuUtil?: number;
}

/** The seed's host: $3.20/h, 1975.3 tok/s, an 80/20 prompt/generation mix. */
function figures({ load, coveredSeconds = 3600, prices = [HAIKU, MINI], noCapacity = false, opsHourlyCostUsd = 0, gpuUtil }: Scenario): WindowFigures {
  const tokens = CAPACITY * coveredSeconds * load;
  const tally: Tally = {
    ...emptyTally(),
    coveredSeconds,
    spendComputeUsd: (3.2 / 3600) * coveredSeconds,
    spendOpsUsd: (opsHourlyCostUsd / 3600) * coveredSeconds,
    promptTokens: tokens * 0.8,
    generationTokens: tokens * 0.2,
    gpu: gpuUtil === undefined ? {} : { 'GPU-a': [gpuUtil * coveredSeconds, coveredSeconds] },
  };
  return windowFigures(tally, { capacityTokensPerSecond: noCapacity ? undefined : CAPACITY, apiPrices: prices });
}

function snapshot(scenario: Scenario, patch: Partial<Snapshot> = {}): Snapshot {
  const prices = scenario.prices ?? [HAIKU, MINI];
  const f = figures(scenario);
  const point: HistoryPoint = {
    atMs: 1_700_000_000_000,
    coveredSeconds: 60,
    ...(f.promptTokensPerSecond !== undefined && { promptTokensPerSecond: f.promptTokensPerSecond, generationTokensPerSecond: f.generationTokensPerSecond! }),
    ...(f.tokenUtilization !== undefined && { tokenUtilization: f.tokenUtilization }),
    ...(f.usdPerMillionTokens && { usdPerMillionTokens: f.usdPerMillionTokens }),
    apiUsdPerMillionTokens: Object.fromEntries(prices.map((p) => [p.id, f.api[p.id]?.usdPerMillionTokens ?? 0])),
  };
  const gap: HistoryPoint = { atMs: 1_700_000_060_000, coveredSeconds: 0, apiUsdPerMillionTokens: {} };
  return {
    atMs: 1_700_000_100_000,
    windows: { '5m': figures({ ...scenario, coveredSeconds: 300 }), '1h': f, '24h': f, '7d': f },
    totals: {
      observedSeconds: 3600,
      unobservedSeconds: 0,
      spendComputeUsd: 3.2,
      spendOpsUsd: 0,
      promptTokens: 0,
      generationTokens: 0,
      apiEquivalentUsd: {},
      models: {},
      gpus: {},
    },
    gpus: [{ uuid: 'GPU-a', index: 0, name: 'NVIDIA A100-SXM4-80GB', last: { index: 0, lost: false, utilizationRatio: 0.2 } }],
    models: { 'meta-llama/Llama-3.1-8B-Instruct': { running: 3, waiting: 0, kvCacheUsageRatio: 0.25 } },
    health: [
      { collector: 'vllm', target: 'http://127.0.0.1:8000/metrics', up: true, lastSuccessMs: 1_700_000_099_000, lastDurationSeconds: 0.01 },
      { collector: 'nvidia_smi', target: 'nvidia-smi', up: true, lastSuccessMs: 1_700_000_099_500 },
    ],
    nvidiaSmiRestarts: 0,
    vllmRestarts: {},
    inputs: {
      gpuHourlyCostUsd: 3.2,
      billedGpus: 1,
      opsHourlyCostUsd: scenario.opsHourlyCostUsd ?? 0,
      ...(!scenario.noCapacity && { capacityTokensPerSecond: CAPACITY }),
      apiPrices: prices,
      compareTo: prices[0]!.id,
      breakEvenThresholdRatio: 0.6,
      ttftTargetSeconds: 1,
      priceTableAsOfSeconds: 1_795_564_800,
    },
    history: { hour: [point, gap], day: [point] },
    ...patch,
  };
}

/** The lead paragraph, tags stripped. */
function lead(html: string): string {
  return /<p class="lead">([\s\S]*?)<\/p>/.exec(html)![1]!.replace(/<[^>]+>/g, '');
}

/** Every number element: its series, its labels, and its exact value when defined. */
function numbers(html: string): { metric: string; attrs: Record<string, string>; value?: string; text: string }[] {
  return [...html.matchAll(/<span class="num[^"]*" ([^>]*)>([^<]*)<\/span>/g)].map((m) => {
    const attrs = Object.fromEntries([...m[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!]));
    return { metric: attrs['data-metric']!, attrs, ...(attrs['data-value'] !== undefined && { value: attrs['data-value'] }), text: m[2]! };
  });
}

function chartData(html: string): unknown {
  return JSON.parse(/<script type="application\/json" id="chart-data">([\s\S]*?)<\/script>/.exec(html)![1]!);
}

describe('renderStatusPage', () => {
  it('states the seed example in one sentence: $2.25/M at 20%, 1.6x Haiku, break-even 31%', () => {
    const html = renderStatusPage(snapshot({ load: 0.2, gpuUtil: 0.2 }), '/metrics');
    const text = lead(html);
    expect(text).toContain('Over the last hour, self-hosting cost $2.25 per million tokens');
    expect(text).toContain('1.6× what claude-3-5-haiku would have charged for the same traffic ($1.44/M at this prompt/output mix)');
    expect(text).toContain('Break-even is 31% token utilisation; you are at 20%.');
    expect(html).toContain('Self-hosting costs more than claude-3-5-haiku');
    expect(html).toMatch(/<title>\$2\.25\/M · 1\.6× claude-3-5-haiku/);
  });

  it('says when self-hosting is cheaper, and by how much', () => {
    const text = lead(renderStatusPage(snapshot({ load: 1 }), '/metrics'));
    expect(text).toContain('self-hosting cost $0.45 per million tokens: 0.31× what claude-3-5-haiku would have charged');
    expect(text).toContain('69% less');
  });

  it('says when break-even is beyond full load', () => {
    const text = lead(renderStatusPage(snapshot({ load: 0.2, prices: [MINI] }), '/metrics'));
    expect(text).toContain('Break-even would need 188% token utilisation, more than the configured capacity: at this mix the API is cheaper even at full load. You are at 20%.');
  });

  it('adds the fully loaded price when ops labour is configured', () => {
    const html = renderStatusPage(snapshot({ load: 0.2, opsHourlyCostUsd: 3.42 }), '/metrics');
    expect(lead(html)).toContain('With ops labour ($3.42/h) a million tokens cost $4.65');
    expect(numbers(html).some((n) => n.metric === 'llm_cost_usd_per_million_tokens' && n.attrs['data-basis'] === 'fully_loaded')).toBe(true);
  });

  it('shows fully loaded figures only when ops labour is configured', () => {
    const html = renderStatusPage(snapshot({ load: 0.2 }), '/metrics');
    expect(numbers(html).some((n) => n.attrs['data-basis'] === 'fully_loaded')).toBe(false);
  });

  it('renders "—" with a reason for undefined values, never 0, NaN or "undefined"', () => {
    const html = renderStatusPage(snapshot({ load: 0, noCapacity: true }), '/metrics');
    expect(html).not.toMatch(/NaN|Infinity|undefined/);
    const usd = numbers(html).filter((n) => n.metric === 'llm_cost_usd_per_million_tokens');
    expect(usd.length).toBeGreaterThanOrEqual(4);
    for (const n of usd) {
      expect(n.text).toBe('—');
      expect(n.value).toBeUndefined();
      expect(n.attrs['title']).toMatch(/^not defined: no tokens served/);
    }
    const ratio = numbers(html).filter((n) => n.metric === 'llm_cost_api_cost_ratio');
    expect(ratio.every((n) => n.text === '—' && n.value === undefined)).toBe(true);
    expect(lead(html)).toContain('No tokens were served over the last hour. The GPUs still cost $3.20 per hour busy or idle');
  });

  it('treats non-finite figures as undefined', () => {
    const s = snapshot({ load: 0.2 });
    const broken = { ...s.windows['1h'], usdPerMillionTokens: { compute: Number.NaN, fully_loaded: Number.POSITIVE_INFINITY }, gpuUtilization: Number.NaN };
    const html = renderStatusPage({ ...s, windows: { ...s.windows, '1h': broken } }, '/metrics');
    expect(html).not.toMatch(/NaN|Infinity/);
    const n = numbers(html).find((x) => x.metric === 'llm_cost_usd_per_million_tokens' && x.attrs['data-window'] === '1h')!;
    expect(n.text).toBe('—');
  });

  it('renders a page that waits for the first cycle', () => {
    const html = renderStatusPage(undefined, '/metrics');
    expect(html).toContain('Waiting for the first accounting cycle');
    expect(html).not.toMatch(/NaN|undefined/);
    expect(chartData(html)).toBeNull();
  });

  it('carries the exact value of every number, as /metrics prints it', () => {
    const html = renderStatusPage(snapshot({ load: 0.2, gpuUtil: 0.2 }), '/metrics');
    const s = snapshot({ load: 0.2 });
    const exact = s.windows['1h'].usdPerMillionTokens!.compute;
    const n = numbers(html).find((x) => x.metric === 'llm_cost_usd_per_million_tokens' && x.attrs['data-window'] === '1h' && x.attrs['data-basis'] === 'compute')!;
    expect(n.value).toBe(String(exact));
    expect(Number(n.value)).toBe(exact);
    expect(n.text).toBe('$2.25');
    const be = numbers(html).find((x) => x.metric === 'llm_cost_break_even_utilization_ratio' && x.attrs['data-api-model'] === 'claude-3-5-haiku' && x.attrs['data-window'] === '24h')!;
    expect(Number(be.value)).toBe(s.windows['24h'].api['claude-3-5-haiku']!.breakEvenUtilization!.compute);
    // every number names a series of the catalogue
    for (const x of numbers(html)) expect(x.metric).toMatch(/^llm_cost_[a-z_]+$/);
  });

  it('escapes every string that comes from the snapshot', () => {
    const hostile = '"><img src=x onerror=alert(1)><script>alert(1)</script>';
    const api: ApiPrice = { id: `x</script><script>alert(2)</script>`, input_usd_per_mtok: 1, output_usd_per_mtok: 2, provider: hostile, source_id: hostile };
    const base = snapshot({ load: 0.2, prices: [api, HAIKU] });
    const html = renderStatusPage(
      {
        ...base,
        models: { [hostile]: { running: 1, waiting: 0 } },
        gpus: [{ uuid: `GPU-"'<b>`, index: 0, name: hostile, last: { index: 0, lost: false, name: hostile } }],
        health: [{ collector: 'vllm', target: `http://h/"><script>alert(3)</script>`, up: false, lastError: hostile }],
      },
      '/metrics"><script>alert(4)</script>',
    );
    expect(html).not.toContain('<img');
    expect(html).not.toMatch(/<script>alert/);
    expect(html).not.toContain(`"'<b>`);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    // only the page's own scripts: the chart JSON cannot close its <script>
    expect(html.match(/<script/g)).toHaveLength(3);
    expect(JSON.stringify(chartData(html))).toContain(api.id);
  });

  it('embeds the charts’ history with gaps as null', () => {
    const data = chartData(renderStatusPage(snapshot({ load: 0.2, gpuUtil: 0.2 }), '/metrics')) as {
      hour: { t0: number; step: number; span: number; t: number[]; usd: (number | null)[]; api: (number | null)[][] };
      ids: string[];
      threshold: number;
      breakEven: number;
    };
    expect(data.ids).toEqual(['claude-3-5-haiku', 'gpt-4o-mini']);
    expect(data.hour.t0).toBe(1_700_000_000);
    expect(data.hour.step).toBe(60);
    expect(data.hour.span).toBe(3600);
    expect(data.hour.t).toEqual([0, 1]);
    expect(data.hour.usd).toEqual([2.25, null]);
    expect(data.hour.api[0]).toEqual([1.44, null]);
    expect(data.threshold).toBe(0.6);
    expect(data.breakEven).toBe(0.313);
  });

  it('shows a source that is down with its error', () => {
    const s = snapshot({ load: 0.2 });
    const html = renderStatusPage({ ...s, health: [{ collector: 'nvidia_smi', target: 'nvidia-smi', up: false, lastError: 'exited with code 9' }] }, '/metrics');
    expect(html).toMatch(/<li class="down">/);
    expect(html).toContain('exited with code 9');
    expect(numbers(html).find((n) => n.metric === 'llm_cost_collector_up')!.value).toBe('0');
  });
});

describe('number formats', () => {
  it('writes dollars, ratios and percentages as the seed does', () => {
    expect([0.45, 2.25, 4.5, 0.0042, 1234.5, -0.93].map(fmtUsd)).toEqual(['0.45', '2.25', '4.50', '0.0042', '1,235', '−0.93']);
    expect([0.5625, 1.5625, 5.6, 12.3].map(fmtRatio)).toEqual(['0.56×', '1.6×', '5.6×', '12×']);
    expect([0.2, 0.045, 0.0012, 0, 1.3].map(fmtPct)).toEqual(['20%', '4.5%', '0.12%', '0%', '130%']);
  });
});

describe('statusPageAssets', () => {
  it('serves the script, the style and uPlot from memory with a cache lifetime, and the page links them', async () => {
    const app = express();
    app.use('/assets', statusPageAssets());
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const html = renderStatusPage(snapshot({ load: 0.2 }), '/metrics');
      const hrefs = [...html.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)].map((m) => m[1]!);
      expect(hrefs.map((h) => h.replace(/\?v=[0-9a-f]{12}$/, ''))).toEqual(['assets/uPlot.min.css', 'assets/status.css', 'assets/uPlot.iife.min.js', 'assets/status.js']);
      for (const href of hrefs) {
        const res = await fetch(`${base}/${href}`);
        expect(res.status, href).toBe(200);
        expect(res.headers.get('cache-control')).toBe('public, max-age=86400');
        expect(res.headers.get('content-type')).toMatch(href.includes('.css') ? /^text\/css/ : /^text\/javascript/);
        expect((await res.text()).length).toBeGreaterThan(1000);
      }
      expect((await fetch(`${base}/assets/nope.js`)).status).toBe(404);
    } finally {
      server.close();
    }
  });

  it('keeps the page’s own script and style small', async () => {
    const { readFileSync } = await import('node:fs');
    const size = (f: string) => readFileSync(new URL(`../../src/server/status-page/${f}`, import.meta.url)).length;
    expect(size('status.js') + size('status.css')).toBeLessThan(20_000);
  });
});
