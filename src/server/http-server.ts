import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { ExporterMetrics } from '../exposition/exporter-metrics.js';
import type { Snapshot } from '../exporter/snapshot.js';
import { parseListenAddress } from './listen-address.js';
import { renderStatusPage, statusPageAssets } from './status-page.js';

export interface HttpServerOptions {
  readonly listenAddress: string;
  readonly telemetryPath: string;
  readonly metrics: ExporterMetrics;
  readonly ready: () => boolean;
  readonly latest: () => Snapshot | undefined;
  readonly logger: Logger;
}

/**
 * The exporter's HTTP face: `/metrics` sends the exposition rendered at the last tick (gzip when
 * asked, OpenMetrics when preferred), `/-/healthy`, `/-/ready`, `/` and `/api/status`.
 * Only GET and HEAD; no body is ever read.
 */
export function createApp(options: Omit<HttpServerOptions, 'listenAddress' | 'logger'>): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', false);

  app.get(options.telemetryPath, (req: Request, res: Response) => {
    const rendered = options.metrics.current(prefersOpenMetrics(req.headers.accept));
    if (!rendered) {
      res.status(503).type('text/plain').send('first poll cycle still running\n');
      return;
    }
    res.setHeader('Content-Type', rendered.contentType);
    res.setHeader('Cache-Control', 'no-store');
    if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
      res.setHeader('Content-Encoding', 'gzip');
      res.setHeader('Vary', 'Accept-Encoding');
      res.end(rendered.gzipped());
    } else {
      res.end(rendered.body);
    }
  });
  app.get('/-/healthy', (_req, res) => {
    res.type('text/plain').send('OK\n');
  });
  app.get('/-/ready', (_req, res) => {
    const ready = options.ready();
    res.status(ready ? 200 : 503).type('text/plain').send(ready ? 'Ready\n' : 'Not ready: first poll cycle still running\n');
  });
  app.get('/api/status', (_req, res) => {
    const s = options.latest();
    if (!s) res.status(503).json({ error: 'first poll cycle still running' });
    else res.json(s);
  });
  app.use('/assets', statusPageAssets());
  app.get('/', (_req, res) => {
    res.type('html').send(renderStatusPage(options.latest(), options.telemetryPath));
  });
  app.use((req, res) => {
    res.status(req.method === 'GET' || req.method === 'HEAD' ? 404 : 405).type('text/plain').send('not found\n');
  });
  return app;
}

/** Starts listening; resolves with the server and the port actually bound (port 0 in tests). */
export async function startHttpServer(options: HttpServerOptions): Promise<{ server: Server; port: number }> {
  const { host, port } = parseListenAddress(options.listenAddress);
  const server = createServer(
    { maxHeaderSize: 16 * 1024, requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 65_000 },
    createApp(options),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  options.logger.info({ address: options.listenAddress, port: bound, path: options.telemetryPath }, 'listening');
  return { server, port: bound };
}

/** Prometheus asks for OpenMetrics first (`application/openmetrics-text;version=1.0.0,...`). */
export function prefersOpenMetrics(accept: string | undefined): boolean {
  if (!accept || !accept.includes('application/openmetrics-text')) return false;
  let om = -1;
  let text = -1;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.trim().split(';');
    const qParam = params.find((p) => p.trim().startsWith('q='));
    const q = qParam ? Number(qParam.trim().slice(2)) : 1;
    if (type.trim() === 'application/openmetrics-text') om = Math.max(om, q);
    else if (type.trim() === 'text/plain') text = Math.max(text, q);
  }
  return om > 0 && om >= text;
}
