import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { E2E_BUCKETS, emptyHistogram, renderVllmMetrics, TTFT_BUCKETS, type SimVllmMetrics } from '../../src/simulator/vllm-exposition.js';

/** A vLLM double whose counters move only when the test sets them (exact token arithmetic). */
export class ManualVllm {
  readonly state: SimVllmMetrics = {
    processStartSeconds: 1_790_000_000,
    models: [
      {
        name: 'meta-llama/Llama-3.1-8B-Instruct',
        promptTokens: 0,
        generationTokens: 0,
        requests: { stop: 0, length: 0, abort: 0, error: 0, repetition: 0 },
        preemptions: 0,
        running: 1,
        waiting: 0,
        kvCacheUsage: 0.1,
        ttft: emptyHistogram(TTFT_BUCKETS),
        e2e: emptyHistogram(E2E_BUCKETS),
      },
    ],
  };
  private server: Server | undefined;
  url = '';

  set(prompt: number, generation: number): void {
    this.state.models[0]!.promptTokens = prompt;
    this.state.models[0]!.generationTokens = generation;
  }

  /** A new vLLM process: new start time (and _created), counters from zero. */
  restart(): void {
    this.state.processStartSeconds += 1000;
    this.set(0, 0);
  }

  async start(port = 0): Promise<string> {
    this.server = createServer((_req, res) => res.end(renderVllmMetrics(this.state)));
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/metrics`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
