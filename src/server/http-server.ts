import { gzipSync } from 'node:zlib';
import { createServer, type Server, type ServerOptions } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { ExporterMetrics } from '../exposition/exporter-metrics.js';
import type { Snapshot } from '../exporter/snapshot.js';
import { basicAuth } from './basic-auth.js';
import { parseListenAddress } from './listen-address.js';
import { renderStatusPage, statusPageAssets } from './status-page.js';
import { clientCertificateRefusal, tlsServerOptions, watchTlsFiles } from './tls-options.js';
import type { WebConfig } from './web-config.js';

export interface HttpServerOptions {
  readonly listenAddress: string;
  readonly telemetryPath: string;
  readonly metrics: ExporterMetrics;
  readonly ready: () => boolean;
  readonly latest: () => Snapshot | undefined;
  readonly logger: Logger;
  /** `--web.config.file` (loadWebConfig): TLS, basic auth, headers, rate limit. Absent = plain HTTP, open. */
  readonly webConfig?: WebConfig | undefined;
}

/**
 * Limits of every connection. No body is ever read (a request that announces one is answered
 * with `Connection: close`, so Node does not drain it either). No `maxRequestsPerSocket`:
 * Prometheus keeps one connection per target alive, and forcing reconnections would only add
 * TLS handshakes; idle sockets are bounded by keepAliveTimeout, slow ones by the timeouts below.
 */
const SERVER_LIMITS: ServerOptions = {
  maxHeaderSize: 16 * 1024,
  requestTimeout: 10_000,
  headersTimeout: 5_000,
  keepAliveTimeout: 65_000,
};

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
  for (const middleware of webConfigMiddleware(options.webConfig)) app.use(middleware);
  app.use(refuseBodies);

  app.get(options.telemetryPath, async (req: Request, res: Response) => {
    const rendered = await options.metrics.current(prefersOpenMetrics(req.headers.accept));
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
  // the page is rendered once per snapshot (it refreshes itself every few seconds) and sent gzipped
  // when the browser accepts it (~38 KB of HTML, ~9 KB gzipped)
  let page: { snapshot: Snapshot | undefined; html: string; gzipped?: Buffer } | undefined;
  app.get('/', (req, res) => {
    const snapshot = options.latest();
    if (!page || page.snapshot !== snapshot || !snapshot) page = { snapshot, html: renderStatusPage(snapshot, options.telemetryPath) };
    res.type('html');
    res.setHeader('Cache-Control', 'no-store');
    if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
      res.setHeader('Content-Encoding', 'gzip');
      res.setHeader('Vary', 'Accept-Encoding');
      res.end((page.gzipped ??= gzipSync(page.html)));
    } else {
      res.end(page.html);
    }
  });
  app.use((req, res) => {
    res.status(req.method === 'GET' || req.method === 'HEAD' ? 404 : 405).type('text/plain').send('not found\n');
  });
  return app;
}

/**
 * What a web config puts in front of every route, in exporter-toolkit's order: the extra
 * headers (so they are on 401 and 429 answers too), the rate limit, then basic auth, which
 * guards every path (`/-/healthy` included, as in the toolkit).
 */
function webConfigMiddleware(web: WebConfig | undefined): RequestHandler[] {
  if (web === undefined) return [];
  const out: RequestHandler[] = [];
  const headers = Object.entries(web.headers);
  if (headers.length > 0) {
    out.push((_req, res, next) => {
      for (const [name, value] of headers) res.setHeader(name, value);
      next();
    });
  }
  if (web.rateLimit !== undefined) out.push(rateLimit(web.rateLimit.intervalMs, web.rateLimit.burst));
  if (web.basicAuthUsers.size > 0) out.push(basicAuth(web.basicAuthUsers));
  return out;
}

/** A token bucket of `burst` tokens refilled one per `intervalMs`; an empty bucket answers 429. */
function rateLimit(intervalMs: number, burst: number): RequestHandler {
  let tokens = burst;
  let refilledAt = performance.now();
  return (_req, res, next) => {
    const now = performance.now();
    tokens = Math.min(burst, tokens + (now - refilledAt) / intervalMs);
    refilledAt = now;
    if (tokens < 1) {
      res.status(429).type('text/plain').send('Too Many Requests\n');
      return;
    }
    tokens -= 1;
    next();
  };
}

/** Requests that announce a body get `Connection: close`: it is never read, and never drained. */
function refuseBodies(req: Request, res: Response, next: NextFunction): void {
  const length = req.headers['content-length'];
  if ((length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined) res.setHeader('Connection', 'close');
  next();
}

/**
 * Starts listening, over TLS when the web config has a `tls_server_config`; resolves with the
 * server and the port actually bound (port 0 in tests).
 */
export async function startHttpServer(options: HttpServerOptions): Promise<{ server: Server; port: number }> {
  const { host, port } = parseListenAddress(options.listenAddress);
  const tls = options.webConfig?.tls;
  const app = createApp(options);
  let server: Server;
  if (tls === undefined) server = createServer(SERVER_LIMITS, app);
  else {
    const https = createHttpsServer({ ...SERVER_LIMITS, ...tlsServerOptions(tls) }, app);
    // before the HTTP layer sees the socket: policies Node cannot enforce during the handshake
    https.prependListener('secureConnection', (socket: TLSSocket) => {
      const refusal = clientCertificateRefusal(tls, socket);
      if (refusal === undefined) return;
      options.logger.debug({ remote: socket.remoteAddress, reason: refusal }, 'TLS client refused');
      socket.destroy();
    });
    // failed handshakes (a scanner, a client without a certificate) are routine: debug, never a flood
    https.on('tlsClientError', (error, socket) => {
      options.logger.debug({ remote: socket.remoteAddress, err: error.message }, 'TLS handshake failed');
    });
    watchTlsFiles(https, tls, options.logger);
    server = https;
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  options.logger.info(
    {
      address: options.listenAddress,
      port: bound,
      path: options.telemetryPath,
      tls: tls !== undefined,
      basic_auth: (options.webConfig?.basicAuthUsers.size ?? 0) > 0,
    },
    'listening',
  );
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
