import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { E2E_BUCKETS, emptyHistogram, renderVllmMetrics, TTFT_BUCKETS, type SimModelMetrics, type SimVllmMetrics } from '../../src/simulator/vllm-exposition.js';

/**
 * How `/metrics` misbehaves:
 * - `refuse`: the listening socket is closed and every open connection destroyed (ECONNREFUSED);
 * - `hang`: the request is accepted and never answered;
 * - `slow`: answered correctly after `slowMs`;
 * - `status500`: HTTP 500 with an error text;
 * - `truncated`: 200, chunked, half the body (cut in the middle of a line), then a clean end;
 * - `cut`: 200 with the full Content-Length, half the body, then the socket is destroyed;
 * - `garbage`: 200 with an HTML error page or random bytes (see `garbage`).
 */
export type VllmFault = 'none' | 'refuse' | 'hang' | 'slow' | 'status500' | 'truncated' | 'cut' | 'garbage';

export interface FaultyVllmOptions {
  /** Prompt and generation tokens per second over all models (split evenly), in real time. */
  readonly promptTokensPerSecond: number;
  readonly generationTokensPerSecond: number;
  readonly models?: readonly string[];
}

interface Counters {
  /** Values at `sinceMs`. */
  prompt: number;
  generation: number;
  sinceMs: number;
}

/**
 * A vLLM `/metrics` for fault tests: the newest vLLM layout (renderVllmMetrics), counters rising
 * in real time, and every fault of the reliability matrix on demand, plus counter resets, process
 * restarts and models coming and going.
 */
export class FaultyVllm {
  readonly state: SimVllmMetrics;
  fault: VllmFault = 'none';
  slowMs = 1000;
  /**
   * What `garbage` serves: the same HTML page every time, or a different body every time (a valid
   * prefix of random length, then random bytes: what a misbehaving proxy in front of vLLM gives).
   */
  garbage: 'html' | 'random' = 'html';
  /** Requests answered (any way) so far. */
  requests = 0;
  url = '';
  private server: Server | undefined;
  private port = 0;
  private readonly sockets = new Set<Socket>();
  private readonly held = new Set<ServerResponse>();
  private readonly counters = new Map<string, Counters>();

  constructor(private readonly options: FaultyVllmOptions) {
    this.state = { processStartSeconds: Math.floor(Date.now() / 1000) - 3600, models: [] };
    this.setModels(options.models ?? ['meta-llama/Llama-3.1-8B-Instruct']);
  }

  /** Connections open right now (a client that leaks sockets on timeouts shows here). */
  openConnections(): number {
    return this.sockets.size;
  }

  async start(): Promise<string> {
    await this.listen(0);
    this.url = `http://127.0.0.1:${this.port}/metrics`;
    return this.url;
  }

  /** Switches the fault; `refuse` closes the port, leaving it listens again on the same port. */
  async setFault(fault: VllmFault): Promise<void> {
    const was = this.fault;
    this.fault = fault;
    if (fault === 'refuse' && was !== 'refuse') await this.close();
    if (fault !== 'refuse' && was === 'refuse') await this.listen(this.port);
  }

  /** Counters drop to zero in the same process (same start time and `_created`). */
  resetCounters(): void {
    for (const c of this.counters.values()) Object.assign(c, { prompt: 0, generation: 0, sinceMs: Date.now() });
  }

  /** A new vLLM process: a later start time (and `_created`), counters from zero. */
  restart(): void {
    this.state.processStartSeconds = Math.max(this.state.processStartSeconds + 1, Math.floor(Date.now() / 1000));
    this.resetCounters();
  }

  /** Serves exactly these models: new ones start from zero, missing ones vanish from the exposition. */
  setModels(names: readonly string[]): void {
    this.state.models.splice(0, this.state.models.length, ...names.map((name) => this.state.models.find((m) => m.name === name) ?? newModel(name)));
    for (const name of names) if (!this.counters.has(name)) this.counters.set(name, { prompt: 0, generation: 0, sinceMs: Date.now() });
    for (const name of [...this.counters.keys()]) if (!names.includes(name)) this.counters.delete(name);
  }

  async stop(): Promise<void> {
    this.releaseHeld();
    await this.close();
  }

  private listen(port: number): Promise<void> {
    const server = createServer((req, res) => this.answer(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        this.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private releaseHeld(): void {
    for (const res of this.held) res.destroy();
    this.held.clear();
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    this.requests++;
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    switch (this.fault) {
      case 'hang':
        this.held.add(res);
        res.on('close', () => this.held.delete(res));
        return;
      case 'slow':
        setTimeout(() => this.send(res), this.slowMs).unref();
        return;
      case 'status500':
        res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error: engine dead\n');
        return;
      case 'garbage':
        if (this.garbage === 'html') res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>\n');
        else {
          const valid = this.render().split('\n');
          const keep = valid.slice(0, Math.floor(Math.random() * Math.min(valid.length, 200))).join('\n');
          res.writeHead(200, { 'content-type': 'text/plain' }).end(Buffer.concat([Buffer.from(`${keep}\n`), randomBytes(4096)]));
        }
        return;
      case 'truncated': {
        const body = this.render();
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(body.slice(0, midLine(body)));
        return;
      }
      case 'cut': {
        const body = Buffer.from(this.render());
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-length': body.length });
        res.write(body.subarray(0, midLine(body.toString())), () => res.destroy());
        return;
      }
      default:
        this.send(res);
    }
  }

  private send(res: ServerResponse): void {
    if (res.destroyed) return;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(this.render());
  }

  private render(): string {
    const now = Date.now();
    const n = Math.max(1, this.state.models.length);
    for (const m of this.state.models) {
      const c = this.counters.get(m.name)!;
      const elapsed = (now - c.sinceMs) / 1000;
      m.promptTokens = c.prompt + (this.options.promptTokensPerSecond / n) * elapsed;
      m.generationTokens = c.generation + (this.options.generationTokensPerSecond / n) * elapsed;
    }
    return renderVllmMetrics(this.state);
  }
}

/** An offset near the middle of `text` that is not at a line start (so the cut is inside a line). */
function midLine(text: string): number {
  let at = Math.floor(text.length / 2);
  while (at < text.length && (text[at - 1] === '\n' || text[at] === '\n')) at++;
  return at;
}

function newModel(name: string): SimModelMetrics {
  return {
    name,
    promptTokens: 0,
    generationTokens: 0,
    requests: { stop: 0, length: 0, abort: 0, error: 0, repetition: 0 },
    preemptions: 0,
    running: 2,
    waiting: 0,
    kvCacheUsage: 0.25,
    ttft: emptyHistogram(TTFT_BUCKETS),
    e2e: emptyHistogram(E2E_BUCKETS),
  };
}
