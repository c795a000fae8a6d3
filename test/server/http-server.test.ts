import { gunzipSync } from 'node:zlib';
import type { Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExporterMetrics } from '../../src/exposition/exporter-metrics.js';
import type { Snapshot } from '../../src/exporter/snapshot.js';
import { prefersOpenMetrics, startHttpServer } from '../../src/server/http-server.js';
import { parseListenAddress } from '../../src/server/listen-address.js';

describe('HTTP server', () => {
  const metrics = new ExporterMetrics('test');
  let ready = false;
  let server: Server;
  let base = '';

  beforeAll(async () => {
    const started = await startHttpServer({
      listenAddress: '127.0.0.1:0',
      telemetryPath: '/metrics',
      metrics,
      ready: () => ready,
      latest: () => undefined,
      logger: pino({ level: 'silent' }),
    });
    server = started.server;
    base = `http://127.0.0.1:${started.port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('answers 503 on /metrics and /-/ready before the first cycle, 200 on /-/healthy', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(503);
    expect((await fetch(`${base}/-/ready`)).status).toBe(503);
    expect((await fetch(`${base}/-/healthy`)).status).toBe(200);
  });

  it('serves the cached rendering, OpenMetrics when preferred, gzip when accepted', async () => {
    ready = true;
    await metrics.publish(minimalSnapshot());
    const text = await fetch(`${base}/metrics`);
    expect(text.headers.get('content-type')).toMatch(/^text\/plain; version=0.0.4/);
    const body = await text.text();
    expect(body).toContain('llm_cost_break_even_threshold_ratio 0.6');
    const om = await fetch(`${base}/metrics`, {
      headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1' },
    });
    expect(om.headers.get('content-type')).toMatch(/^application\/openmetrics-text/);
    expect(await om.text()).toMatch(/# EOF\s*$/);
    const raw = await new Promise<Buffer>((resolve, reject) => {
      import('node:http').then(({ get }) =>
        get(`${base}/metrics`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
          expect(res.headers['content-encoding']).toBe('gzip');
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks)));
        }).on('error', reject),
      );
    });
    expect(gunzipSync(raw).toString()).toBe(body);
    expect((await fetch(`${base}/-/ready`)).status).toBe(200);
  });

  it('refuses other methods and unknown paths', async () => {
    expect((await fetch(`${base}/metrics`, { method: 'POST', body: 'x' })).status).toBe(405);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});

describe('content negotiation and listen addresses', () => {
  it.each([
    [undefined, false],
    ['text/plain', false],
    ['application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1', true],
    ['text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5', false],
  ])('Accept %s → OpenMetrics %s', (accept, expected) => {
    expect(prefersOpenMetrics(accept)).toBe(expected);
  });

  it.each([
    [':9787', { port: 9787 }],
    ['0.0.0.0:80', { host: '0.0.0.0', port: 80 }],
    ['[::1]:9787', { host: '::1', port: 9787 }],
  ])('%s', (address, expected) => {
    expect(parseListenAddress(address)).toEqual(expected);
  });

  it('rejects a malformed address', () => {
    expect(() => parseListenAddress('9787')).toThrow(/invalid listen address/);
    expect(() => parseListenAddress(':99999')).toThrow(/invalid listen address/);
  });
});

function minimalSnapshot(): Snapshot {
  const empty = { coveredSeconds: 0, spendUsd: { compute: 0, fully_loaded: 0 }, promptTokens: 0, generationTokens: 0, gpus: {}, api: {} };
  return {
    atMs: 1_800_000_000_000,
    windows: { '5m': empty, '1h': empty, '24h': empty, '7d': empty },
    totals: { observedSeconds: 0, unobservedSeconds: 0, spendComputeUsd: 0, spendOpsUsd: 0, promptTokens: 0, generationTokens: 0, apiEquivalentUsd: {}, models: {}, gpus: {} },
    gpus: [],
    models: {},
    health: [],
    nvidiaSmiRestarts: 0,
    vllmRestarts: {},
    inputs: { opsHourlyCostUsd: 0, apiPrices: [], compareTo: 'x', breakEvenThresholdRatio: 0.6, ttftTargetSeconds: 1 },
    history: { hour: [], day: [] },
  };
}
