import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExposition } from '../../src/sources/exposition/parse.js';
import { VllmDouble } from '../doubles/vllm-double.js';
import { NVIDIA_SMI_DOUBLE, startCli, type CliProcess } from '../e2e/cli-process.js';

/**
 * 1000 scrapes of the real CLI's /metrics at once (text, gzip and OpenMetrics mixed): every one
 * answers 200 with a complete exposition. The scrape path only sends the rendering cached at the
 * last tick, so this is the HTTP server and the event loop under a burst, not the accounting.
 */

const SCRAPES = 1000;
const vllm = new VllmDouble({ promptTokensPerSecond: 300, generationTokensPerSecond: 95, models: ['a', 'b', 'c'] });
let cli: CliProcess;

beforeAll(async () => {
  const url = await vllm.start();
  cli = await startCli(
    [
      '--vllm.targets', url,
      // one cycle at start, the next long after the burst: every body is the same rendering
      '--poll-interval', '60s',
      '--nvidia-smi.path', NVIDIA_SMI_DOUBLE,
      '--nvidia-smi.interval', '1s',
      '--gpu.hourly-cost-usd', '3.2',
      '--capacity.tokens-per-second', '1975.3',
    ],
    { FAKE_NVIDIA_SMI_GPUS: '8', FAKE_NVIDIA_SMI_UTIL: '40' },
  );
  const deadline = Date.now() + 15_000;
  while ((await fetch(`${cli.url}/metrics`)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`no /metrics within 15 s:\n${cli.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 30_000);

afterAll(async () => {
  expect(await cli?.stop()).toBe(0);
  await vllm.stop();
});

type Kind = 'text' | 'gzip' | 'openmetrics';
const HEADERS: Record<Kind, Record<string, string>> = {
  text: { 'accept-encoding': 'identity' },
  gzip: { 'accept-encoding': 'gzip' },
  openmetrics: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5', 'accept-encoding': 'identity' },
};

async function scrape(kind: Kind): Promise<{ kind: Kind; status: number; encoding: string | null; body: string }> {
  const res = await fetch(`${cli.url}/metrics`, { headers: HEADERS[kind], signal: AbortSignal.timeout(25_000) });
  return { kind, status: res.status, encoding: res.headers.get('content-encoding'), body: await res.text() };
}

/** Series identities of a body (values may move between renderings; the set may not). */
const seriesOf = (body: string): string[] =>
  parseExposition(body)
    .samples.map((s) => `${s.name}${JSON.stringify(s.labels)}`)
    .sort();

describe(`${SCRAPES} concurrent scrapes of the real CLI`, () => {
  it('all answer 200 with complete, parseable bodies', async () => {
    const reference = await scrape('text');
    const series = seriesOf(reference.body).join('\n');
    expect(series).toContain('llm_cost_build_info');
    const kinds: Kind[] = ['text', 'gzip', 'openmetrics'];
    const t0 = performance.now();
    const settled = await Promise.allSettled(Array.from({ length: SCRAPES }, (_, i) => scrape(kinds[i % 3]!)));
    const seconds = (performance.now() - t0) / 1000;
    const failures = settled.flatMap((r, i) => (r.status === 'rejected' ? [`#${i}: ${String(r.reason)}`] : []));
    expect(failures).toEqual([]);
    const answers = settled.map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<typeof scrape>>>).value);
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.encoding).toBe(a.kind === 'gzip' ? 'gzip' : null);
      if (a.kind === 'openmetrics') {
        expect(a.body.endsWith('# EOF\n')).toBe(true);
        expect(seriesOf(a.body).filter((s) => !s.includes('_created')).join('\n')).toBe(series);
      } else {
        expect(a.body).toBe(reference.body); // byte for byte: nothing cut, nothing mixed
      }
    }
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${cli.child.pid}/status`, 'utf8'))?.[1]) / 1024;
    expect(rss).toBeLessThan(200);
    process.stdout.write(`${SCRAPES} scrapes in ${seconds.toFixed(2)} s; CLI RSS ${rss.toFixed(0)} MB\n`);
  }, 60_000);
});
