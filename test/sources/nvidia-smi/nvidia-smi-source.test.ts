import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { CORE_FIELDS, RECOMMENDED_FIELDS } from '../../../src/sources/nvidia-smi/gpu-fields.js';
import {
  LineSplitter,
  MAX_LINE_LENGTH,
  NvidiaSmiSource,
  type NvidiaSmiSourceOptions,
} from '../../../src/sources/nvidia-smi/nvidia-smi-source.js';
import type { GpuReading } from '../../../src/sources/nvidia-smi/parse-gpu-row.js';
import { systemClock, type Clock } from '../../../src/time/clock.js';

const DOUBLE = fileURLToPath(new URL('../../doubles/nvidia-smi', import.meta.url));
const NOT_EXECUTABLE = fileURLToPath(new URL('../../fixtures/nvidia-smi/fields.txt', import.meta.url));
const WARN = 40;
const INFO = 30;
const ERROR = 50;

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

interface Harness {
  readonly source: NvidiaSmiSource;
  readonly logs: LogLine[];
  readonly readings: Array<{ readonly reading: GpuReading; readonly atMs: number }>;
  at(level: number): LogLine[];
  scheduledDelays(): number[];
}

const sources: NvidiaSmiSource[] = [];
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()));
});

const tmp = mkdtempSync(join(tmpdir(), 'nvidia-smi-source-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function harness(env: Record<string, string>, options: Partial<NvidiaSmiSourceOptions> = {}): Harness {
  const logs: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
  const readings: Harness['readings'] = [];
  const source = new NvidiaSmiSource({
    path: DOUBLE,
    intervalMs: 50,
    clock: systemClock,
    logger,
    onReading: (reading, atMs) => readings.push({ reading, atMs }),
    env: { ...process.env, ...env },
    ...options,
  });
  sources.push(source);
  return {
    source,
    logs,
    readings,
    at: (level) => logs.filter((l) => l.level === level),
    scheduledDelays: () =>
      logs.filter((l) => l.msg === 'nvidia-smi restart scheduled').map((l) => Number(l['delayMs'])),
  };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function resources(kind: string): number {
  return process.getActiveResourcesInfo().filter((r) => r === kind).length;
}

/**
 * Records every setTimeout/setInterval made from nvidia-smi-source.ts (directly or through the
 * clock) and whether it fired or was cleared; `pending()` counts the ones still armed.
 */
function trackSourceTimers(): { pending(): number; restore(): void } {
  const real = {
    setTimeout: globalThis.setTimeout,
    clearTimeout: globalThis.clearTimeout,
    setInterval: globalThis.setInterval,
    clearInterval: globalThis.clearInterval,
  };
  const armed = new Set<unknown>();
  const fromSource = (): boolean => /nvidia-smi-source/.test(new Error().stack ?? '');
  const spies = [
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const tracked = fromSource();
      const timer = real.setTimeout(() => {
        armed.delete(timer);
        fn(...args);
      }, ms);
      if (tracked) armed.add(timer);
      return timer;
    }) as unknown as typeof setTimeout),
    vi.spyOn(globalThis, 'setInterval').mockImplementation(((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const timer = real.setInterval(fn, ms, ...args);
      if (fromSource()) armed.add(timer);
      return timer;
    }) as unknown as typeof setInterval),
    vi.spyOn(globalThis, 'clearTimeout').mockImplementation(((timer?: NodeJS.Timeout) => {
      armed.delete(timer);
      real.clearTimeout(timer);
    }) as typeof clearTimeout),
    vi.spyOn(globalThis, 'clearInterval').mockImplementation(((timer?: NodeJS.Timeout) => {
      armed.delete(timer);
      real.clearInterval(timer);
    }) as typeof clearInterval),
  ];
  return {
    pending: () => armed.size,
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

async function settleHandles(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('NvidiaSmiSource against the test double', () => {
  it('streams rows with the right values, timestamps and health', async () => {
    const h = harness({ FAKE_NVIDIA_SMI_GPUS: '2', FAKE_NVIDIA_SMI_UTIL: '37,80', FAKE_NVIDIA_SMI_NAME: 'NVIDIA H100 80GB HBM3' });
    const before = Date.now();
    h.source.start();
    await waitFor(() => h.readings.length >= 6, '6 rows');
    const after = Date.now();
    expect(h.readings.slice(0, 6).map((r) => r.reading.index)).toEqual([0, 1, 0, 1, 0, 1]);
    for (const { reading, atMs } of h.readings) {
      expect(atMs).toBeGreaterThanOrEqual(before);
      expect(atMs).toBeLessThanOrEqual(after);
      expect(reading.utilizationRatio).toBe(reading.index === 0 ? 0.37 : 0.8);
      expect(reading.uuid).toMatch(/^GPU-[0-9a-f]{8}-/);
      expect(reading.name).toBe('NVIDIA H100 80GB HBM3');
      expect(reading.memoryTotalBytes).toBe(81559 * 1_048_576);
      expect(reading.powerDrawAverageWatts).toBe(reading.powerDrawWatts);
      expect(reading.maxSmClockHz).toBe(1.98e9);
      expect(reading.lost).toBe(false);
    }
    const health = h.source.health();
    expect(health.collector).toBe('nvidia_smi');
    expect(health.target).toBe(DOUBLE);
    expect(health.up).toBe(true);
    expect(health).not.toHaveProperty('lastError');
    expect(health.lastSuccessMs).toBeGreaterThanOrEqual(h.readings[5]?.atMs ?? Infinity);
    // lastDurationSeconds: the gap between the last two rows of the same GPU index.
    const last = h.readings.at(-1);
    const previous = h.readings.slice(0, -1).reverse().find((r) => r.reading.index === last?.reading.index);
    expect(health.lastDurationSeconds).toBe(((last?.atMs ?? NaN) - (previous?.atMs ?? NaN)) / 1000);
    expect(health.lastDurationSeconds).toBeLessThan(1);
    expect(h.source.fields()).toBe(RECOMMENDED_FIELDS);
    expect(h.source.restarts()).toBe(0);
    expect(h.source.rejectedRows()).toBe(0);
    expect(h.at(WARN)).toEqual([]);
    expect(h.at(INFO).map((l) => l.msg)).toEqual(['nvidia-smi streaming']);
    expect(h.at(INFO)[0]).toMatchObject({ collector: 'nvidia_smi', target: DOUBLE });
  });

  it('stop() kills the child and leaves no process, pipe or timer behind', async () => {
    await settleHandles();
    const processes = resources('ProcessWrap');
    const pipes = resources('PipeWrap');
    const timers = trackSourceTimers();
    try {
      const h = harness({});
      h.source.start();
      await waitFor(() => h.readings.length >= 2, 'rows');
      const pid = h.source.childPid();
      expect(pid).toBeTypeOf('number');
      expect(alive(pid ?? 0)).toBe(true);
      expect(resources('ProcessWrap')).toBe(processes + 1);
      expect(resources('PipeWrap')).toBe(pipes + 2); // its stdout and stderr
      expect(timers.pending()).toBe(1); // the stall timer
      await h.source.stop();
      expect(timers.pending()).toBe(0);
      expect(alive(pid ?? 0)).toBe(false);
      expect(h.source.childPid()).toBeUndefined();
      const count = h.readings.length;
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(h.readings.length).toBe(count);
      expect(resources('ProcessWrap')).toBe(processes);
      expect(resources('PipeWrap')).toBe(pipes);
      // Stopping twice, or starting after stop, does nothing.
      await h.source.stop();
      h.source.start();
      expect(h.source.childPid()).toBeUndefined();
      expect(timers.pending()).toBe(0);
    } finally {
      timers.restore();
    }
  });

  it('stop() cancels a pending restart (no timer left)', async () => {
    const timers = trackSourceTimers();
    try {
      const h = harness({ FAKE_NVIDIA_SMI_FAIL: 'driver' }, { initialBackoffMs: 60_000 });
      h.source.start();
      await waitFor(() => h.source.health().lastError !== undefined, 'first failure');
      expect(timers.pending()).toBe(1); // the scheduled restart
      await h.source.stop();
      expect(timers.pending()).toBe(0);
      expect(h.source.restarts()).toBe(0);
    } finally {
      timers.restore();
    }
  });

  it('stop() escalates to SIGKILL when the child ignores SIGTERM', async () => {
    const h = harness({ FAKE_NVIDIA_SMI_IGNORE_SIGTERM: '1' });
    h.source.start();
    await waitFor(() => h.readings.length >= 1, 'a row');
    const pid = h.source.childPid() ?? 0;
    const t0 = Date.now();
    await h.source.stop();
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(4000);
    expect(alive(pid)).toBe(false);
  });

  it('falls back to the CORE field list once on an invalid field, and does not flap back', async () => {
    const h = harness({ FAKE_NVIDIA_SMI_UNSUPPORTED_FIELDS: 'power.draw.average,memory.reserved', FAKE_NVIDIA_SMI_UTIL: '64' });
    h.source.start();
    await waitFor(() => h.readings.length >= 2, 'rows on the CORE list');
    expect(h.source.fields()).toBe(CORE_FIELDS);
    expect(h.source.restarts()).toBe(1);
    const reading = h.readings[0]?.reading;
    expect(reading?.utilizationRatio).toBe(0.64);
    expect(reading).not.toHaveProperty('memoryReservedBytes');
    expect(reading).not.toHaveProperty('powerDrawAverageWatts');
    expect(reading?.clockEventReasons).toBe(0); // via clocks_throttle_reasons.active
    expect(reading?.powerDrawWatts).toBeGreaterThan(0);
    expect(h.source.health().up).toBe(true);
    const infos = h.at(INFO).filter((l) => /core field list/.test(l.msg));
    expect(infos).toHaveLength(1);
    expect(infos[0]?.msg).toContain('"memory.reserved"');
    expect(h.at(WARN)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(h.source.restarts()).toBe(1);
    expect(h.source.fields()).toBe(CORE_FIELDS);
  });

  it('reports a CORE field the driver also lacks as a failure, staying on CORE', async () => {
    const h = harness(
      { FAKE_NVIDIA_SMI_UNSUPPORTED_FIELDS: 'power.draw.average,clocks_throttle_reasons.active' },
      { maxBackoffMs: 30 },
    );
    h.source.start();
    await waitFor(() => h.source.restarts() >= 3, '3 restarts');
    expect(h.source.fields()).toBe(CORE_FIELDS);
    expect(h.source.health()).toMatchObject({
      up: false,
      lastError:
        'nvidia-smi exited with code 2 (invalid argument or flag): Field "clocks_throttle_reasons.active" is not a valid field to query.',
    });
    expect(h.at(WARN)).toHaveLength(1);
    expect(h.at(INFO).filter((l) => /core field list/.test(l.msg))).toHaveLength(1);
  });

  it('FAIL modes: down with the exit code and message, one warn line each, restarts counted', async () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ['driver', "nvidia-smi exited with code 9 (NVIDIA driver not loaded): NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running."],
      ['nvml-missing', 'nvidia-smi exited with code 12 (NVML shared library not found), no output'],
      ['gpu-lost-at-start', 'nvidia-smi exited with code 15 (GPU fell off the bus or is inaccessible): Unable to determine the device handle for GPU0000:3A:00.0: Unknown Error'],
      ['version-mismatch', 'nvidia-smi exited with code 18 (NVML driver/library version mismatch): Failed to initialize NVML: Driver/library version mismatch'],
      ['nvml-unknown', 'nvidia-smi exited with code 255 (other error): Failed to initialize NVML: Unknown Error'],
      ['other', 'nvidia-smi exited with code 255 (other error), no output'],
    ];
    // All modes at once: each source is independent, and this keeps the file fast.
    const runs = cases.map(([mode, expected]) => ({
      mode,
      expected,
      h: harness({ FAKE_NVIDIA_SMI_FAIL: mode }, { maxBackoffMs: 30 }),
    }));
    for (const { h } of runs) h.source.start();
    await waitFor(
      () => runs.every(({ h }) => h.source.restarts() >= 2 && h.scheduledDelays().length >= 3),
      '2 restarts of every mode',
      15_000,
    );
    for (const { mode, expected, h } of runs) {
      expect({ mode, health: h.source.health() }).toEqual({
        mode,
        health: { collector: 'nvidia_smi', target: DOUBLE, up: false, lastError: expected },
      });
      expect({ mode, warns: h.at(WARN).map((l) => l.msg) }).toEqual({ mode, warns: [`nvidia-smi down: ${expected}`] });
      expect(h.readings).toEqual([]);
      expect(h.scheduledDelays().every((d) => d === 30)).toBe(true);
    }
    // The driver text arrives on stdout, so it is also counted as a rejected row (one per run).
    const driver = runs[0]?.h.source;
    expect(driver?.rejectedRows()).toBeGreaterThanOrEqual(3);
    expect(runs[1]?.h.source.rejectedRows()).toBe(0);
  });

  it('backs off exponentially up to maxBackoffMs', async () => {
    const h = harness({ FAKE_NVIDIA_SMI_FAIL: 'nvml-missing' }, { initialBackoffMs: 10, maxBackoffMs: 40 });
    h.source.start();
    await waitFor(() => h.scheduledDelays().length >= 5, '5 scheduled restarts');
    expect(h.scheduledDelays().slice(0, 5)).toEqual([10, 20, 40, 40, 40]);
    expect(h.source.restarts()).toBeGreaterThanOrEqual(4);
  });

  it('restarts a child that exits mid-stream; rows for backoffResetMs reset the backoff', async () => {
    const env = { FAKE_NVIDIA_SMI_EXIT_AFTER: '4' };
    // A clock that moves 100 ms per row on top of real time, so "delivered rows for
    // backoffResetMs" holds whatever the machine's load does to the pipe's timing.
    let skew = 0;
    const skewed: Clock = { ...systemClock, now: () => Date.now() + skew };
    const resetting = harness(env, {
      intervalMs: 40,
      initialBackoffMs: 20,
      maxBackoffMs: 1000,
      backoffResetMs: 250,
      clock: skewed,
      onReading: (reading, atMs) => {
        skew += 100;
        resetting.readings.push({ reading, atMs });
      },
    });
    const growing = harness(env, { intervalMs: 40, initialBackoffMs: 20, maxBackoffMs: 1000 });
    resetting.source.start();
    growing.source.start();
    await waitFor(
      () => resetting.scheduledDelays().length >= 3 && growing.scheduledDelays().length >= 3,
      '3 exits each',
    );
    expect(resetting.scheduledDelays().slice(0, 3)).toEqual([20, 20, 20]);
    expect(growing.scheduledDelays().slice(0, 3)).toEqual([20, 40, 80]);
    const down = 'nvidia-smi down: nvidia-smi exited with code 255 (other error), no output';
    // One warn per up->down change and one info per recovery: no repeats within a state.
    for (const h of [resetting, growing]) {
      const warns = h.at(WARN);
      expect(warns.length).toBeGreaterThanOrEqual(3);
      expect(warns.every((l) => l.msg === down)).toBe(true);
      const infos = h.at(INFO).map((l) => l.msg);
      expect(infos[0]).toBe('nvidia-smi streaming');
      expect(infos.filter((m) => m === 'nvidia-smi recovered').length).toBeGreaterThanOrEqual(2);
      expect(h.source.restarts()).toBeGreaterThanOrEqual(2);
      expect(h.readings.length).toBeGreaterThanOrEqual(12);
    }
  });

  it.each([
    ['/nonexistent/nvidia-smi', 'nvidia-smi not found at /nonexistent/nvidia-smi (ENOENT)'],
    [NOT_EXECUTABLE, `nvidia-smi at ${NOT_EXECUTABLE} is not executable (EACCES)`],
  ])('a binary that cannot start (%s) is a failure state, not an exception', async (path, expected) => {
    const h = harness({}, { path, maxBackoffMs: 20 });
    expect(() => h.source.start()).not.toThrow();
    await waitFor(() => h.source.restarts() >= 3, '3 restarts');
    expect(h.source.health()).toEqual({ collector: 'nvidia_smi', target: path, up: false, lastError: expected });
    expect(h.at(WARN)).toHaveLength(1);
    expect(h.source.childPid()).toBeUndefined();
  });

  it('detects a hung nvidia-smi within stallTimeoutMs, kills it and restarts', async () => {
    const h = harness({ FAKE_NVIDIA_SMI_HANG_AFTER: '3' }, { stallTimeoutMs: 300, initialBackoffMs: 20 });
    h.source.start();
    await waitFor(() => h.readings.length >= 3, 'first rows');
    const pid = h.source.childPid() ?? 0;
    let downAt = 0;
    await waitFor(() => {
      if (h.source.health().up) return false;
      downAt = Date.now();
      return true;
    }, 'stall detection');
    const lastRowAt = h.source.health().lastSuccessMs ?? 0;
    expect(downAt - lastRowAt).toBeGreaterThanOrEqual(280);
    expect(downAt - lastRowAt).toBeLessThan(1000);
    expect(h.source.health().lastError).toBe('nvidia-smi printed no row for 300 ms (hung); killed');
    await waitFor(() => h.readings.length >= 4 && h.source.health().up, 'rows from the restarted child');
    expect(h.source.restarts()).toBe(1);
    await waitFor(() => !alive(pid), 'the hung child to be gone', 1000);
    expect(h.at(WARN).map((l) => l.msg)).toEqual(['nvidia-smi down: nvidia-smi printed no row for 300 ms (hung); killed']);
    expect(h.at(INFO).map((l) => l.msg)).toEqual(['nvidia-smi streaming', 'nvidia-smi recovered']);
  });

  it('gives a child startupTimeoutMs for its first row, then kills it as hung', async () => {
    const h = harness({ FAKE_NVIDIA_SMI_HANG_AFTER: '0' }, { stallTimeoutMs: 100, startupTimeoutMs: 600, initialBackoffMs: 5000 });
    const t0 = Date.now();
    h.source.start();
    await waitFor(() => h.source.health().lastError !== undefined, 'start-up stall');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(580);
    expect(h.source.health()).toMatchObject({ up: false, lastError: 'nvidia-smi printed no row for 600 ms (hung); killed' });
    expect(h.source.restarts()).toBe(0);
  });

  it('passes MIG and lost-GPU rows through; CRLF rows parse; Xid lines are counted as rejected', async () => {
    const h = harness({
      FAKE_NVIDIA_SMI_GPUS: '2',
      FAKE_NVIDIA_SMI_UTIL: '25',
      FAKE_NVIDIA_SMI_MIG: '1',
      FAKE_NVIDIA_SMI_LOST_GPU: '0',
      FAKE_NVIDIA_SMI_LOST_AFTER: '2',
      FAKE_NVIDIA_SMI_CRLF: '1',
      FAKE_NVIDIA_SMI_XID_LINE: '1',
    });
    h.source.start();
    await waitFor(() => h.source.rejectedRows() >= 1 && h.readings.length >= 8, 'an Xid line and 4 polls');
    const gpu0 = h.readings.filter((r) => r.reading.index === 0).map((r) => r.reading);
    const gpu1 = h.readings.filter((r) => r.reading.index === 1).map((r) => r.reading);
    expect(gpu0.map((r) => r.lost).slice(0, 4)).toEqual([false, false, true, true]);
    expect(gpu0[0]?.utilizationRatio).toBe(0.25);
    expect(gpu0[0]?.eccUncorrectedVolatileTotal).toBe(0); // last column: the \r was stripped
    expect(gpu0[2]).toEqual({
      index: 0,
      timestampMs: expect.any(Number),
      uuid: gpu0[0]?.uuid,
      name: 'NVIDIA A100-SXM4-80GB',
      pciBusId: gpu0[0]?.pciBusId,
      lost: true,
    });
    for (const r of gpu1) {
      expect(r.migEnabled).toBe(true);
      expect(r).not.toHaveProperty('utilizationRatio');
      expect(r.memoryUsedBytes).toBeGreaterThan(0);
    }
    expect(h.source.rejectedRows()).toBeGreaterThanOrEqual(1);
    expect(h.source.health().up).toBe(true);
    expect(h.at(WARN)).toEqual([]);
  });

  it('drops an over-long line with one log and keeps streaming', async () => {
    const script = join(tmp, 'noisy-nvidia-smi');
    writeFileSync(script, `#!/bin/sh\nhead -c 300000 /dev/zero | tr '\\000' x\necho\nexec '${DOUBLE}' "$@"\n`);
    chmodSync(script, 0o755);
    const h = harness({}, { path: script });
    h.source.start();
    await waitFor(() => h.readings.length >= 2, 'rows after the long line');
    const warns = h.at(WARN);
    expect(warns).toHaveLength(1);
    expect(warns[0]?.msg).toContain(`longer than ${MAX_LINE_LENGTH} characters`);
    expect(h.source.rejectedRows()).toBe(0);
    expect(h.source.health().up).toBe(true);
  });

  it('survives an onReading that throws (one error log)', async () => {
    let calls = 0;
    const h = harness(
      {},
      {
        onReading: () => {
          calls++;
          throw new Error('consumer bug');
        },
      },
    );
    h.source.start();
    await waitFor(() => calls >= 3, '3 rows');
    expect(h.at(ERROR)).toHaveLength(1);
    expect(h.source.health().up).toBe(true);
    expect(h.source.restarts()).toBe(0);
  });
});

describe('LineSplitter', () => {
  it('joins lines that arrive in pieces and splits several lines per chunk', () => {
    const lines: string[] = [];
    let overflows = 0;
    const splitter = new LineSplitter(100, (l) => lines.push(l), () => overflows++);
    splitter.push('0, GPU-a, 4');
    splitter.push('2\n1, GP');
    splitter.push('U-b, 7\n2, x\n3');
    expect(lines).toEqual(['0, GPU-a, 42', '1, GPU-b, 7', '2, x']);
    expect(splitter.takeRemainder()).toBe('3');
    expect(overflows).toBe(0);
  });

  it('drops an over-long line whole, however it arrives, and holds at most the cap', () => {
    const lines: string[] = [];
    let overflows = 0;
    const splitter = new LineSplitter(10, (l) => lines.push(l), () => overflows++);
    splitter.push('short\n');
    splitter.push('x'.repeat(8));
    splitter.push('x'.repeat(8)); // over the cap: dropped, discarding until the newline
    splitter.push('x'.repeat(1000));
    expect(splitter.takeRemainder()).toBe('');
    splitter.push('y'.repeat(50));
    splitter.push('tail\nok\n');
    splitter.push(`${'z'.repeat(20)}\nlast\n`);
    expect(lines).toEqual(['short', 'ok', 'last']);
    expect(overflows).toBe(3);
  });
});
