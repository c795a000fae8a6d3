import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { VllmSource } from '../../../src/sources/vllm/vllm-source.js';
import { systemClock } from '../../../src/time/clock.js';

const latest = readFileSync(new URL('../../fixtures/vllm/latest.prom', import.meta.url), 'utf8');
let server: Server | undefined;

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
}

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

describe('VllmSource', () => {
  it('polls, asks for the text format, and reads the exposition', async () => {
    let accept = '';
    const url = await serve((req, res) => {
      accept = req.headers.accept ?? '';
      res.end(latest);
    });
    const { logger } = capturingLogger();
    const source = new VllmSource({ url, timeoutMs: 2000, clock: systemClock, logger });
    const poll = await source.poll();
    expect(poll.ok).toBe(true);
    expect(accept.startsWith('text/plain;version=0.0.4')).toBe(true);
    expect(accept).not.toContain('openmetrics');
    if (poll.ok) expect(poll.reading.models['meta-llama/Llama-3.1-8B-Instruct']!.running).toBe(7);
    expect(source.health()).toMatchObject({ collector: 'vllm', up: true });
  });

  it.each([
    ['HTTP 500', (_q: IncomingMessage, res: ServerResponse) => res.writeHead(500).end('boom'), /^HTTP 500$/],
    ['garbage body', (_q: IncomingMessage, res: ServerResponse) => res.end('<html>not metrics</html>\n'), /^bad exposition: /],
    ['truncated body', (_q: IncomingMessage, res: ServerResponse) => res.end(latest.slice(0, 20_000)), /^bad exposition: .*truncated/],
    [
      'connection cut mid-body',
      (_q: IncomingMessage, res: ServerResponse) => {
        res.writeHead(200, { 'content-length': String(latest.length) });
        res.write(latest.slice(0, 1000));
        setTimeout(() => res.socket?.destroy(), 20);
      },
      /./,
    ],
  ])('%s: a failed poll, not an exception', async (_name, handler, error) => {
    const url = await serve(handler);
    const source = new VllmSource({ url, timeoutMs: 2000, clock: systemClock, logger: capturingLogger().logger });
    const poll = await source.poll();
    expect(poll.ok).toBe(false);
    if (!poll.ok) expect(poll.error).toMatch(error);
    expect(source.health().up).toBe(false);
  });

  it('times out a slow target within its timeout', async () => {
    const url = await serve(() => undefined); // never answers
    const source = new VllmSource({ url, timeoutMs: 300, clock: systemClock, logger: capturingLogger().logger });
    const started = Date.now();
    const poll = await source.poll();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(poll).toMatchObject({ ok: false, error: 'timeout after 300 ms' });
  });

  it('reports a refused connection and logs it once, then the recovery once', async () => {
    const url = await serve((_q, res) => res.end(latest));
    const port = new URL(url).port;
    server!.closeAllConnections();
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    const { logger, lines } = capturingLogger();
    const source = new VllmSource({ url, timeoutMs: 1000, clock: systemClock, logger });
    for (let i = 0; i < 5; i++) expect(await source.poll()).toMatchObject({ ok: false, error: 'connection failed: ECONNREFUSED' });
    expect(lines.filter((l) => l['msg'] === 'source is down')).toHaveLength(1);
    server = createServer((_q, res) => res.end(latest));
    await new Promise<void>((r) => server!.listen(Number(port), '127.0.0.1', r));
    expect((await source.poll()).ok).toBe(true);
    expect((await source.poll()).ok).toBe(true);
    expect(lines.filter((l) => l['msg'] === 'source is up')).toHaveLength(1);
  });

  it('sends URL credentials as basic auth and keeps them out of the target label', async () => {
    let auth = '';
    const url = await serve((req, res) => {
      auth = req.headers.authorization ?? '';
      res.end(latest);
    });
    const withCredentials = url.replace('http://', 'http://scraper:s3cret@');
    const source = new VllmSource({ url: withCredentials, timeoutMs: 2000, clock: systemClock, logger: capturingLogger().logger });
    expect((await source.poll()).ok).toBe(true);
    expect(auth).toBe(`Basic ${Buffer.from('scraper:s3cret').toString('base64')}`);
    expect(source.health().target).not.toContain('s3cret');
  });
});
