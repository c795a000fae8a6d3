/**
 * Helper process: N vLLM doubles (src/simulator/vllm-http-double.ts, the newest vLLM layout,
 * ~60 KB per model) whose counters advance every second, so the exporter under test sees live
 * traffic. It runs in its OWN process so its CPU is never counted as the exporter's.
 *
 *   node .bench-dist/bench/support/vllm-doubles.js [N=4]
 *
 * Prints one JSON line `{"urls":[...]}` on stdout once every double listens; runs until SIGTERM.
 * The doubles are loaded from the product build (dist/), which resolves the template capture.
 */
import type { SimModelMetrics, SimVllmMetrics } from '../../src/simulator/vllm-exposition.js';
import type * as ExpositionModule from '../../src/simulator/vllm-exposition.js';
import type * as DoubleModule from '../../src/simulator/vllm-http-double.js';
import { HOST_MODELS } from './host.js';
import { distUrl } from './paths.js';


async function main(): Promise<void> {
  const n = Math.max(1, Number(process.argv[2] ?? 4) || 4);
  const { VllmHttpDouble } = (await import(distUrl('simulator/vllm-http-double.js'))) as typeof DoubleModule;
  const { emptyHistogram, observe, TTFT_BUCKETS, E2E_BUCKETS } = (await import(
    distUrl('simulator/vllm-exposition.js')
  )) as typeof ExpositionModule;

  const start = Math.floor(Date.now() / 1000) - 3600;
  const states: SimVllmMetrics[] = [];
  const doubles: InstanceType<typeof VllmHttpDouble>[] = [];
  const urls: string[] = [];
  for (let i = 0; i < n; i++) {
    const model: SimModelMetrics = {
      name: HOST_MODELS[i % HOST_MODELS.length]! + (i >= HOST_MODELS.length ? `-${i}` : ''),
      promptTokens: 1_000_000 * (i + 1),
      generationTokens: 400_000 * (i + 1),
      requests: { stop: 900, length: 80, abort: 3, error: 0, repetition: 0 },
      preemptions: 0,
      running: 12,
      waiting: 0,
      kvCacheUsage: 0.4,
      ttft: emptyHistogram(TTFT_BUCKETS),
      e2e: emptyHistogram(E2E_BUCKETS),
    };
    const state: SimVllmMetrics = { processStartSeconds: start, models: [model] };
    states.push(state);
    const double = new VllmHttpDouble(state);
    urls.push(await double.start('127.0.0.1', 0));
    doubles.push(double);
  }

  // A cheap deterministic generator: traffic that varies, identical from run to run.
  let seed = 12345;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const timer = setInterval(() => {
    for (const state of states) {
      for (const m of state.models) {
        const requests = 2 + Math.floor(rand() * 4);
        for (let r = 0; r < requests; r++) {
          m.promptTokens += 300 + Math.floor(rand() * 900);
          m.generationTokens += 100 + Math.floor(rand() * 500);
          m.requests[rand() < 0.9 ? 'stop' : 'length']! += 1;
          observe(m.ttft, TTFT_BUCKETS, 0.02 + rand() * 0.4);
          observe(m.e2e, E2E_BUCKETS, 1 + rand() * 20);
        }
        m.running = 5 + Math.floor(rand() * 20);
        m.waiting = rand() < 0.2 ? Math.floor(rand() * 5) : 0;
        m.kvCacheUsage = 0.2 + rand() * 0.6;
      }
    }
  }, 1000);

  const stop = (): void => {
    clearInterval(timer);
    void Promise.all(doubles.map((d) => d.stop())).then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(`${JSON.stringify({ urls })}\n`);
}

await main();
