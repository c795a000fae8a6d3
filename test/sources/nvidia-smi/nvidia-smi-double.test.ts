import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CORE_FIELDS, RECOMMENDED_FIELDS } from '../../../src/sources/nvidia-smi/gpu-fields.js';
import { isGpuRowRejection, parseGpuRow, type GpuReading } from '../../../src/sources/nvidia-smi/parse-gpu-row.js';

/** The test double must behave like the real binary; these tests pin it to the fixtures. */
const DOUBLE = fileURLToPath(new URL('../../doubles/nvidia-smi', import.meta.url));
const MIB = 1_048_576;

function fixture(name: string): string {
  return readFileSync(new URL(`../../fixtures/nvidia-smi/${name}`, import.meta.url), 'utf8');
}

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: readonly string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(DOUBLE, [...args], { env: { ...process.env, ...env }, timeout: 10_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

const query = (fields: readonly string[] = RECOMMENDED_FIELDS): string => `--query-gpu=${fields.join(',')}`;
const NOUNITS = '--format=csv,noheader,nounits';

function rows(stdout: string, fields: readonly string[] = RECOMMENDED_FIELDS): GpuReading[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const parsed = parseGpuRow(l, fields);
      if (isGpuRowRejection(parsed)) throw new Error(`${parsed.reason}: ${l}`);
      return parsed;
    });
}

const tmp = mkdtempSync(join(tmpdir(), 'nvidia-smi-double-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('test double: nvidia-smi', () => {
  it('is executable', () => {
    expect(() => accessSync(DOUBLE, constants.X_OK)).not.toThrow();
  });

  it.each([
    ['driver', 'driver-error.txt', 9],
    ['gpu-lost-at-start', 'device-handle-unknown-error.txt', 15],
    ['version-mismatch', 'nvml-version-mismatch.txt', 18],
    ['nvml-unknown', 'nvml-unknown-error.txt', 255],
  ])('FAIL=%s prints %s byte-exact on stdout and exits %i', async (mode, file, code) => {
    const result = await run([query(), NOUNITS, '-lms', '50'], { FAKE_NVIDIA_SMI_FAIL: mode });
    expect(result.code).toBe(code);
    expect(result.stdout).toBe(fixture(file));
    expect(result.stderr).toBe('');
  });

  it.each([
    ['nvml-missing', 12],
    ['other', 255],
  ])('FAIL=%s prints nothing and exits %i', async (mode, code) => {
    const result = await run([query(), NOUNITS], { FAKE_NVIDIA_SMI_FAIL: mode });
    expect(result).toEqual({ code, stdout: '', stderr: '' });
  });

  it('fails like invalid-field.txt (exit 2) for an unsupported field, and serves the CORE list', async () => {
    const env = { FAKE_NVIDIA_SMI_UNSUPPORTED_FIELDS: 'power.draw.average' };
    const bad = await run([query(), NOUNITS, '-lms', '50'], env);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe(fixture('invalid-field.txt'));
    const core = await run([query(CORE_FIELDS), NOUNITS], env);
    expect(core.code).toBe(0);
    expect(rows(core.stdout, CORE_FIELDS)).toHaveLength(1);
    const unknown = await run(['--query-gpu=index,no.such.field', NOUNITS]);
    expect(unknown).toEqual({ code: 2, stdout: 'Field "no.such.field" is not a valid field to query.\n\n', stderr: '' });
  });

  it('prints one poll in the fixture formats and exits 0 without a loop flag', async () => {
    const result = await run([query(), NOUNITS], { FAKE_NVIDIA_SMI_GPUS: '2', FAKE_NVIDIA_SMI_UTIL: '37,80' });
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    const first = (lines[0] ?? '').split(', ');
    expect(first).toHaveLength(25);
    expect(first[0]).toMatch(/^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);
    expect(first[1]).toBe('0');
    expect(first[2]).toMatch(/^GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(first[3]).toBe('NVIDIA A100-SXM4-80GB');
    expect(first[4]).toMatch(/^[0-9A-F]{8}:[0-9A-F]{2}:00\.0$/);
    expect(first[5]).toBe('P0');
    expect(first[6]).toBe('37');
    expect(first[12]).toMatch(/^\d+\.\d{2}$/); // power.draw, 2 decimals
    expect(first[13]).toBe('[N/A]'); // power.draw.average on an A100
    expect(first[22]).toMatch(/^0x[0-9A-F]{16}$/);
    expect(first[23]).toBe('Disabled');
    const [gpu0, gpu1] = rows(result.stdout);
    expect(gpu0?.utilizationRatio).toBe(0.37);
    expect(gpu1?.utilizationRatio).toBe(0.8);
    expect(gpu1?.index).toBe(1);
    expect(gpu0?.uuid).not.toBe(gpu1?.uuid);
    // UUIDs are stable across runs.
    const again = rows((await run([query(), NOUNITS], { FAKE_NVIDIA_SMI_GPUS: '2' })).stdout);
    expect(again.map((r) => r.uuid)).toEqual([gpu0?.uuid, gpu1?.uuid]);
  });

  it('prints the header once and values with units for --format=csv', async () => {
    const result = await run([query(), '--format=csv', '-lms', '30'], {
      FAKE_NVIDIA_SMI_NAME: 'NVIDIA H100 80GB HBM3',
      FAKE_NVIDIA_SMI_UTIL: '97',
      FAKE_NVIDIA_SMI_EXIT_AFTER: '2',
      FAKE_NVIDIA_SMI_EXIT_CODE: '0',
    });
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('timestamp, index, uuid, name, pci.bus_id, pstate, utilization.gpu [%], utilization.memory [%], memory.total [MiB]');
    expect(lines[0]).toContain('power.draw [W]');
    expect(lines[0]).toContain('clocks.current.sm [MHz]');
    expect(lines[0]).toContain(', temperature.gpu, ');
    expect(lines[1]).toContain(', 97 %, ');
    expect(lines[1]).toMatch(/, 81559 MiB, /);
    expect(lines[1]).toMatch(/, \d+\.\d{2} W, /);
    expect(lines[1]).toMatch(/, 1980 MHz, /);
    const reading = rows(lines.slice(1).join('\n'));
    expect(reading[0]?.utilizationRatio).toBe(0.97);
    expect(reading[0]?.memoryTotalBytes).toBe(81559 * MIB);
    expect(reading[0]?.powerDrawAverageWatts).toBe(reading[0]?.powerDrawWatts); // H100: average = draw
  });

  it('loops with -lms, and marks MIG, lost GPUs, CRLF and Xid lines as asked', async () => {
    const result = await run(['--query-gpu=index,utilization.gpu,power.draw,mig.mode.current', NOUNITS, '-lms', '20'], {
      FAKE_NVIDIA_SMI_GPUS: '2',
      FAKE_NVIDIA_SMI_UTIL: '50',
      FAKE_NVIDIA_SMI_MIG: '1',
      FAKE_NVIDIA_SMI_LOST_GPU: '0',
      FAKE_NVIDIA_SMI_LOST_AFTER: '2',
      FAKE_NVIDIA_SMI_CRLF: '1',
      FAKE_NVIDIA_SMI_XID_LINE: '1',
      FAKE_NVIDIA_SMI_EXIT_AFTER: '4',
    });
    expect(result.code).toBe(255);
    const lines = result.stdout.split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).every((l) => !l.includes('\n'))).toBe(true);
    expect(lines.slice(0, 7)).toEqual([
      '0, 50, 196.83, Disabled',
      '1, [N/A], 196.83, Enabled',
      '0, 50, 196.83, Disabled',
      '1, [N/A], 196.83, Enabled',
      '0, [GPU is lost], [GPU is lost], [GPU is lost]',
      '1, [N/A], 196.83, Enabled',
      lines[6],
    ]);
    expect(lines[6]).toMatch(/^Xid \(PCI:/);
    expect(lines).toHaveLength(4 * 2 + 1 + 1);
  });

  it('follows a state file re-read every poll (overrides FAKE_NVIDIA_SMI_UTIL)', async () => {
    const state = join(tmp, 'state.json');
    writeFileSync(state, JSON.stringify({ gpus: [{ util: 12, powerW: 250.5 }, { util: 88, mig: true }, {}] }));
    const result = await run([query(), NOUNITS], { FAKE_NVIDIA_SMI_STATE_FILE: state, FAKE_NVIDIA_SMI_UTIL: '99' });
    const [a, b, c] = rows(result.stdout);
    expect(a?.utilizationRatio).toBe(0.12);
    expect(a?.powerDrawWatts).toBe(250.5);
    expect(b?.migEnabled).toBe(true);
    expect(b).not.toHaveProperty('utilizationRatio');
    expect(c?.utilizationRatio).toBe(0);
  });

  it('rejects a malformed command line like the real binary', async () => {
    const result = await run(['--query-gpu=index']);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('Invalid combination of input arguments');
  });
});
