import { canonicalField, isNoValueToken, LOST_GPU_TOKENS } from './gpu-fields.js';

/**
 * One `--query-gpu` row. Every optional member is absent when nvidia-smi printed a no-value
 * token there (`[N/A]`, `N/A`, `[Not Supported]`, `[GPU is lost]`, empty, ...), when the value
 * was outside its sanity range, or when the field was not in the list asked for. Absent is never
 * reported as 0.
 */
export interface GpuReading {
  readonly index: number;
  /** The row's own sample time (nvidia-smi's `timestamp`, local time), ms. */
  readonly timestampMs?: number;
  readonly uuid?: string;
  readonly name?: string;
  readonly pciBusId?: string;
  /** `P0` -> 0 (P0 = maximum performance). */
  readonly pstate?: number;
  /** `utilization.gpu` / 100; absent under MIG (`[N/A]`). */
  readonly utilizationRatio?: number;
  /** `utilization.memory` / 100. */
  readonly memoryUtilizationRatio?: number;
  /** MiB * 1048576. */
  readonly memoryTotalBytes?: number;
  readonly memoryReservedBytes?: number;
  readonly memoryUsedBytes?: number;
  readonly memoryFreeBytes?: number;
  /** `power.draw` as printed (Ampere+: 1 s average; older: instantaneous). */
  readonly powerDrawWatts?: number;
  /** `power.draw.average`; absent on GA100 (A100) and pre-Ampere. */
  readonly powerDrawAverageWatts?: number;
  /** `power.draw.instant`. */
  readonly powerDrawInstantWatts?: number;
  readonly powerLimitWatts?: number;
  readonly enforcedPowerLimitWatts?: number;
  readonly temperatureCelsius?: number;
  /** HBM parts only (bare `N/A` on GDDR cards). */
  readonly memoryTemperatureCelsius?: number;
  /** MHz * 1e6. */
  readonly smClockHz?: number;
  readonly maxSmClockHz?: number;
  readonly memoryClockHz?: number;
  /** `clocks_event_reasons.active` (or `clocks_throttle_reasons.active`) bitmask: 0x1 idle, 0x4 SW power cap. */
  readonly clockEventReasons?: number;
  /** `mig.mode.current`: Enabled/Disabled; absent for `[N/A]` (no MIG support). */
  readonly migEnabled?: boolean;
  readonly eccUncorrectedVolatileTotal?: number;
  /** True if any column says `[GPU is lost]` or `[GPU requires reset]`. */
  readonly lost: boolean;
}

/** A line that is not a GPU row: error text, an Xid/ECC event line, a header line, a truncated row. */
export interface GpuRowRejection {
  readonly rejected: true;
  readonly reason: string;
}

export function isGpuRowRejection(value: GpuReading | GpuRowRejection): value is GpuRowRejection {
  return 'rejected' in value;
}

type MutableReading = { -readonly [K in keyof GpuReading]: GpuReading[K] };

const MIB = 1_048_576;
const MHZ = 1e6;

/** Sanity ranges: anything outside is treated as absent (DCGM-style sentinels, garbage). */
const RANGES = {
  index: [0, 4095],
  pstate: [0, 15],
  percent: [0, 100],
  mib: [0, 16_777_216], // 16 TiB
  watts: [0, 5000],
  celsius: [-50, 200],
  mhz: [0, 20_000],
  count: [0, 1e15],
} as const satisfies Record<string, readonly [number, number]>;

const NUMBER_WITH_UNIT = /^(-?\d+(?:\.\d+)?)(?: ?([A-Za-z%]+))?$/;

/**
 * A plain decimal number, optionally followed by the unit nvidia-smi prints without `nounits`
 * (`97 %`, `612.35 W`, `73942 MiB`, `1980 MHz`). A different unit, a no-value token or anything
 * else gives undefined.
 */
function parseNumber(raw: string, unit: string | undefined, range: readonly [number, number]): number | undefined {
  if (isNoValueToken(raw)) return undefined;
  const match = NUMBER_WITH_UNIT.exec(raw);
  if (match === null) return undefined;
  const printedUnit = match[2];
  if (printedUnit !== undefined && printedUnit !== unit) return undefined;
  const value = Number(match[1]);
  if (!Number.isFinite(value) || value < range[0] || value > range[1]) return undefined;
  return value;
}

function parseInteger(raw: string, range: readonly [number, number]): number | undefined {
  if (!/^\d+$/.test(raw)) return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < range[0] || value > range[1]) return undefined;
  return value;
}

function parseText(raw: string): string | undefined {
  return isNoValueToken(raw) ? undefined : raw;
}

function parseHexMask(raw: string): number | undefined {
  if (!/^0x[0-9A-Fa-f]{1,16}$/.test(raw)) return undefined;
  const value = Number.parseInt(raw.slice(2), 16);
  return Number.isSafeInteger(value) ? value : undefined;
}

function parsePstate(raw: string): number | undefined {
  const match = /^P(\d{1,2})$/.exec(raw);
  if (match === null) return undefined;
  const value = Number(match[1]);
  return value <= RANGES.pstate[1] ? value : undefined;
}

function parseMigMode(raw: string): boolean | undefined {
  if (raw === 'Enabled') return true;
  if (raw === 'Disabled') return false;
  return undefined;
}

type Setter = (raw: string, out: Partial<MutableReading>) => void;

const ratio = (raw: string): number | undefined => {
  const percent = parseNumber(raw, '%', RANGES.percent);
  return percent === undefined ? undefined : percent / 100;
};
const bytes = (raw: string): number | undefined => {
  const mib = parseNumber(raw, 'MiB', RANGES.mib);
  return mib === undefined ? undefined : Math.round(mib * MIB);
};
const watts = (raw: string): number | undefined => parseNumber(raw, 'W', RANGES.watts);
const celsius = (raw: string): number | undefined => parseNumber(raw, 'C', RANGES.celsius);
const hertz = (raw: string): number | undefined => {
  const mhz = parseNumber(raw, 'MHz', RANGES.mhz);
  return mhz === undefined ? undefined : mhz * MHZ;
};

function setter<K extends keyof MutableReading>(
  key: K,
  parse: (raw: string) => MutableReading[K] | undefined,
): Setter {
  return (raw, out) => {
    const value = parse(raw);
    if (value !== undefined) out[key] = value;
  };
}

/**
 * `timestamp`: `YYYY/MM/DD HH:MM:SS.mmm` in the host's local time, no zone. Parsed as local
 * time; the exporter uses it only when it agrees with its own clock (a container with another
 * TZ prints hours off, and is then ignored).
 */
function parseLocalTimestamp(raw: string): number | undefined {
  const m = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(raw.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  const date = new Date(y, mo - 1, d, h, mi, sec, ms);
  // Date rolls impossible fields over (month 13, day 45) and reads years 0-99 as 19xx: refuse them
  // (and a local time skipped by a DST change would read as another hour)
  const same = date.getFullYear() === y && date.getMonth() === mo - 1 && date.getDate() === d && date.getHours() === h && date.getMinutes() === mi && date.getSeconds() === sec;
  if (y < 2000 || !same) {
    return undefined;
  }
  return date.getTime();
}

/** Canonical field name -> how to read it. Fields not listed here are skipped. */
const SETTERS: Readonly<Record<string, Setter>> = {
  timestamp: setter('timestampMs', parseLocalTimestamp),
  index: setter('index', (raw) => parseInteger(raw, RANGES.index)),
  uuid: setter('uuid', parseText),
  name: setter('name', parseText),
  'pci.bus_id': setter('pciBusId', parseText),
  pstate: setter('pstate', parsePstate),
  'utilization.gpu': setter('utilizationRatio', ratio),
  'utilization.memory': setter('memoryUtilizationRatio', ratio),
  'memory.total': setter('memoryTotalBytes', bytes),
  'memory.reserved': setter('memoryReservedBytes', bytes),
  'memory.used': setter('memoryUsedBytes', bytes),
  'memory.free': setter('memoryFreeBytes', bytes),
  'power.draw': setter('powerDrawWatts', watts),
  'power.draw.average': setter('powerDrawAverageWatts', watts),
  'power.draw.instant': setter('powerDrawInstantWatts', watts),
  'power.limit': setter('powerLimitWatts', watts),
  'enforced.power.limit': setter('enforcedPowerLimitWatts', watts),
  'temperature.gpu': setter('temperatureCelsius', celsius),
  'temperature.memory': setter('memoryTemperatureCelsius', celsius),
  'clocks.current.sm': setter('smClockHz', hertz),
  'clocks.max.sm': setter('maxSmClockHz', hertz),
  'clocks.current.memory': setter('memoryClockHz', hertz),
  'clocks_event_reasons.active': setter('clockEventReasons', parseHexMask),
  'mig.mode.current': setter('migEnabled', parseMigMode),
  'ecc.errors.uncorrected.volatile.total': setter('eccUncorrectedVolatileTotal', (raw) =>
    parseInteger(raw, RANGES.count),
  ),
};

const LOST = new Set(LOST_GPU_TOKENS);

function reject(reason: string): GpuRowRejection {
  return { rejected: true, reason };
}

function preview(line: string): string {
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}

/**
 * Parses one line of `--query-gpu=FIELDS --format=csv,noheader[,nounits]` output. Pure.
 *
 * Columns are split on `,` (nvidia-smi prints `, `; a bare comma is tolerated) and trimmed (which
 * also drops a trailing `\r`). The column count must equal `fields.length`, so error text, Xid/ECC
 * event lines, a CSV header line and truncated rows are rejected; so is a row whose `index` is
 * absent or not an integer in 0..4095.
 */
export function parseGpuRow(line: string, fields: readonly string[]): GpuReading | GpuRowRejection {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (text.trim() === '') return reject('empty line');
  const columns = text.split(',');
  if (columns.length !== fields.length) {
    return reject(`expected ${fields.length} columns, got ${columns.length}: ${preview(text)}`);
  }
  const out: Partial<MutableReading> = {};
  let lost = false;
  for (let i = 0; i < fields.length; i++) {
    const raw = (columns[i] ?? '').trim();
    if (LOST.has(raw)) {
      lost = true;
      continue;
    }
    const set = SETTERS[canonicalField(fields[i] ?? '')];
    if (set !== undefined) set(raw, out);
  }
  if (out.index === undefined) {
    const at = fields.findIndex((f) => f === 'index');
    return reject(
      at < 0 ? 'field list has no index' : `index absent or not an integer: ${preview((columns[at] ?? '').trim())}`,
    );
  }
  return { ...out, index: out.index, lost };
}
