import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VllmDouble } from '../doubles/vllm-double.js';
import { NVIDIA_SMI_DOUBLE, ROOT, sampleValue, startCli, type CliProcess } from './cli-process.js';

/**
 * The status page in real headless Chromium (Debian's `chromium`, driven by playwright-core),
 * against the real CLI with the HTTP vLLM double and the nvidia-smi double: the page loads
 * without console errors or requests leaving the exporter, every number it shows is the value
 * /metrics exports for the same accounting tick, the charts draw, and it survives live refreshes.
 * The screenshot goes to test-artifacts/ (git-ignored).
 */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOT = join(ROOT, 'test-artifacts', 'status-page.png');

// The page functions below run in Chromium; these are the few DOM shapes they use (the test
// program is typed without the DOM library).
declare const document: { documentElement: { dataset: Record<string, string | undefined> }; getElementById(id: string): { dataset: Record<string, string | undefined> } | null };
interface ElementLike {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
}
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

interface PageNumber {
  readonly metric: string;
  readonly labels: Record<string, string>;
  readonly value: string | null;
  readonly text: string;
}

describe('status page in headless Chromium', () => {
  const vllm = new VllmDouble({ promptTokensPerSecond: 300, generationTokensPerSecond: 95 });
  const dirs: string[] = [];
  const consoleErrors: string[] = [];
  const foreignRequests: string[] = [];
  let cli: CliProcess;
  let context: BrowserContext;
  let page: Page;

  const metricsText = async () => (await fetch(`${cli.url}/metrics`)).text();
  const refreshes = () => page.evaluate(() => Number(document.documentElement.dataset['refreshes'] ?? 0));
  const atMs = () => page.$eval('#verdict', (el) => Number((el as unknown as ElementLike).dataset['atMs']));
  const pageNumbers = () =>
    page.$$eval('[data-metric]', (els) =>
      els.map((el) => {
        const { metric = '', value, ...rest } = (el as unknown as ElementLike).dataset;
        const labels: Record<string, string> = {};
        for (const [k, v] of Object.entries(rest)) labels[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v ?? '';
        return { metric, labels, value: value ?? null, text: el.textContent ?? '' };
      }),
    ) as Promise<PageNumber[]>;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: this test drives Debian's chromium package (apt-get update && apt-get install -y chromium)`);
    }
    const storage = mkdtempSync(join(tmpdir(), 'llm-cost-status-data-'));
    const userDataDir = mkdtempSync(join(tmpdir(), 'llm-cost-chromium-'));
    dirs.push(storage, userDataDir);
    const url = await vllm.start();
    cli = await startCli(
      [
        '--vllm.targets', url,
        '--poll-interval', '1s',
        '--nvidia-smi.path', NVIDIA_SMI_DOUBLE,
        '--nvidia-smi.interval', '250ms',
        '--gpu.hourly-cost-usd', '3.2',
        '--capacity.tokens-per-second', '1975.3',
        '--ops.fte', '0.2',
        '--storage.path', storage,
      ],
      { FAKE_NVIDIA_SMI_UTIL: '20', FAKE_NVIDIA_SMI_GPUS: '1' },
    );
    const browser = chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 900 },
    });
    // a few accounting cycles: tokens, GPU readings and their prices in the 5 m window
    const deadline = Date.now() + 15_000;
    for (;;) {
      const text = await fetch(`${cli.url}/metrics`).then((r) => (r.ok ? r.text() : ''));
      const ready =
        sampleValue(text, 'llm_cost_usd_per_million_tokens', { basis: 'compute', window: '5m' }) !== undefined &&
        sampleValue(text, 'llm_cost_utilization_ratio', { source: 'gpu', window: '5m' }) !== undefined &&
        (sampleValue(text, 'llm_cost_window_covered_seconds', { window: '5m' }) ?? 0) >= 3;
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`the exporter priced no traffic within 15 s:\n${cli.stderr()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    context = await browser;
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith(`${cli.url}/`) && !r.url().startsWith('data:')) foreignRequests.push(r.url());
    });
  }, 45_000);

  afterAll(async () => {
    await context?.close();
    const code = await cli?.stop();
    await vllm.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    expect(code).toBe(0);
  });

  it('loads, with its assets from the exporter only and no console error', async () => {
    const res = await page.goto(`${cli.url}/?refresh=1`);
    expect(res?.status()).toBe(200);
    await page.waitForSelector('#charts canvas', { timeout: 5_000 });
    expect(await page.locator('#charts figure').count()).toBe(3);
    expect(await page.title()).toMatch(/^\$\d+\.\d\d\/M · /);
    expect(await page.locator('.lead').innerText()).toMatch(/self-hosting cost \$\d+\.\d\d per million tokens/);
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
  });

  it('shows exactly the values /metrics exports for the same tick', async () => {
    await page.click('#pause');
    expect(await page.locator('#conn').innerText()).toMatch(/^Paused/);
    // /metrics and the page are read around one refresh; the page must equal one of the two reads
    for (let attempt = 1; ; attempt++) {
      const before = await metricsText();
      const n = await refreshes();
      await page.click('#refresh');
      await page.waitForFunction((k) => Number(document.documentElement.dataset['refreshes'] ?? 0) > k, n, { timeout: 5_000 });
      const at = await atMs();
      const numbers = await pageNumbers();
      const after = await metricsText();
      const same = [before, after].find((t) => sampleValue(t, 'llm_cost_last_update_timestamp_seconds') === at / 1000);
      if (!same) {
        if (attempt >= 10) throw new Error(`no /metrics read matched the page's tick ${at} in 10 attempts`);
        continue;
      }
      const mismatches = numbers
        .map((x) => {
          const expected = sampleValue(same, x.metric, x.labels);
          const shown = x.value === null ? undefined : Number(x.value);
          return shown === expected ? undefined : `${x.metric}${JSON.stringify(x.labels)}: page ${x.value ?? '—'} (${x.text}), /metrics ${expected ?? 'absent'}`;
        })
        .filter((m) => m !== undefined);
      expect(mismatches).toEqual([]);
      // and the headline numbers are there, defined
      const defined = (metric: string, labels: Record<string, string>) =>
        numbers.some((x) => x.metric === metric && x.value !== null && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
      for (const window of ['5m', '1h', '24h', '7d']) {
        for (const basis of ['compute', 'fully_loaded']) {
          expect(defined('llm_cost_usd_per_million_tokens', { basis, window }), `$/M ${basis} ${window}`).toBe(true);
          expect(defined('llm_cost_api_cost_ratio', { api_model: 'claude-3-5-haiku', basis, window })).toBe(true);
          expect(defined('llm_cost_break_even_utilization_ratio', { api_model: 'claude-3-5-haiku', basis, window })).toBe(true);
          expect(defined('llm_cost_api_savings_usd', { api_model: 'claude-3-5-haiku', basis, window })).toBe(true);
        }
        expect(defined('llm_cost_utilization_ratio', { source: 'tokens', window })).toBe(true);
        expect(defined('llm_cost_utilization_ratio', { source: 'gpu', window })).toBe(true);
      }
      expect(defined('llm_cost_collector_up', { collector: 'vllm' })).toBe(true);
      expect(defined('llm_cost_gpu_hourly_cost_usd', {})).toBe(true);
      expect(numbers.length).toBeGreaterThan(100);
      // the displayed text is the value, rounded
      const usd = numbers.find((x) => x.metric === 'llm_cost_usd_per_million_tokens' && x.labels['window'] === '5m' && x.labels['basis'] === 'compute')!;
      expect(usd.text).toBe(`$${Number(usd.value).toFixed(2)}`);
      break;
    }
    await page.click('#pause');
    expect(await page.locator('#conn').innerText()).toMatch(/^Live/);
  });

  it('draws the charts: canvases with the series’ colours on them', async () => {
    const drawn = await page.$$eval('#charts canvas', (canvases) =>
      canvases.map((c) => {
        const canvas = c as unknown as CanvasLike;
        const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        let prompt = 0; // --c-tok, #2563eb: the prompt line (tokens/s) and the token utilisation line
        for (let i = 0; i < px.length; i += 4) {
          if (px[i + 3]! > 0) painted++;
          if (Math.abs(px[i]! - 0x25) < 40 && Math.abs(px[i + 1]! - 0x63) < 40 && Math.abs(px[i + 2]! - 0xeb) < 40 && px[i + 3]! > 200) prompt++;
        }
        return { width: canvas.width, height: canvas.height, painted, prompt };
      }),
    );
    expect(drawn).toHaveLength(3);
    for (const d of drawn) {
      expect(d.width).toBeGreaterThan(200);
      expect(d.painted).toBeGreaterThan(500);
    }
    expect(drawn[0]!.prompt).toBeGreaterThan(5);
  });

  it('survives live refreshes and keeps its charts, whichever range is shown', async () => {
    await page.click('button[data-range="day"]');
    expect(await page.locator('button[data-range="day"]').getAttribute('aria-pressed')).toBe('true');
    const n = await refreshes();
    const at = await atMs();
    await page.waitForFunction((k) => Number(document.documentElement.dataset['refreshes'] ?? 0) >= k + 2, n, { timeout: 8_000 });
    await page.waitForFunction((t) => Number(document.getElementById('verdict')?.dataset['atMs']) > t, at, { timeout: 5_000 });
    expect(await page.locator('#charts canvas').count()).toBe(3);
    expect(await page.locator('#conn').getAttribute('data-state')).toBe('live');
    await page.click('button[data-range="hour"]');
    expect(await page.locator('#charts canvas').count()).toBe(3);
    expect(await page.locator('[data-metric="llm_cost_usd_per_million_tokens"][data-value]').count()).toBeGreaterThanOrEqual(8);
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
  });
});
