import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { emptyHistogram, E2E_BUCKETS, observe, renderVllmMetrics, TTFT_BUCKETS, type SimModelMetrics, type SimVllmMetrics } from '../../src/simulator/vllm-exposition.js';

export interface VllmDoubleOptions {
  /** Prompt and generation tokens per second, per model, served in real time. */
  readonly promptTokensPerSecond: number;
  readonly generationTokensPerSecond: number;
  readonly models?: readonly string[];
  /** Serve this status instead of the exposition (fault tests). */
  status?: number;
}

/**
 * An HTTP vLLM for tests: `/metrics` in the newest vLLM layout, counters rising at fixed rates in
 * real time (computed at each request, so any poll cadence sees exact increases).
 */
export class VllmDouble {
  readonly state: SimVllmMetrics;
  private readonly startedMs = Date.now();
  private server: Server | undefined;
  url = '';

  constructor(private readonly options: VllmDoubleOptions) {
    this.state = {
      processStartSeconds: Math.floor(this.startedMs / 1000) - 3600,
      models: (options.models ?? ['meta-llama/Llama-3.1-8B-Instruct']).map((name) => newModel(name)),
    };
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      if (this.options.status !== undefined && this.options.status !== 200) {
        res.writeHead(this.options.status).end('error');
        return;
      }
      this.advance();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(renderVllmMetrics(this.state));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/metrics`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private advance(): void {
    const elapsed = (Date.now() - this.startedMs) / 1000;
    for (const m of this.state.models) {
      m.promptTokens = 1_000_000 + Math.floor(this.options.promptTokensPerSecond * elapsed);
      m.generationTokens = 250_000 + Math.floor(this.options.generationTokensPerSecond * elapsed);
      const finished = Math.floor(elapsed);
      m.requests['stop'] = 4000 + finished;
      while (m.ttft.counts.reduce((a, b) => a + b, 0) < finished) observe(m.ttft, TTFT_BUCKETS, 0.09);
    }
  }
}

function newModel(name: string): SimModelMetrics {
  return {
    name,
    promptTokens: 1_000_000,
    generationTokens: 250_000,
    requests: { stop: 4000, length: 100, abort: 0, error: 0, repetition: 0 },
    preemptions: 0,
    running: 3,
    waiting: 0,
    kvCacheUsage: 0.25,
    ttft: emptyHistogram(TTFT_BUCKETS),
    e2e: emptyHistogram(E2E_BUCKETS),
  };
}
