import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import type { Clock } from '../../time/clock.js';
import type { SourceHealth } from '../source-health.js';
import { CORE_FIELDS, RECOMMENDED_FIELDS } from './gpu-fields.js';
import {
  classifyOutput,
  describeExit,
  describeSpawnError,
  describeStall,
  invalidFieldName,
} from './nvidia-smi-error.js';
import { isGpuRowRejection, parseGpuRow, type GpuReading } from './parse-gpu-row.js';

export interface NvidiaSmiSourceOptions {
  /** The binary; spawned without a shell. */
  readonly path: string;
  /** Passed as `-lms N`. */
  readonly intervalMs: number;
  /** Timestamps (`atMs`, lastSuccessMs) and backoff timing. */
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called for every accepted row; `atMs` = clock.now() on arrival. Exceptions are caught and logged. */
  readonly onReading: (reading: GpuReading, atMs: number) => void;
  /** No accepted row for this long (real time) => kill + restart. Default max(5 * intervalMs, 5000). */
  readonly stallTimeoutMs?: number;
  /**
   * Allowance for the FIRST row of a child (NVML start-up can take seconds per GPU without
   * persistence mode; a slow start must not be killed as a hang). Default max(2 * stallTimeoutMs, 15_000).
   */
  readonly startupTimeoutMs?: number;
  /** Default 60_000. */
  readonly maxBackoffMs?: number;
  /** First restart delay (clock ms), doubled per failure up to maxBackoffMs. Default 1000. */
  readonly initialBackoffMs?: number;
  /** A child that has delivered rows for this long (clock ms) resets the backoff. Default 30_000. */
  readonly backoffResetMs?: number;
  /** Environment of the child. Default: this process's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Longest line kept; a longer one is dropped (bounded memory whatever the child prints). */
export const MAX_LINE_LENGTH = 64 * 1024;
/** SIGTERM, then SIGKILL after this long. */
const KILL_GRACE_MS = 2000;
/** After 'exit', wait this long for 'close' (stdio drained) before finishing the child anyway. */
const CLOSE_GRACE_MS = 1000;

/**
 * Splits a text stream into lines on `\n` (a line may arrive in pieces), holding at most
 * `maxLineLength` characters: a longer line is dropped whole and reported once via `onOverflow`.
 */
export class LineSplitter {
  private buffer = '';
  private discarding = false;
  private readonly maxLineLength: number;
  private readonly onLine: (line: string) => void;
  private readonly onOverflow: () => void;

  constructor(maxLineLength: number, onLine: (line: string) => void, onOverflow: () => void) {
    this.maxLineLength = maxLineLength;
    this.onLine = onLine;
    this.onOverflow = onOverflow;
  }

  push(chunk: string): void {
    let start = 0;
    if (this.discarding) {
      const end = chunk.indexOf('\n');
      if (end < 0) return;
      this.discarding = false;
      start = end + 1;
    }
    let end = chunk.indexOf('\n', start);
    while (end >= 0) {
      const piece = chunk.slice(start, end);
      const line = this.buffer === '' ? piece : this.buffer + piece;
      this.buffer = '';
      if (line.length > this.maxLineLength) this.onOverflow();
      else this.onLine(line);
      start = end + 1;
      end = chunk.indexOf('\n', start);
    }
    const rest = chunk.slice(start);
    if (this.buffer.length + rest.length > this.maxLineLength) {
      this.buffer = '';
      this.discarding = true;
      this.onOverflow();
    } else {
      this.buffer += rest;
    }
  }

  /** The unterminated text held so far (cleared). */
  takeRemainder(): string {
    const rest = this.buffer;
    this.buffer = '';
    this.discarding = false;
    return rest;
  }
}

/** One spawned nvidia-smi and everything that belongs to it. */
interface ChildRun {
  readonly child: ChildProcess | undefined;
  readonly stdout: LineSplitter;
  readonly stderr: LineSplitter;
  readonly lastRowAtByIndex: Map<number, number>;
  readonly exitWaiters: Array<() => void>;
  firstRowAtMs?: number;
  /** First non-row line from stdout or stderr (a known error message wins over an unknown line). */
  diagnostic?: string;
  diagnosticKnown: boolean;
  spawnError?: string;
  /** Set (to the failure description) when the child was killed for printing no row. */
  stalled: string | undefined;
  /** An invalid-field message was seen: restart at once with the CORE list. */
  fallback: boolean;
  exited: boolean;
  ended: boolean;
  stallTimer?: NodeJS.Timeout;
  killTimer?: NodeJS.Timeout;
  closeTimer?: NodeJS.Timeout;
}

/**
 * One long-lived `nvidia-smi --query-gpu=... --format=csv,noheader,nounits -lms N`, parsed line by
 * line as it streams. A failure (missing binary, exit with any code, a hang) is a health state and
 * one log line per change of state, never an exception; the child is restarted with exponential
 * backoff. Starts with {@link RECOMMENDED_FIELDS}; on `Field "x" is not a valid field to query.`
 * switches to {@link CORE_FIELDS} for good and restarts at once.
 *
 * `health().lastDurationSeconds` is the time between the last two rows of the same GPU index (any
 * index: the observed poll period). `health().lastError` keeps the last failure after a recovery.
 * Stall detection (startupTimeoutMs until a child's first row, stallTimeoutMs between rows) and
 * the SIGTERM->SIGKILL grace run on real time, as the child does; timestamps and restart backoff
 * use `clock`.
 */
export class NvidiaSmiSource {
  private readonly path: string;
  private readonly intervalMs: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly onReading: (reading: GpuReading, atMs: number) => void;
  private readonly stallTimeoutMs: number;
  private readonly startupTimeoutMs: number;
  private readonly maxBackoffMs: number;
  private readonly initialBackoffMs: number;
  private readonly backoffResetMs: number;
  private readonly env: Readonly<Record<string, string | undefined>> | undefined;

  private fieldList: readonly string[] = RECOMMENDED_FIELDS;
  private run: ChildRun | undefined;
  private started = false;
  private stopped = false;
  private restartCount = 0;
  private rejectedCount = 0;
  private overflowLogged = false;
  private readingErrorLogged = false;
  private backoffMs: number;
  private cancelRestart: (() => void) | undefined;

  private up = false;
  private lastSuccessMs: number | undefined;
  private lastDurationSeconds: number | undefined;
  private lastError: string | undefined;

  constructor(options: NvidiaSmiSourceOptions) {
    this.path = options.path;
    this.intervalMs = Math.max(1, Math.round(options.intervalMs));
    this.clock = options.clock;
    this.logger = options.logger.child({ collector: 'nvidia_smi', target: options.path });
    this.onReading = options.onReading;
    this.stallTimeoutMs = options.stallTimeoutMs ?? Math.max(5 * this.intervalMs, 5000);
    this.startupTimeoutMs = options.startupTimeoutMs ?? Math.max(2 * this.stallTimeoutMs, 15_000);
    this.maxBackoffMs = Math.max(1, options.maxBackoffMs ?? 60_000);
    this.initialBackoffMs = Math.min(Math.max(1, options.initialBackoffMs ?? 1000), this.maxBackoffMs);
    this.backoffResetMs = options.backoffResetMs ?? 30_000;
    this.env = options.env;
    this.backoffMs = this.initialBackoffMs;
  }

  /** Spawns nvidia-smi. Never throws: a missing binary is a failure state. Calling it again is a no-op. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.spawnChild();
  }

  /**
   * Stops for good: cancels a pending restart, clears every timer and kills the child (SIGTERM,
   * SIGKILL after ~2 s). Resolves once the child has exited (and been reaped) and its pipes have
   * closed (or 1 s after its exit if something else holds them); no timer is left then.
   */
  stop(): Promise<void> {
    this.stopped = true;
    this.cancelRestart?.();
    this.cancelRestart = undefined;
    const run = this.run;
    if (run === undefined || run.ended) return Promise.resolve();
    return new Promise<void>((resolve) => {
      run.exitWaiters.push(resolve);
      if (run.stallTimer !== undefined) clearTimeout(run.stallTimer);
      this.kill(run);
    });
  }

  health(): SourceHealth {
    const health: SourceHealth = { collector: 'nvidia_smi', target: this.path, up: this.up };
    if (this.lastSuccessMs !== undefined) health.lastSuccessMs = this.lastSuccessMs;
    if (this.lastDurationSeconds !== undefined) health.lastDurationSeconds = this.lastDurationSeconds;
    if (this.lastError !== undefined) health.lastError = this.lastError;
    return health;
  }

  /** Times the child was (re)started after the first start. */
  restarts(): number {
    return this.restartCount;
  }

  /** The field list in use (RECOMMENDED, or CORE after a fallback). */
  fields(): readonly string[] {
    return this.fieldList;
  }

  /** Non-empty stdout lines that were not GPU rows (error text, event lines, truncated rows). */
  rejectedRows(): number {
    return this.rejectedCount;
  }

  /** Pid of the running child, if one is running (diagnostics, tests). */
  childPid(): number | undefined {
    const run = this.run;
    return run === undefined || run.exited || run.ended ? undefined : run.child?.pid;
  }

  // ---------------------------------------------------------------------------------------------

  private args(): string[] {
    return [
      `--query-gpu=${this.fieldList.join(',')}`,
      '--format=csv,noheader,nounits',
      '-lms',
      String(this.intervalMs),
    ];
  }

  private spawnChild(): void {
    const lines = (isStdout: boolean) => (line: string) => {
      if (this.run === run) this.onLine(run, line, isStdout);
    };
    const overflow = () => this.onOverflow();
    let child: ChildProcess | undefined;
    let spawnError: unknown;
    try {
      child = spawn(this.path, this.args(), {
        shell: false,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
        ...(this.env === undefined ? {} : { env: { ...this.env } }),
      });
    } catch (error) {
      spawnError = error;
    }
    const run: ChildRun = {
      child,
      stdout: new LineSplitter(MAX_LINE_LENGTH, lines(true), overflow),
      stderr: new LineSplitter(MAX_LINE_LENGTH, lines(false), overflow),
      lastRowAtByIndex: new Map(),
      exitWaiters: [],
      diagnosticKnown: false,
      stalled: undefined,
      fallback: false,
      exited: false,
      ended: false,
    };
    this.run = run;
    if (child === undefined) {
      run.spawnError = describeSpawnError(this.path, spawnError);
      this.finish(run, null, null);
      return;
    }
    this.logger.debug({ pid: child.pid, fields: this.fieldList.length }, 'nvidia-smi started');
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => run.stdout.push(chunk));
    child.stderr?.on('data', (chunk: string) => run.stderr.push(chunk));
    child.stdout?.on('error', () => {});
    child.stderr?.on('error', () => {});
    child.on('error', (error) => {
      if (child.pid === undefined) {
        // The binary could not be started (ENOENT, EACCES, ...).
        run.spawnError = describeSpawnError(this.path, error);
        this.finish(run, null, null);
      } else {
        this.logger.debug({ err: error.message }, 'nvidia-smi child error');
      }
    });
    child.on('exit', (code, signal) => {
      run.exited = true;
      if (run.killTimer !== undefined) clearTimeout(run.killTimer);
      if (!run.ended) {
        run.closeTimer = setTimeout(() => this.finish(run, code, signal), CLOSE_GRACE_MS);
        run.closeTimer.unref();
      }
    });
    child.on('close', (code, signal) => this.finish(run, code, signal));
    run.stallTimer = setTimeout(() => this.onStall(run, this.startupTimeoutMs), this.startupTimeoutMs);
    run.stallTimer.unref();
  }

  private onLine(run: ChildRun, line: string, isStdout: boolean): void {
    if (line.trim() === '') return;
    if (isStdout) {
      const parsed = parseGpuRow(line, this.fieldList);
      if (!isGpuRowRejection(parsed)) {
        this.onRow(run, parsed);
        return;
      }
      this.rejectedCount++;
      this.logger.debug({ reason: parsed.reason }, 'nvidia-smi line rejected');
    }
    this.noteDiagnostic(run, line);
  }

  private noteDiagnostic(run: ChildRun, line: string): void {
    const text = line.trim();
    const known = classifyOutput(text) !== 'unknown';
    if (run.diagnostic === undefined || (known && !run.diagnosticKnown)) {
      run.diagnostic = text.length > 400 ? text.slice(0, 400) : text;
      run.diagnosticKnown = known;
    }
    const field = invalidFieldName(text);
    if (field !== undefined && this.fieldList === RECOMMENDED_FIELDS && !run.fallback) {
      run.fallback = true;
      this.fieldList = CORE_FIELDS;
      this.logger.info(
        { field },
        `nvidia-smi does not know field "${field}"; switching to the core field list (${CORE_FIELDS.length} fields)`,
      );
      this.kill(run);
    }
  }

  private onRow(run: ChildRun, reading: GpuReading): void {
    if (this.stopped || run.stalled !== undefined || run.fallback) return;
    const now = this.clock.now();
    if (run.firstRowAtMs === undefined) {
      run.firstRowAtMs = now;
      // From the first row on, the stall timeout applies (instead of the start-up allowance).
      if (run.stallTimer !== undefined) clearTimeout(run.stallTimer);
      run.stallTimer = setTimeout(() => this.onStall(run, this.stallTimeoutMs), this.stallTimeoutMs);
      run.stallTimer.unref();
    } else {
      run.stallTimer?.refresh();
    }
    if (now - run.firstRowAtMs >= this.backoffResetMs) this.backoffMs = this.initialBackoffMs;
    const previous = run.lastRowAtByIndex.get(reading.index);
    if (previous !== undefined) this.lastDurationSeconds = Math.max(0, now - previous) / 1000;
    run.lastRowAtByIndex.set(reading.index, now);
    this.lastSuccessMs = now;
    if (!this.up) {
      this.up = true;
      if (this.lastError === undefined) this.logger.info({ fields: this.fieldList.length }, 'nvidia-smi streaming');
      else this.logger.info({ restarts: this.restartCount }, 'nvidia-smi recovered');
    }
    try {
      this.onReading(reading, now);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (this.readingErrorLogged) this.logger.debug({ err: message }, 'onReading threw');
      else this.logger.error({ err: message }, 'onReading threw (further errors are logged at debug)');
      this.readingErrorLogged = true;
    }
  }

  private onOverflow(): void {
    const message = `nvidia-smi printed a line longer than ${MAX_LINE_LENGTH} characters; dropped`;
    if (this.overflowLogged) this.logger.debug(message);
    else this.logger.warn(`${message} (further ones are logged at debug)`);
    this.overflowLogged = true;
  }

  private onStall(run: ChildRun, afterMs: number): void {
    if (run !== this.run || run.ended || run.exited || this.stopped) return;
    run.stalled = describeStall(afterMs);
    this.fail(run.stalled);
    this.kill(run);
  }

  private kill(run: ChildRun): void {
    const child = run.child;
    if (child === undefined || run.exited || run.ended || run.killTimer !== undefined) return;
    child.kill('SIGTERM');
    run.killTimer = setTimeout(() => {
      if (!run.exited) child.kill('SIGKILL');
    }, KILL_GRACE_MS);
    run.killTimer.unref();
  }

  /** The child is gone (closed, or could not be started): record why and schedule the next one. */
  private finish(run: ChildRun, code: number | null, signal: NodeJS.Signals | null): void {
    if (run.ended) return;
    run.ended = true;
    if (run.stallTimer !== undefined) clearTimeout(run.stallTimer);
    if (run.closeTimer !== undefined) clearTimeout(run.closeTimer);
    if (run.killTimer !== undefined) clearTimeout(run.killTimer);
    run.child?.stdout?.destroy();
    run.child?.stderr?.destroy();
    for (const rest of [run.stdout.takeRemainder(), run.stderr.takeRemainder()]) {
      if (rest.trim() !== '') this.noteDiagnostic(run, rest);
    }
    for (const resolve of run.exitWaiters.splice(0)) resolve();
    if (this.run === run) this.run = undefined;
    if (this.stopped) return;

    if (run.fallback) {
      this.restartCount++;
      this.spawnChild();
      return;
    }
    const description =
      run.spawnError ??
      run.stalled ??
      describeExit(code, run.diagnostic ?? '', signal);
    this.fail(description);
    this.scheduleRestart();
  }

  private fail(description: string): void {
    const changed = this.up || this.lastError !== description;
    this.up = false;
    this.lastError = description;
    if (changed) this.logger.warn({ restarts: this.restartCount }, `nvidia-smi down: ${description}`);
  }

  private scheduleRestart(): void {
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.maxBackoffMs);
    this.logger.debug({ delayMs: delay }, 'nvidia-smi restart scheduled');
    const cancel = this.clock.every(delay, () => {
      cancel();
      if (this.cancelRestart !== cancel) return;
      this.cancelRestart = undefined;
      if (this.stopped) return;
      this.restartCount++;
      this.spawnChild();
    });
    this.cancelRestart = cancel;
  }
}
