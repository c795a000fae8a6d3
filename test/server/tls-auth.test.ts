import { copyFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest, type RequestOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExporterMetrics } from '../../src/exposition/exporter-metrics.js';
import { basicAuth } from '../../src/server/basic-auth.js';
import { startHttpServer } from '../../src/server/http-server.js';
import { tlsServerOptions, watchTlsFiles } from '../../src/server/tls-options.js';
import { loadWebConfig } from '../../src/server/web-config.js';
import { makeTestCertificates, type TestCertificates } from './test-certificates.js';

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One GET over http(s) with its own connection; rejects on any TLS or socket error. */
function get(url: string, options: RequestOptions = {}): Promise<Answer> {
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { agent: false, timeout: 5000, ...options }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const basic = (user: string, password: string): Record<string, string> => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

let certs: TestCertificates;
const servers: Server[] = [];

/** Writes `yaml` as a web config in the certificates' directory and serves with it. */
async function serveWith(yaml: string, name: string): Promise<string> {
  const file = join(certs.dir, `${name}.yml`);
  writeFileSync(file, yaml);
  const webConfig = loadWebConfig(file);
  const { server, port } = await startHttpServer({
    listenAddress: '127.0.0.1:0',
    telemetryPath: '/metrics',
    metrics: new ExporterMetrics('test'),
    ready: () => true,
    latest: () => undefined,
    logger: pino({ level: 'silent' }),
    webConfig,
  });
  servers.push(server);
  return `${webConfig.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
}

beforeAll(() => {
  certs = makeTestCertificates();
});
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

describe('TLS (real handshakes, certificates made by openssl at run time)', () => {
  const tls = 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n';

  it('serves HTTPS that a client trusting the CA accepts; refuses plain HTTP', async () => {
    const url = await serveWith(tls, 'plain-tls');
    const answer = await get(`${url}/-/healthy`, { ca: certs.read(certs.caCert) });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('OK\n');
    await expect(get(`${url}/-/healthy`)).rejects.toThrow(/self-signed|unable to (get|verify)/i);
    await expect(get(`${url.replace('https:', 'http:')}/-/healthy`)).rejects.toThrow();
  });

  it('refuses a TLS 1.1 client when min_version is TLS12 (the default), accepts TLS 1.2 and 1.3', async () => {
    const url = await serveWith(`${tls}  min_version: TLS12\n`, 'min12');
    const ca = certs.read(certs.caCert);
    // the client must lower its own OpenSSL security level to even offer TLS 1.1
    await expect(get(`${url}/-/healthy`, { ca, minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })).rejects.toThrow(
      /protocol version|unsupported protocol|no protocols available/i,
    );
    expect((await get(`${url}/-/healthy`, { ca, maxVersion: 'TLSv1.2' })).status).toBe(200);
    expect((await get(`${url}/-/healthy`, { ca, minVersion: 'TLSv1.3' })).status).toBe(200);
  });

  it('refuses a TLS 1.2 client when min_version is TLS13', async () => {
    const url = await serveWith(`${tls}  min_version: TLS13\n`, 'min13');
    const ca = certs.read(certs.caCert);
    await expect(get(`${url}/-/healthy`, { ca, maxVersion: 'TLSv1.2' })).rejects.toThrow(/protocol version/i);
    expect((await get(`${url}/-/healthy`, { ca })).status).toBe(200);
  });

  it('applies cipher_suites and curve_preferences (Go names mapped to OpenSSL ones)', async () => {
    const url = await serveWith(
      `${tls}  max_version: TLS12\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n  curve_preferences: [CurveP384]\n`,
      'ciphers',
    );
    const ca = certs.read(certs.caCert);
    expect((await get(`${url}/-/healthy`, { ca })).status).toBe(200);
    await expect(get(`${url}/-/healthy`, { ca, ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' })).rejects.toThrow(/handshake failure|no shared cipher/i);
    await expect(get(`${url}/-/healthy`, { ca, ecdhCurve: 'P-256' })).rejects.toThrow(/handshake failure|no shared|group/i);
  });

  describe('mutual TLS', () => {
    const ca = () => certs.read(certs.caCert);
    const client = () => ({ ca: ca(), cert: certs.read(certs.clientCert), key: certs.read(certs.clientKey) });
    const stranger = () => ({ ca: ca(), cert: certs.read(certs.strangerCert), key: certs.read(certs.strangerKey) });

    it('RequireAndVerifyClientCert: no certificate or an unknown one is refused, the CA-signed one gets 200', async () => {
      const url = await serveWith(`${tls}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n`, 'mtls');
      await expect(get(`${url}/-/healthy`, { ca: ca() })).rejects.toThrow();
      await expect(get(`${url}/-/healthy`, stranger())).rejects.toThrow();
      expect((await get(`${url}/-/healthy`, client())).status).toBe(200);
      // TLS 1.2 too (there the refusal is a handshake alert, not a reset after it)
      await expect(get(`${url}/-/healthy`, { ca: ca(), maxVersion: 'TLSv1.2' })).rejects.toThrow();
      expect((await get(`${url}/-/healthy`, { ...client(), maxVersion: 'TLSv1.2' })).status).toBe(200);
    });

    it('client_allowed_sans: a verified certificate without an allowed SAN is refused', async () => {
      const only = await serveWith(
        `${tls}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n  client_allowed_sans: [not-prometheus]\n`,
        'sans-wrong',
      );
      await expect(get(`${only}/-/healthy`, client())).rejects.toThrow();
      const ok = await serveWith(
        `${tls}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n  client_allowed_sans: [other, prometheus]\n`,
        'sans-right',
      );
      expect((await get(`${ok}/-/healthy`, client())).status).toBe(200);
    });

    it('RequireAnyClientCert: any certificate, even self-signed, but one is required', async () => {
      const url = await serveWith(`${tls}  client_auth_type: RequireAnyClientCert\n`, 'any');
      await expect(get(`${url}/-/healthy`, { ca: ca() })).rejects.toThrow();
      expect((await get(`${url}/-/healthy`, stranger())).status).toBe(200);
    });

    it('VerifyClientCertIfGiven: none is fine, a given one must verify', async () => {
      const url = await serveWith(`${tls}  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca.crt\n`, 'ifgiven');
      expect((await get(`${url}/-/healthy`, { ca: ca() })).status).toBe(200);
      expect((await get(`${url}/-/healthy`, client())).status).toBe(200);
      await expect(get(`${url}/-/healthy`, stranger())).rejects.toThrow();
    });
  });

  it('re-reads rotated certificate files without a restart', async () => {
    for (const [from, to] of [[certs.serverCert, 'rot.crt'], [certs.serverKey, 'rot.key']] as const) copyFileSync(from, join(certs.dir, to));
    writeFileSync(join(certs.dir, 'rot.yml'), 'tls_server_config:\n  cert_file: rot.crt\n  key_file: rot.key\n');
    const config = loadWebConfig(join(certs.dir, 'rot.yml'));
    const server = createHttpsServer(tlsServerOptions(config.tls!), (_req, res) => res.end('ok'));
    servers.push(server);
    watchTlsFiles(server, config.tls!, pino({ level: 'silent' }), 50);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const subject = async (): Promise<string> =>
      new Promise((resolve, reject) => {
        const req = httpsRequest(url, { agent: false, ca: certs.read(certs.caCert) }, (res) => {
          const cn = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().subject.CN;
          res.resume();
          res.on('end', () => resolve(String(cn)));
        });
        req.on('error', reject);
        req.end();
      });
    expect(await subject()).toBe('localhost');
    copyFileSync(certs.otherServerKey, join(certs.dir, 'rot.key'));
    copyFileSync(certs.otherServerCert, join(certs.dir, 'rot.crt'));
    await new Promise((r) => setTimeout(r, 300));
    expect(await subject()).toBe('localhost-rotated');
  });
});

describe('basic auth (bcrypt, cached)', () => {
  const fastHash = bcrypt.hashSync('s3cret', 4);

  it('401 with the realm without or with wrong credentials, 200 with the right ones, on every path', async () => {
    const url = await serveWith(`basic_auth_users:\n  prometheus: ${fastHash}\n`, 'auth');
    for (const path of ['/-/healthy', '/-/ready', '/metrics', '/']) {
      const none = await get(`${url}${path}`);
      expect(none.status, path).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Basic realm="llm-cost-exporter"');
    }
    expect((await get(`${url}/-/healthy`, { headers: basic('prometheus', 'wrong') })).status).toBe(401);
    expect((await get(`${url}/-/healthy`, { headers: basic('nobody', 's3cret') })).status).toBe(401);
    expect((await get(`${url}/-/healthy`, { headers: { authorization: 'Bearer s3cret' } })).status).toBe(401);
    expect((await get(`${url}/-/healthy`, { headers: basic('prometheus', 's3cret') })).status).toBe(200);
    expect((await get(`${url}/-/healthy`, { headers: basic('prometheus', 's3cret') })).status).toBe(200);
  });

  it('a real cost-10 hash runs bcrypt once: the second request is much faster', async () => {
    const url = await serveWith(`basic_auth_users:\n  prometheus: ${bcrypt.hashSync('correct horse', 10)}\n`, 'auth10');
    const timed = async (): Promise<number> => {
      const t0 = performance.now();
      expect((await get(`${url}/-/healthy`, { headers: basic('prometheus', 'correct horse') })).status).toBe(200);
      return performance.now() - t0;
    };
    const first = await timed();
    const cached: number[] = [];
    for (let i = 0; i < 5; i++) cached.push(await timed());
    const median = cached.sort((a, b) => a - b)[2]!;
    expect(first).toBeGreaterThan(30); // bcrypt cost 10: ~50-300 ms
    expect(median).toBeLessThan(first / 5); // a GC pause may slow one, not the median
  });

  it('compares once per (user, password) pair; a wrong password is compared every time', async () => {
    let calls = 0;
    const app = express();
    app.use(basicAuth(new Map([['u', fastHash]]), { compare: async (p, h) => (calls++, bcrypt.compare(p, h)) }));
    app.get('/', (_req, res) => res.send('in'));
    const server = app.listen(0, '127.0.0.1');
    servers.push(server);
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    for (let i = 0; i < 5; i++) expect((await get(url, { headers: basic('u', 's3cret') })).status).toBe(200);
    expect(calls).toBe(1);
    for (let i = 0; i < 3; i++) expect((await get(url, { headers: basic('u', 'nope') })).status).toBe(401);
    expect(calls).toBe(4);
  });

  it('TLS and basic auth together, with the configured headers on every answer', async () => {
    const url = await serveWith(
      [
        'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n',
        'http_server_config:\n  http2: true\n  headers:\n    X-Frame-Options: deny\n    Strict-Transport-Security: max-age=31536000\n',
        `basic_auth_users:\n  prometheus: ${fastHash}\n`,
      ].join(''),
      'all',
    );
    const ca = certs.read(certs.caCert);
    const denied = await get(`${url}/-/healthy`, { ca });
    expect(denied.status).toBe(401);
    expect(denied.headers['x-frame-options']).toBe('deny');
    const ok = await get(`${url}/-/healthy`, { ca, headers: basic('prometheus', 's3cret') });
    expect(ok.status).toBe(200);
    expect(ok.headers['strict-transport-security']).toBe('max-age=31536000');
  });
});

describe('request limits', () => {
  it('rate_limit: a burst, then 429', async () => {
    const url = await serveWith('rate_limit:\n  interval: 1h\n  burst: 2\n', 'rate');
    expect((await get(`${url}/-/healthy`)).status).toBe(200);
    expect((await get(`${url}/-/healthy`)).status).toBe(200);
    expect((await get(`${url}/-/healthy`)).status).toBe(429);
  });

  it('never reads a request body: a large POST gets 405 and the connection is closed', async () => {
    const url = await serveWith('http_server_config:\n  http2: false\n', 'nobody');
    const answer = await new Promise<Answer & { closed: boolean }>((resolve, reject) => {
      const req = httpRequest(`${url}/metrics`, { method: 'POST', agent: false, headers: { 'content-length': String(64 * 1024 * 1024) } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, closed: res.headers.connection === 'close' }));
      });
      req.on('error', reject);
      req.write(Buffer.alloc(1024)); // a sliver of the 64 MiB announced
    });
    expect(answer.status).toBe(405);
    expect(answer.closed).toBe(true);
  });
});
