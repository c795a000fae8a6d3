import * as http from 'node:http';
import * as https from 'node:https';
import type { Logger } from 'pino';
import type { Clock } from '../../time/clock.js';
import { ExpositionParseError } from '../exposition/exposition-parse-error.js';
import { parseExposition } from '../exposition/parse.js';
import type { SourceHealth } from '../source-health.js';
import { StateChangeLog } from '../state-change-log.js';
import { keepVllmSample, readVllm, type VllmReading } from './vllm-reading.js';

/** Bodies larger than this are refused: a real vLLM exposition is 15-600 KB. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

// Ask for the classic text format: vLLM <= 0.8.4 and SGLang switch to OpenMetrics (inline
// _created, seconds timestamps) when a client prefers it. The parser reads both anyway.
const ACCEPT = 'text/plain;version=0.0.4;q=1,*/*;q=0.1';

const BAD_EXPOSITION = 'bad exposition';

export type VllmPoll =
  | { readonly ok: true; readonly atMs: number; readonly reading: VllmReading }
  | { readonly ok: false; readonly atMs: number; readonly error: string };

export interface VllmSourceOptions {
  readonly url: string;
  readonly timeoutMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Polls one vLLM `/metrics` URL. `poll()` never throws: a failure is a result, a metric and one log line. */
export class VllmSource {
  private readonly status: SourceHealth;
  private readonly log: StateChangeLog;

  constructor(private readonly options: VllmSourceOptions) {
    this.status = { collector: 'vllm', target: redactUrl(options.url), up: false };
    this.log = new StateChangeLog(options.logger, { collector: 'vllm', target: this.status.target });
  }

  health(): SourceHealth {
    return this.status;
  }

  async poll(): Promise<VllmPoll> {
    const { clock, url, timeoutMs } = this.options;
    const started = clock.now();
    const realStart = performance.now();
    let result: VllmPoll;
    try {
      const text = await fetchText(url, timeoutMs);
      const reading = readVllm(parseExposition(text, { keep: keepVllmSample }));
      result = { ok: true, atMs: clock.now(), reading };
    } catch (error) {
      result = { ok: false, atMs: clock.now(), error: describeFailure(error) };
    }
    this.status.lastDurationSeconds = (performance.now() - realStart) / 1000;
    this.status.up = result.ok;
    if (result.ok) {
      this.status.lastSuccessMs = started;
      delete this.status.lastError;
      this.log.up();
    } else {
      this.status.lastError = result.error;
      this.log.down(result.error, result.error.startsWith(BAD_EXPOSITION) ? BAD_EXPOSITION : result.error);
    }
    return result;
  }
}

// One keep-alive connection per target, reused every poll: no TLS or TCP handshake per poll, and
// node:http instead of fetch() (undici's web streams and WASM parser cost several times the CPU
// and garbage for a 60 KB body every few seconds).
const agents = { 'http:': new http.Agent({ keepAlive: true, maxSockets: 1 }), 'https:': new https.Agent({ keepAlive: true, maxSockets: 1 }) };

function fetchText(target: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const url = new URL(target);
    const headers: Record<string, string> = { accept: ACCEPT };
    if (url.username || url.password) {
      const user = decodeURIComponent(url.username);
      const password = decodeURIComponent(url.password);
      headers['authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    }
    const client = url.protocol === 'https:' ? https : http;
    const agent = agents[url.protocol as keyof typeof agents];
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      reject(error);
    };
    const request = client.get(
      { protocol: url.protocol, hostname: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, headers, agent },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          response.resume();
          fail(new HttpStatusError(status));
          return;
        }
        if (Number(response.headers['content-length']) > MAX_BODY_BYTES) {
          fail(new BodyTooLargeError());
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          // read with a cap: a misbehaving endpoint must not grow our memory without bound
          if (size > MAX_BODY_BYTES) fail(new BodyTooLargeError());
          else chunks.push(chunk);
        });
        response.on('aborted', () => fail(new Error('connection closed in the middle of the body')));
        response.on('error', (error) => fail(error));
        response.on('end', () => {
          if (settled) return;
          if (!response.complete) return fail(new Error('connection closed in the middle of the body'));
          settled = true;
          clearTimeout(timer);
          resolve(Buffer.concat(chunks, size).toString('utf8'));
        });
      },
    );
    request.on('error', (error) => fail(error));
    const timer = setTimeout(() => fail(new PollTimeoutError(timeoutMs)), timeoutMs);
  });
}

class PollTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`timeout after ${timeoutMs} ms`);
  }
}

class HttpStatusError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

class BodyTooLargeError extends Error {
  constructor() {
    super(`body larger than ${MAX_BODY_BYTES} bytes`);
  }
}

/** A short, stable description: the same failure repeating gives the same string (one log line). */
function describeFailure(error: unknown): string {
  if (error instanceof HttpStatusError || error instanceof BodyTooLargeError || error instanceof PollTimeoutError) return error.message;
  if (error instanceof ExpositionParseError) return `${BAD_EXPOSITION}: ${error.message}`;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code ? `connection failed: ${code}` : error.message;
  }
  return String(error);
}

/** Drops user:password from a URL before it goes into a label or a log line. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '';
      u.password = '';
    }
    return u.toString();
  } catch {
    return url;
  }
}
