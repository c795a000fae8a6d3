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
      result = { ok: false, atMs: clock.now(), error: describeFailure(error, timeoutMs) };
    }
    this.status.lastDurationSeconds = (performance.now() - realStart) / 1000;
    this.status.up = result.ok;
    if (result.ok) {
      this.status.lastSuccessMs = started;
      delete this.status.lastError;
      this.log.up();
    } else {
      this.status.lastError = result.error;
      this.log.down(result.error);
    }
    return result;
  }
}

async function fetchText(target: string, timeoutMs: number): Promise<string> {
  // fetch() refuses URLs with credentials: move user:password into an Authorization header
  const url = new URL(target);
  const headers: Record<string, string> = { accept: ACCEPT };
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    headers['authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  const response = await fetch(url, {
    headers,
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'follow',
  });
  if (!response.ok) {
    await response.body?.cancel();
    throw new HttpStatusError(response.status);
  }
  const length = Number(response.headers.get('content-length'));
  if (length > MAX_BODY_BYTES) {
    await response.body?.cancel();
    throw new BodyTooLargeError();
  }
  if (!response.body) return '';
  // read with a cap: a misbehaving endpoint must not grow our memory without bound
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
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
function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof HttpStatusError || error instanceof BodyTooLargeError) return error.message;
  if (error instanceof ExpositionParseError) return `bad exposition: ${error.message}`;
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return `timeout after ${timeoutMs} ms`;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code) return `connection failed: ${cause.code}`;
    if (cause?.message) return `connection failed: ${cause.message}`;
    return error.message;
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
