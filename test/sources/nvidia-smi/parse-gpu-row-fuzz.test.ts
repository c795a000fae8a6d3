/**
 * Property tests for the nvidia-smi row parser (fast-check).
 *
 * Default: about 6,000 cases in a couple of seconds. `LLM_COST_LONG_TESTS=1` multiplies every
 * property's run count by 40 (about 240,000 cases); `LLM_COST_FUZZ_RUNS=N` sets each property's
 * run count to N instead. `LLM_COST_FUZZ_SEED` replays a seed printed by a failure.
 */
import { readFileSync } from 'node:fs';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { CORE_FIELDS, NO_VALUE_TOKENS, RECOMMENDED_FIELDS } from '../../../src/sources/nvidia-smi/gpu-fields.js';
import { isGpuRowRejection, parseGpuRow, type GpuReading } from '../../../src/sources/nvidia-smi/parse-gpu-row.js';

const LONG = process.env.LLM_COST_LONG_TESTS === '1';
const FIXED_RUNS = Number(process.env.LLM_COST_FUZZ_RUNS ?? '');
const SEED = process.env.LLM_COST_FUZZ_SEED === undefined ? undefined : Number(process.env.LLM_COST_FUZZ_SEED);
const TIMEOUT_MS = LONG || FIXED_RUNS > 0 ? 60 * 60_000 : 30_000;

function params(defaultRuns: number): { numRuns: number; seed?: number } {
  const numRuns = FIXED_RUNS > 0 ? FIXED_RUNS : LONG ? defaultRuns * 40 : defaultRuns;
  return SEED === undefined ? { numRuns } : { numRuns, seed: SEED };
}

const fixtureLines = (name: string): string[] =>
  readFileSync(new URL(`../../fixtures/nvidia-smi/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');

/** Real rows, each with the field list it was printed for. */
const ROWS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ...fixtureLines('h100x8-csv-noheader-nounits.txt').map((l) => [l, RECOMMENDED_FIELDS] as const),
  ...fixtureLines('a100-loop.txt').map((l) => [l, RECOMMENDED_FIELDS] as const),
  ...fixtureLines('not-supported.txt').map((l) => [l, CORE_FIELDS] as const),
];
const FIELD_LISTS: ReadonlyArray<readonly string[]> = [RECOMMENDED_FIELDS, CORE_FIELDS, ['index'], ['timestamp', 'index', 'utilization.gpu'], []];

const MIB = 1_048_576;

/** The ranges a reading's members may take (absent is always allowed). */
const BOUNDS: Readonly<Record<string, readonly [number, number]>> = {
  // nvidia-smi's own timestamp (local time); the exporter uses it only when it agrees with its clock
  timestampMs: [-8.64e15, 8.64e15],
  index: [0, 4095],
  pstate: [0, 15],
  utilizationRatio: [0, 1],
  memoryUtilizationRatio: [0, 1],
  memoryTotalBytes: [0, 16_777_216 * MIB],
  memoryReservedBytes: [0, 16_777_216 * MIB],
  memoryUsedBytes: [0, 16_777_216 * MIB],
  memoryFreeBytes: [0, 16_777_216 * MIB],
  powerDrawWatts: [0, 5000],
  powerDrawAverageWatts: [0, 5000],
  powerDrawInstantWatts: [0, 5000],
  powerLimitWatts: [0, 5000],
  enforcedPowerLimitWatts: [0, 5000],
  temperatureCelsius: [-50, 200],
  memoryTemperatureCelsius: [-50, 200],
  smClockHz: [0, 20_000e6],
  maxSmClockHz: [0, 20_000e6],
  memoryClockHz: [0, 20_000e6],
  clockEventReasons: [0, Number.MAX_SAFE_INTEGER],
  eccUncorrectedVolatileTotal: [0, 1e15],
};
const TEXT_MEMBERS = new Set(['uuid', 'name', 'pciBusId']);

/**
 * Parses and checks the contract: never throws, a rejection has a reason, an accepted reading has
 * an integer index and only finite, in-range numbers (absent rather than NaN, negative or huge).
 * Returns 'ok' or 'rejected'.
 */
function parseSafely(line: string, fields: readonly string[]): 'ok' | 'rejected' {
  const t0 = performance.now();
  const parsed = parseGpuRow(line, fields);
  // linear: a 64 KB line parses in well under a millisecond; 200 ms would mean a pathological regex
  expect(performance.now() - t0).toBeLessThan(200);
  if (isGpuRowRejection(parsed)) {
    expect(typeof parsed.reason).toBe('string');
    expect(parsed.reason.length).toBeGreaterThan(0);
    expect(parsed.reason.length).toBeLessThan(200); // a preview, never the whole line
    return 'rejected';
  }
  expect(Number.isInteger(parsed.index)).toBe(true);
  expect(typeof parsed.lost).toBe('boolean');
  for (const [key, value] of Object.entries(parsed)) {
    if (key === 'lost' || value === undefined) continue;
    if (TEXT_MEMBERS.has(key)) {
      expect(typeof value).toBe('string');
      continue;
    }
    if (key === 'migEnabled') {
      expect(typeof value).toBe('boolean');
      continue;
    }
    const bounds = BOUNDS[key];
    expect(bounds, `unexpected member ${key}`).toBeDefined();
    expect(typeof value).toBe('number');
    expect(Number.isFinite(value), `${key} = ${String(value)}`).toBe(true);
    expect(value as number, key).toBeGreaterThanOrEqual(bounds![0]);
    expect(value as number, key).toBeLessThanOrEqual(bounds![1]);
  }
  return 'ok';
}

const rowChars = fc.constantFrom(
  ...', 0123456789.-+eExX%[]/:NAMiBWHzCPGU\r\t'.split(''),
  '[N/A]',
  'N/A',
  '[Not Supported]',
  '[GPU is lost]',
  '[GPU requires reset]',
  ' MiB',
  ' W',
  ' %',
  ' MHz',
  'NaN',
  'Infinity',
  '1e308',
  '0x',
  'Enabled',
  'Disabled',
  'ü',
  '\u0000',
);

describe('parseGpuRow: arbitrary input', () => {
  it(
    'arbitrary strings never throw, finish fast and never yield NaN, negative or out-of-range numbers',
    () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({ unit: 'binary', maxLength: 300 }),
            fc.string({ unit: rowChars, maxLength: 120 }),
            // the right number of columns, arbitrary contents: the parser's per-field paths
            fc.array(fc.string({ unit: rowChars, maxLength: 12 }), { minLength: RECOMMENDED_FIELDS.length, maxLength: RECOMMENDED_FIELDS.length }).map((cols) => cols.join(', ')),
          ),
          fc.constantFrom(...FIELD_LISTS),
          (line, fields) => {
            parseSafely(line, fields);
          },
        ),
        params(2000),
      );
    },
    TIMEOUT_MS,
  );

  it('pathological lines stay linear', () => {
    const big = 64 * 1024;
    for (const line of [
      ','.repeat(big),
      `${'9'.repeat(big)}`,
      `0, ${'1'.repeat(big)}${', 0'.repeat(RECOMMENDED_FIELDS.length - 2)}`,
      `${'[N/A], '.repeat(RECOMMENDED_FIELDS.length - 1)}${'['.repeat(big)}`,
      ` ${'.'.repeat(big)} %`,
      `${'0.'.repeat(big / 2)}`,
    ]) {
      parseSafely(line, RECOMMENDED_FIELDS);
      parseSafely(line, ['index']);
    }
  });
});

type Mutation =
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly text: string }
  | { readonly kind: 'delete'; readonly at: number; readonly len: number }
  | { readonly kind: 'column'; readonly column: number; readonly text: string }
  | { readonly kind: 'crlf' };

const position = fc.double({ min: 0, max: 1, noNaN: true });
const cell = fc.oneof(
  fc.constantFrom(...NO_VALUE_TOKENS, '-1', '101', '1e400', '0x', '0xFFFFFFFFFFFFFFFFFF', 'P16', 'P99', 'Enabled', '99999999999999999999', '-0', '4096', ' 12 W', '12 MHz', '7 %', 'NaN'),
  fc.string({ unit: rowChars, maxLength: 10 }),
  fc.double().map(String),
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constant('insert' as const), at: position, text: fc.string({ unit: rowChars, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: position, len: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('column' as const), column: fc.nat(30), text: cell }),
  fc.record({ kind: fc.constant('crlf' as const) }),
);

function mutate(line: string, m: Mutation): string {
  switch (m.kind) {
    case 'truncate':
      return line.slice(0, Math.floor(m.at * line.length));
    case 'insert': {
      const at = Math.floor(m.at * line.length);
      return line.slice(0, at) + m.text + line.slice(at);
    }
    case 'delete': {
      const at = Math.floor(m.at * line.length);
      return line.slice(0, at) + line.slice(at + m.len);
    }
    case 'column': {
      const columns = line.split(', ');
      if (columns.length > 0) columns[m.column % columns.length] = m.text;
      return columns.join(', ');
    }
    case 'crlf':
      return `${line}\r`;
  }
}

describe('parseGpuRow: mutated fixture rows', () => {
  it(
    'truncated, spliced and column-replaced real rows: same contract, and both outcomes happen',
    () => {
      const outcomes = { ok: 0, rejected: 0 };
      fc.assert(
        fc.property(fc.nat(ROWS.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), (r, muts) => {
          const [row, fields] = ROWS[r]!;
          outcomes[parseSafely(muts.reduce(mutate, row), fields)]++;
        }),
        params(2000),
      );
      expect(outcomes.ok).toBeGreaterThan(0);
      expect(outcomes.rejected).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );
});

// -------------------------------------------------------------------------------------------
// Generated valid rows round-trip: render a reading as nvidia-smi prints it, parse it back.

interface GenGpu {
  readonly index: number;
  readonly uuid: string;
  readonly name: string;
  readonly pstate: number;
  readonly util: number | null; // null = [N/A] (MIG)
  readonly memUtil: number | null;
  readonly totalMiB: number;
  readonly reservedMiB: number;
  readonly usedMiB: number;
  readonly freeMiB: number;
  readonly power: number | null; // centiwatts
  readonly powerAverage: number | null;
  readonly powerInstant: number;
  readonly limit: number;
  readonly temp: number;
  readonly memTemp: number | null;
  readonly sm: number;
  readonly maxSm: number;
  readonly memClock: number;
  readonly reasons: number;
  readonly mig: boolean | null;
  readonly ecc: number | null;
  readonly units: boolean;
  readonly crlf: boolean;
  readonly noValue: string;
}

const hex = fc.stringMatching(/^[0-9a-f]{8}$/);
const genGpu: fc.Arbitrary<GenGpu> = fc.record({
  index: fc.integer({ min: 0, max: 4095 }),
  uuid: hex.map((h) => `GPU-${h}-0000-1111-2222-333344445555`),
  name: fc.constantFrom('NVIDIA H100 80GB HBM3', 'NVIDIA A100-SXM4-80GB', 'Tesla T4', 'NVIDIA GeForce RTX 4090'),
  pstate: fc.integer({ min: 0, max: 15 }),
  util: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
  memUtil: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
  totalMiB: fc.integer({ min: 0, max: 200_000 }),
  reservedMiB: fc.integer({ min: 0, max: 1000 }),
  usedMiB: fc.integer({ min: 0, max: 200_000 }),
  freeMiB: fc.integer({ min: 0, max: 200_000 }),
  power: fc.option(fc.integer({ min: 0, max: 500_000 }), { nil: null }),
  powerAverage: fc.option(fc.integer({ min: 0, max: 500_000 }), { nil: null }),
  powerInstant: fc.integer({ min: 0, max: 500_000 }),
  limit: fc.integer({ min: 0, max: 500_000 }),
  temp: fc.integer({ min: -50, max: 200 }),
  memTemp: fc.option(fc.integer({ min: -50, max: 200 }), { nil: null }),
  sm: fc.integer({ min: 0, max: 20_000 }),
  maxSm: fc.integer({ min: 0, max: 20_000 }),
  memClock: fc.integer({ min: 0, max: 20_000 }),
  reasons: fc.integer({ min: 0, max: 2 ** 31 }),
  mig: fc.option(fc.boolean(), { nil: null }),
  ecc: fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: null }),
  units: fc.boolean(),
  crlf: fc.boolean(),
  noValue: fc.constantFrom('[N/A]', 'N/A', '[Not Supported]', ''),
});

/** The row nvidia-smi prints for `g` with RECOMMENDED_FIELDS (`units` = without `nounits`). */
function render(g: GenGpu): string {
  const u = (v: number | string, unit: string) => (g.units ? `${v} ${unit}` : String(v));
  const opt = <T,>(v: T | null, f: (x: T) => string) => (v === null ? g.noValue : f(v));
  const watts = (cw: number) => u((cw / 100).toFixed(2), 'W');
  const byField: Record<string, string> = {
    timestamp: '2025/09/18 14:22:07.531',
    index: String(g.index),
    uuid: g.uuid,
    name: g.name,
    'pci.bus_id': '00000000:18:00.0',
    pstate: `P${g.pstate}`,
    'utilization.gpu': opt(g.util, (v) => u(v, '%')),
    'utilization.memory': opt(g.memUtil, (v) => u(v, '%')),
    'memory.total': u(g.totalMiB, 'MiB'),
    'memory.reserved': u(g.reservedMiB, 'MiB'),
    'memory.used': u(g.usedMiB, 'MiB'),
    'memory.free': u(g.freeMiB, 'MiB'),
    'power.draw': opt(g.power, watts),
    'power.draw.average': opt(g.powerAverage, watts),
    'power.draw.instant': watts(g.powerInstant),
    'power.limit': watts(g.limit),
    'enforced.power.limit': watts(g.limit),
    'temperature.gpu': String(g.temp),
    'temperature.memory': opt(g.memTemp, String),
    'clocks.current.sm': u(g.sm, 'MHz'),
    'clocks.max.sm': u(g.maxSm, 'MHz'),
    'clocks.current.memory': u(g.memClock, 'MHz'),
    'clocks_event_reasons.active': `0x${g.reasons.toString(16).toUpperCase().padStart(16, '0')}`,
    'mig.mode.current': opt(g.mig, (m) => (m ? 'Enabled' : 'Disabled')),
    'ecc.errors.uncorrected.volatile.total': opt(g.ecc, String),
  };
  return RECOMMENDED_FIELDS.map((f) => byField[f]!).join(', ') + (g.crlf ? '\r' : '');
}

/** `2025/09/18 14:22:07.531` read as local time, as the parser does. */
const TIMESTAMP_MS = new Date(2025, 8, 18, 14, 22, 7, 531).getTime();

function expected(g: GenGpu): GpuReading {
  const set = <T,>(v: T | null | undefined) => (v === null || v === undefined ? undefined : v);
  const out: Record<string, unknown> = {
    timestampMs: TIMESTAMP_MS,
    index: g.index,
    uuid: g.uuid,
    name: g.name,
    pciBusId: '00000000:18:00.0',
    pstate: g.pstate,
    utilizationRatio: set(g.util === null ? null : g.util / 100),
    memoryUtilizationRatio: set(g.memUtil === null ? null : g.memUtil / 100),
    memoryTotalBytes: g.totalMiB * MIB,
    memoryReservedBytes: g.reservedMiB * MIB,
    memoryUsedBytes: g.usedMiB * MIB,
    memoryFreeBytes: g.freeMiB * MIB,
    powerDrawWatts: set(g.power === null ? null : Number((g.power / 100).toFixed(2))),
    powerDrawAverageWatts: set(g.powerAverage === null ? null : Number((g.powerAverage / 100).toFixed(2))),
    powerDrawInstantWatts: Number((g.powerInstant / 100).toFixed(2)),
    powerLimitWatts: Number((g.limit / 100).toFixed(2)),
    enforcedPowerLimitWatts: Number((g.limit / 100).toFixed(2)),
    temperatureCelsius: g.temp,
    memoryTemperatureCelsius: set(g.memTemp),
    smClockHz: g.sm * 1e6,
    maxSmClockHz: g.maxSm * 1e6,
    memoryClockHz: g.memClock * 1e6,
    clockEventReasons: g.reasons,
    migEnabled: set(g.mig),
    eccUncorrectedVolatileTotal: set(g.ecc),
    lost: false,
  };
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out as unknown as GpuReading;
}

describe('parseGpuRow: generated valid rows', () => {
  it(
    'round-trip exactly, with or without units, LF or CRLF, every no-value spelling absent (never 0)',
    () => {
      fc.assert(
        fc.property(genGpu, (g) => {
          const line = render(g);
          expect(parseSafely(line, RECOMMENDED_FIELDS)).toBe('ok');
          expect(parseGpuRow(line, RECOMMENDED_FIELDS)).toEqual(expected(g));
        }),
        params(2000),
      );
    },
    TIMEOUT_MS,
  );

  it(
    'a lost GPU row keeps its identity and is flagged, with no value made up',
    () => {
      fc.assert(
        fc.property(genGpu, fc.constantFrom('[GPU is lost]', '[GPU requires reset]'), (g, token) => {
          const identity = new Set(['timestamp', 'index', 'uuid', 'name', 'pci.bus_id']);
          const columns = render({ ...g, crlf: false }).split(', ');
          const line = RECOMMENDED_FIELDS.map((f, i) => (identity.has(f) ? columns[i] : token)).join(', ');
          const parsed = parseGpuRow(line, RECOMMENDED_FIELDS);
          expect(parsed).toEqual({ timestampMs: TIMESTAMP_MS, index: g.index, uuid: g.uuid, name: g.name, pciBusId: '00000000:18:00.0', lost: true });
        }),
        params(500),
      );
    },
    TIMEOUT_MS,
  );
});

describe('parseGpuRow: the timestamp column', () => {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = fc.record({
    y: fc.integer({ min: 0, max: 9999 }),
    mo: fc.integer({ min: 0, max: 99 }),
    d: fc.integer({ min: 0, max: 99 }),
    h: fc.integer({ min: 0, max: 99 }),
    mi: fc.integer({ min: 0, max: 99 }),
    s: fc.integer({ min: 0, max: 99 }),
    ms: fc.integer({ min: 0, max: 999 }),
  });

  // `new Date(y, mo - 1, d, ...)` alone would roll `2025/13/45 25:61:61` over to 2026-02-15 and read
  // years 0-99 as 19xx: the parser must refuse such fields instead
  it('an accepted timestamp is exactly the local date printed: never rolled over, never before 1970', () => {
    fc.assert(
      fc.property(stamp, (t) => {
        const text = `${pad(t.y, 4)}/${pad(t.mo)}/${pad(t.d)} ${pad(t.h)}:${pad(t.mi)}:${pad(t.s)}.${pad(t.ms, 3)}`;
        const parsed = parseGpuRow(`${text}, 0`, ['timestamp', 'index']);
        expect(isGpuRowRejection(parsed)).toBe(false);
        const ms = (parsed as GpuReading).timestampMs;
        if (ms === undefined) return;
        const d = new Date(ms);
        expect(ms).toBeGreaterThanOrEqual(0);
        expect([d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds()]).toEqual([t.y, t.mo, t.d, t.h, t.mi, t.s, t.ms]);
      }),
      params(500),
    );
  });
});
