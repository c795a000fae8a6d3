import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CORE_FIELDS,
  isNoValueToken,
  NO_VALUE_TOKENS,
  RECOMMENDED_FIELDS,
} from '../../../src/sources/nvidia-smi/gpu-fields.js';
import {
  isGpuRowRejection,
  parseGpuRow,
  type GpuReading,
  type GpuRowRejection,
} from '../../../src/sources/nvidia-smi/parse-gpu-row.js';

const MIB = 1_048_576;

function fixture(name: string): string {
  return readFileSync(new URL(`../../fixtures/nvidia-smi/${name}`, import.meta.url), 'utf8');
}

function lines(name: string): string[] {
  return fixture(name)
    .split('\n')
    .filter((l) => l !== '');
}

function accept(line: string, fields: readonly string[] = RECOMMENDED_FIELDS): GpuReading {
  const parsed = parseGpuRow(line, fields);
  if (isGpuRowRejection(parsed)) throw new Error(`rejected: ${parsed.reason}`);
  return parsed;
}

function rejection(line: string, fields: readonly string[] = RECOMMENDED_FIELDS): GpuRowRejection {
  const parsed = parseGpuRow(line, fields);
  if (!isGpuRowRejection(parsed)) throw new Error(`accepted: ${JSON.stringify(parsed)}`);
  return parsed;
}

/** Replaces column `field` of a RECOMMENDED row. */
function withColumn(line: string, field: string, value: string, fields: readonly string[] = RECOMMENDED_FIELDS): string {
  const columns = line.split(', ');
  const at = fields.indexOf(field);
  if (at < 0) throw new Error(`no field ${field}`);
  columns[at] = value;
  return columns.join(', ');
}

const h100 = lines('h100x8-csv-noheader-nounits.txt');
const h100Gpu3 = h100[3] ?? '';

describe('field lists', () => {
  it('match fields.txt exactly, in order', () => {
    const text = fixture('fields.txt');
    const list = (key: string): string[] => {
      const match = new RegExp(`^${key}=(.*)$`, 'm').exec(text);
      return (match?.[1] ?? '').split(',');
    };
    expect(RECOMMENDED_FIELDS).toEqual(list('FIELDS_RECOMMENDED'));
    expect(CORE_FIELDS).toEqual(list('FIELDS_CORE'));
    expect(RECOMMENDED_FIELDS).toHaveLength(25);
    expect(CORE_FIELDS).toHaveLength(22);
  });

  it('knows every no-value spelling, and any bracketed token', () => {
    for (const token of ['[N/A]', 'N/A', '[Not Supported]', '[Insufficient Permissions]', '[Unknown Error]',
      '[GPU is lost]', '[GPU requires reset]', '[Requested functionality has been deprecated]', '']) {
      expect(NO_VALUE_TOKENS).toContain(token);
      expect(isNoValueToken(token)).toBe(true);
    }
    expect(isNoValueToken('[Some Future Token]')).toBe(true);
    expect(isNoValueToken('0')).toBe(false);
    expect(isNoValueToken('Disabled')).toBe(false);
  });
});

describe('parseGpuRow: fixtures', () => {
  it('reads GPU 3 of the H100 x8 sample exactly (700 W cap, SW power cap reason, 1905 MHz)', () => {
    expect(accept(h100Gpu3)).toEqual({
      index: 3,
      timestampMs: new Date(2025, 8, 18, 14, 22, 7, 537).getTime(),
      uuid: 'GPU-f20366ca-510c-4225-6d0e-b89f484b2ab9',
      name: 'NVIDIA H100 80GB HBM3',
      pciBusId: '00000000:5D:00.0',
      pstate: 0,
      utilizationRatio: 1,
      memoryUtilizationRatio: 0.55,
      memoryTotalBytes: 81559 * MIB,
      memoryReservedBytes: 479 * MIB,
      memoryUsedBytes: 73942 * MIB,
      memoryFreeBytes: 7138 * MIB,
      powerDrawWatts: 689.21,
      powerDrawAverageWatts: 689.21,
      powerDrawInstantWatts: 702.44,
      powerLimitWatts: 700,
      enforcedPowerLimitWatts: 700,
      temperatureCelsius: 68,
      memoryTemperatureCelsius: 74,
      smClockHz: 1.905e9,
      maxSmClockHz: 1.98e9,
      memoryClockHz: 2.619e9,
      clockEventReasons: 4,
      migEnabled: false,
      eccUncorrectedVolatileTotal: 0,
      lost: false,
    });
  });

  it('reads all 8 H100 rows; idle GPUs report utilisation 0 (present, not absent) and the idle reason', () => {
    const readings = h100.map((l) => accept(l));
    expect(readings.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(readings.map((r) => r.utilizationRatio)).toEqual([1, 1, 0.99, 1, 0, 0, 0, 0]);
    expect(readings.map((r) => r.clockEventReasons)).toEqual([0, 0, 0, 4, 1, 1, 1, 1]);
    expect(readings.map((r) => r.powerDrawWatts)).toEqual([612.35, 633.8, 598.46, 689.21, 121.47, 118.92, 124.05, 119.66]);
    const idle = readings[4];
    expect(idle?.memoryUsedBytes).toBe(73906 * MIB);
    expect(idle?.smClockHz).toBe(345e6);
    for (const r of readings) {
      // total = reserved + used + free (+/-1 MiB)
      const sum = (r.memoryReservedBytes ?? NaN) + (r.memoryUsedBytes ?? NaN) + (r.memoryFreeBytes ?? NaN);
      expect(Math.abs(sum - (r.memoryTotalBytes ?? NaN))).toBeLessThanOrEqual(MIB);
    }
  });

  it('reads the A100 loop: power.draw.average absent on every row, GPU 1 memory ramp', () => {
    const readings = lines('a100-loop.txt').map((l) => accept(l));
    expect(readings).toHaveLength(12);
    for (const r of readings) {
      expect(r).not.toHaveProperty('powerDrawAverageWatts');
      expect(r.powerDrawWatts).toBeGreaterThan(0);
      expect(r.powerDrawInstantWatts).toBeGreaterThan(0);
    }
    expect(readings[0]?.powerDrawWatts).toBe(301.62);
    expect(readings[0]?.powerDrawInstantWatts).toBe(304.18);
    expect(readings[1]?.clockEventReasons).toBe(1);
    expect(readings[1]?.smClockHz).toBe(210e6);
    const gpu1 = readings.filter((r) => r.index === 1);
    expect(gpu1.map((r) => (r.memoryUsedBytes ?? 0) / MIB)).toEqual([4, 527, 9839, 17363, 72870, 72870]);
    expect(gpu1.map((r) => r.utilizationRatio)).toEqual([0, 0, 0.03, 0.05, 0.27, 0]);
  });

  it('reads the old-driver sample with the CORE list: [Not Supported] power, bare N/A temperature, [N/A] MIG/ECC', () => {
    const [gtx1080, gtx1050] = lines('not-supported.txt').map((l) => accept(l, CORE_FIELDS));
    expect(gtx1080).toEqual({
      index: 0,
      timestampMs: new Date(2021, 5, 3, 9, 41, 18, 652).getTime(),
      uuid: 'GPU-c51817e7-3465-121e-7738-e00f7ad6eed7',
      name: 'GeForce GTX 1080 Ti',
      pciBusId: '00000000:01:00.0',
      pstate: 8,
      utilizationRatio: 0,
      memoryUtilizationRatio: 0.01,
      memoryTotalBytes: 11178 * MIB,
      memoryUsedBytes: 312 * MIB,
      memoryFreeBytes: 10866 * MIB,
      powerDrawWatts: 14.86,
      powerLimitWatts: 250,
      enforcedPowerLimitWatts: 250,
      temperatureCelsius: 38,
      smClockHz: 139e6,
      maxSmClockHz: 1911e6,
      memoryClockHz: 405e6,
      clockEventReasons: 1, // via the alias clocks_throttle_reasons.active
      lost: false,
    });
    expect(gtx1050?.index).toBe(1);
    expect(gtx1050?.utilizationRatio).toBe(0.37);
    expect(gtx1050).not.toHaveProperty('powerDrawWatts');
    expect(gtx1050).not.toHaveProperty('memoryTemperatureCelsius');
    expect(gtx1050).not.toHaveProperty('migEnabled');
    expect(gtx1050).not.toHaveProperty('eccUncorrectedVolatileTotal');
    expect(gtx1050?.powerLimitWatts).toBe(120);
    expect(gtx1050?.temperatureCelsius).toBe(54);
    expect(gtx1050?.clockEventReasons).toBe(0);
  });

  it('rejects rows parsed with the other field list (column count differs)', () => {
    expect(rejection(lines('not-supported.txt')[0] ?? '').reason).toMatch(/expected 25 columns, got 22/);
    expect(rejection(h100Gpu3, CORE_FIELDS).reason).toMatch(/expected 22 columns, got 25/);
  });

  it.each([
    'driver-error.txt',
    'invalid-field.txt',
    'nvml-version-mismatch.txt',
    'nvml-unknown-error.txt',
    'device-handle-unknown-error.txt',
    'compute-apps-h100x8.txt',
  ])('rejects every line of %s as a row (both field lists)', (name) => {
    const all = fixture(name).split('\n');
    expect(all.length).toBeGreaterThan(1);
    for (const line of all) {
      expect(isGpuRowRejection(parseGpuRow(line, RECOMMENDED_FIELDS))).toBe(true);
      expect(isGpuRowRejection(parseGpuRow(line, CORE_FIELDS))).toBe(true);
    }
  });

  it('rejects the CSV header line (index column is not a number)', () => {
    const header = RECOMMENDED_FIELDS.map((f) => (f.startsWith('utilization') ? `${f} [%]` : f)).join(', ');
    expect(rejection(header).reason).toMatch(/index/);
  });
});

describe('parseGpuRow: shapes and tokens', () => {
  it('reads the timestamp column as local time, and leaves a malformed one out', () => {
    const fields = ['timestamp', 'index'];
    expect(accept('2026/11/24 09:15:01.203, 0', fields)).toEqual({ index: 0, timestampMs: new Date(2026, 10, 24, 9, 15, 1, 203).getTime(), lost: false });
    expect(accept('2026/11/24 09:15:01, 0', fields)).toEqual({ index: 0, timestampMs: new Date(2026, 10, 24, 9, 15, 1, 0).getTime(), lost: false });
    expect(accept('24.11.2026 09:15, 0', fields)).toEqual({ index: 0, lost: false });
  });

  it('marks a lost GPU and leaves its values absent', () => {
    const fields = RECOMMENDED_FIELDS;
    const columns = h100Gpu3.split(', ').map((v, i) => (i <= 4 ? v : '[GPU is lost]'));
    const reading = accept(columns.join(', '), fields);
    expect(reading).toEqual({
      index: 3,
      timestampMs: new Date(2025, 8, 18, 14, 22, 7, 537).getTime(),
      uuid: 'GPU-f20366ca-510c-4225-6d0e-b89f484b2ab9',
      name: 'NVIDIA H100 80GB HBM3',
      pciBusId: '00000000:5D:00.0',
      lost: true,
    });
    const reset = accept(withColumn(h100Gpu3, 'power.draw', '[GPU requires reset]'));
    expect(reset.lost).toBe(true);
    expect(reset).not.toHaveProperty('powerDrawWatts');
    expect(reset.powerDrawInstantWatts).toBe(702.44);
  });

  it('accepts values with units (format without nounits) with the same result', () => {
    const withUnits =
      '2025/09/18 14:22:07.537, 3, GPU-f20366ca-510c-4225-6d0e-b89f484b2ab9, NVIDIA H100 80GB HBM3, 00000000:5D:00.0, P0, ' +
      '100 %, 55 %, 81559 MiB, 479 MiB, 73942 MiB, 7138 MiB, 689.21 W, 689.21 W, 702.44 W, 700.00 W, 700.00 W, 68, 74, ' +
      '1905 MHz, 1980 MHz, 2619 MHz, 0x0000000000000004, Disabled, 0';
    expect(accept(withUnits)).toEqual(accept(h100Gpu3));
    // A unit that does not belong to the field is not trusted.
    expect(accept(withColumn(h100Gpu3, 'utilization.gpu', '100 MiB'))).not.toHaveProperty('utilizationRatio');
    expect(accept(withColumn(h100Gpu3, 'memory.used', '73942 KiB'))).not.toHaveProperty('memoryUsedBytes');
  });

  it('strips a trailing \\r (CRLF) and tolerates a bare comma separator', () => {
    const expected = accept(h100Gpu3);
    expect(accept(`${h100Gpu3}\r`)).toEqual(expected);
    expect(accept(h100Gpu3.replaceAll(', ', ','))).toEqual(expected);
    expect(accept(`${h100Gpu3}\r`).eccUncorrectedVolatileTotal).toBe(0);
  });

  it('rejects a row with a missing or an extra column', () => {
    const short = h100Gpu3.split(', ').slice(0, -1).join(', ');
    expect(rejection(short).reason).toMatch(/expected 25 columns, got 24/);
    expect(rejection(`${h100Gpu3}, 0`).reason).toMatch(/expected 25 columns, got 26/);
    expect(rejection('').reason).toBe('empty line');
  });

  it.each([...NO_VALUE_TOKENS, '[Some Future Token]', ' '])('treats %j as absent, never 0', (token) => {
    const reading = accept(withColumn(h100Gpu3, 'utilization.gpu', token));
    expect(reading).not.toHaveProperty('utilizationRatio');
    expect(reading.memoryUtilizationRatio).toBe(0.55);
    const lostToken = token === '[GPU is lost]' || token === '[GPU requires reset]';
    expect(reading.lost).toBe(lostToken);
    const mig = accept(withColumn(h100Gpu3, 'mig.mode.current', token));
    expect(mig).not.toHaveProperty('migEnabled');
  });

  it('reads MIG rows: utilisation absent, migEnabled true', () => {
    let row = withColumn(h100Gpu3, 'utilization.gpu', '[N/A]');
    row = withColumn(row, 'utilization.memory', '[N/A]');
    row = withColumn(row, 'mig.mode.current', 'Enabled');
    const reading = accept(row);
    expect(reading.migEnabled).toBe(true);
    expect(reading).not.toHaveProperty('utilizationRatio');
    expect(reading).not.toHaveProperty('memoryUtilizationRatio');
    expect(reading.memoryUsedBytes).toBe(73942 * MIB);
  });

  it.each([
    ['utilization.gpu', '101', 'utilizationRatio'],
    ['utilization.gpu', '-1', 'utilizationRatio'],
    ['temperature.gpu', '9223372036854775794', 'temperatureCelsius'],
    ['temperature.gpu', '-273', 'temperatureCelsius'],
    ['temperature.memory', '255', 'memoryTemperatureCelsius'],
    ['power.draw', '-5.00', 'powerDrawWatts'],
    ['power.draw', '65535.00', 'powerDrawWatts'],
    ['memory.used', '9223372036854775794', 'memoryUsedBytes'],
    ['clocks.current.sm', '4294967295', 'smClockHz'],
    ['ecc.errors.uncorrected.volatile.total', '9223372036854775794', 'eccUncorrectedVolatileTotal'],
    ['ecc.errors.uncorrected.volatile.total', '1.5', 'eccUncorrectedVolatileTotal'],
    ['clocks_event_reasons.active', '0xFFFFFFFFFFFFFFFF', 'clockEventReasons'],
    ['clocks_event_reasons.active', '4', 'clockEventReasons'],
    ['pstate', 'P32', 'pstate'],
    ['pstate', '0', 'pstate'],
    ['mig.mode.current', 'Maybe', 'migEnabled'],
    ['power.draw', 'nan', 'powerDrawWatts'],
    ['power.draw', '1e3', 'powerDrawWatts'],
  ])('drops %s = %s (out of range or malformed) as absent', (field, value, key) => {
    const reading = accept(withColumn(h100Gpu3, field, value));
    expect(reading).not.toHaveProperty(key);
    expect(reading.index).toBe(3);
  });

  it('keeps in-range edge values', () => {
    expect(accept(withColumn(h100Gpu3, 'temperature.gpu', '-10')).temperatureCelsius).toBe(-10);
    expect(accept(withColumn(h100Gpu3, 'pstate', 'P12')).pstate).toBe(12);
    expect(accept(withColumn(h100Gpu3, 'ecc.errors.uncorrected.volatile.total', '17')).eccUncorrectedVolatileTotal).toBe(17);
    expect(accept(withColumn(h100Gpu3, 'clocks_event_reasons.active', '0x0000000000000101')).clockEventReasons).toBe(0x101);
  });

  it('rejects a row whose index is absent or not an integer', () => {
    expect(rejection(withColumn(h100Gpu3, 'index', '[N/A]')).reason).toMatch(/index absent/);
    expect(rejection(withColumn(h100Gpu3, 'index', '[GPU is lost]')).reason).toMatch(/index absent/);
    expect(rejection(withColumn(h100Gpu3, 'index', 'x')).reason).toMatch(/index absent/);
    expect(rejection(withColumn(h100Gpu3, 'index', '1.5')).reason).toMatch(/index absent/);
    expect(rejection('a, b', ['uuid', 'name']).reason).toBe('field list has no index');
  });

  it('maps columns by the field list given (order and aliases)', () => {
    const reading = accept('GPU-x, 2, 1410, 612.35, 0x0000000000000004', [
      'gpu_uuid',
      'index',
      'clocks.sm',
      'power.draw',
      'clocks_throttle_reasons.active',
    ]);
    expect(reading).toEqual({
      index: 2,
      uuid: 'GPU-x',
      smClockHz: 1410e6,
      powerDrawWatts: 612.35,
      clockEventReasons: 4,
      lost: false,
    });
  });
});
