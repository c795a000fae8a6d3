import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderVllmMetrics, type SimVllmMetrics } from './vllm-exposition.js';

/**
 * The simulator's vLLM: `/metrics` in the newest vLLM layout, rendered from the simulated state
 * at the instant of the request (text format 0.0.4, as vLLM's instrumentator always answers).
 */
export class VllmHttpDouble {
  private server: Server | undefined;
  url = '';

  constructor(
    private readonly state: SimVllmMetrics,
    /** Served as JSON at `/truth`: the simulator's ground truth. */
    private readonly truth?: () => unknown,
  ) {}

  async start(host = '127.0.0.1', port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      if (req.url === '/truth' && this.truth) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.truth()));
        return;
      }
      if (req.url !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : renderVllmMetrics(this.state));
    });
    this.server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    this.url = `http://${host}:${(this.server.address() as AddressInfo).port}/metrics`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
