import { afterAll, beforeAll, describe, expect } from 'vitest';
import { NVIDIA_SMI_DOUBLE, sampleValue } from '../e2e/cli-process.js';
import { VllmDouble } from '../doubles/vllm-double.js';
import { FaultCase, faultMatrix, logsMatching, type CaseReport } from './fault-harness.js';

/**
 * The nvidia-smi half of the fault matrix (docs/reliability.md): the real CLI with the nvidia-smi
 * double (src/simulator/nvidia-smi-double) told to fail in each documented way, a healthy vLLM
 * double beside it, and the same watcher and invariants as the vLLM half.
 */

const vllm = new VllmDouble({ promptTokensPerSecond: 300, generationTokensPerSecond: 100 });
beforeAll(async () => {
  await vllm.start();
});
afterAll(() => vllm.stop());

function cliArgs(path: string, indices: string): string[] {
  return [
    '--vllm.targets', vllm.url,
    '--poll-interval', '300ms',
    '--nvidia-smi.path', path,
    '--nvidia-smi.interval', '100ms',
    '--gpu.indices', indices,
    '--gpu.hourly-cost-usd', '3.2',
    '--capacity.tokens-per-second', '5000',
  ];
}

const up = (text: string, collector: string): number | undefined => sampleValue(text, 'llm_cost_collector_up', { collector });
const tokens = (text: string): number => sampleValue(text, 'llm_cost_tokens_total', { direction: 'prompt' }) ?? 0;
const spend = (text: string): number => sampleValue(text, 'llm_cost_spend_usd_total', { basis: 'compute' }) ?? 0;
const gpuUp = (t: string) => up(t, 'vllm') === 1 && up(t, 'nvidia_smi') === 1 && tokens(t) > 0;
const vllmUp = (t: string) => up(t, 'vllm') === 1 && tokens(t) > 0;

interface NvidiaCase {
  readonly path?: string;
  readonly indices?: string;
  readonly env: Record<string, string>;
  readonly ready: (text: string) => boolean;
}

async function run(spec: NvidiaCase, body: (c: FaultCase) => Promise<void>): Promise<CaseReport> {
  const c = await FaultCase.start(cliArgs(spec.path ?? NVIDIA_SMI_DOUBLE, spec.indices ?? '0'), { FAKE_NVIDIA_SMI_UTIL: '50', ...spec.env }, spec.ready);
  let report: CaseReport;
  try {
    await body(c);
  } finally {
    report = await c.stop();
  }
  return report;
}

function expectHealthyRun(report: CaseReport): void {
  expect(report.violations).toEqual([]);
  expect(report.code).toBe(0);
  expect(report.scrapes).toBeGreaterThan(5);
  expect(report.logs.length, report.stderr).toBeLessThan(30);
}

const downs = (r: CaseReport) => logsMatching(r.logs, /^nvidia-smi down: /).map((l) => String(l['msg']).slice('nvidia-smi down: '.length));
const recoveries = (r: CaseReport) => logsMatching(r.logs, /^nvidia-smi recovered$/);

// nvidia-smi fails at start, the way the real binary does (messages: test/fixtures/nvidia-smi/).
const AT_START: ReadonlyArray<readonly [string, NvidiaCase, string]> = [
  ['binary missing', { path: '/nonexistent/nvidia-smi', env: {}, ready: vllmUp }, 'nvidia-smi not found at /nonexistent/nvidia-smi (ENOENT)'],
  [
    'exit 9: driver not loaded',
    { env: { FAKE_NVIDIA_SMI_FAIL: 'driver' }, ready: vllmUp },
    "nvidia-smi exited with code 9 (NVIDIA driver not loaded): NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.",
  ],
  ['exit 12: NVML missing', { env: { FAKE_NVIDIA_SMI_FAIL: 'nvml-missing' }, ready: vllmUp }, 'nvidia-smi exited with code 12 (NVML shared library not found), no output'],
  [
    'exit 15: GPU lost at start',
    { env: { FAKE_NVIDIA_SMI_FAIL: 'gpu-lost-at-start' }, ready: vllmUp },
    'nvidia-smi exited with code 15 (GPU fell off the bus or is inaccessible): Unable to determine the device handle for GPU0000:3A:00.0: Unknown Error',
  ],
  [
    'exit 18: driver/library version mismatch',
    { env: { FAKE_NVIDIA_SMI_FAIL: 'version-mismatch' }, ready: vllmUp },
    'nvidia-smi exited with code 18 (NVML driver/library version mismatch): Failed to initialize NVML: Driver/library version mismatch',
  ],
  ['exit 255: NVML unknown error', { env: { FAKE_NVIDIA_SMI_FAIL: 'nvml-unknown' }, ready: vllmUp }, 'nvidia-smi exited with code 255 (other error): Failed to initialize NVML: Unknown Error'],
  ['exit 255: no output', { env: { FAKE_NVIDIA_SMI_FAIL: 'other' }, ready: vllmUp }, 'nvidia-smi exited with code 255 (other error), no output'],
];

describe('fault matrix: nvidia-smi', () => {
  // vLLM's health is only the start condition here, so two CLIs may boot at once
  const { scenario } = faultMatrix(12, { startWidth: 2 });

  // the longest cases first: the start-up allowance for a first row is 15 s (NVML can be that slow)
  scenario('a child that hangs without output from the start: killed after the start-up allowance, restarted', async () => {
    const report = await run({ env: { FAKE_NVIDIA_SMI_HANG_AFTER: '0' }, ready: vllmUp }, async (c) => {
      await c.until('one child', () => c.children().size === 1, 5000);
      const first = [...c.children().keys()][0]!;
      const down = await c.until('the hang detected', () => c.cli.stderr().includes('nvidia-smi down: '), 20_000);
      expect(up(down, 'nvidia_smi')).toBe(0);
      await c.until('a new child', () => c.children().size === 1 && !c.children().has(first), 5000);
      expect(c.childPids.has(first)).toBe(true);
      expect(spend(c.latest)).toBeGreaterThan(0); // the GPU is billed all along
    });
    expectHealthyRun(report);
    expect(downs(report)).toEqual(['nvidia-smi printed no row for 15000 ms (hung); killed']);
  });

  scenario('a child that stops printing mid-stream and ignores SIGTERM: killed (SIGKILL), restarted, recovers', async () => {
    const env = { FAKE_NVIDIA_SMI_HANG_AFTER: '3', FAKE_NVIDIA_SMI_IGNORE_SIGTERM: '1' };
    const report = await run({ env, ready: gpuUp }, async (c) => {
      const first = [...c.children().keys()][0]!;
      await c.until('the stall detected', (t) => up(t, 'nvidia_smi') === 0, 9000);
      await c.until('recovered', (t) => up(t, 'nvidia_smi') === 1, 9000);
      expect(c.children().has(first)).toBe(false);
    });
    expectHealthyRun(report);
    expect(downs(report)).toEqual(['nvidia-smi printed no row for 5000 ms (hung); killed']);
    expect(recoveries(report)).toHaveLength(1);
  });

  for (const [title, spec, message] of AT_START) {
      scenario(`${title}: down once, retried with backoff, GPU still billed`, async () => {
      const report = await run(spec, async (c) => {
        const start = await c.until('the failure', (t) => up(t, 'nvidia_smi') === 0 && c.cli.stderr().includes('nvidia-smi down: '), 5000);
        await c.until('a retry', (t) => (sampleValue(t, 'llm_cost_nvidia_smi_restarts_total') ?? 0) >= 1, 5000);
        const later = await c.hold(1500); // the next retry comes 2 s after the first (backoff)
        expect(up(later, 'nvidia_smi')).toBe(0);
        expect(spend(later)).toBeGreaterThan(spend(start));
        expect(sampleValue(later, 'llm_cost_usd_per_million_tokens', { basis: 'compute', window: '5m' })).toBeGreaterThan(0);
        expect(sampleValue(later, 'llm_cost_utilization_ratio', { source: 'gpu', window: '5m' })).toBeUndefined(); // never a made-up 0
      });
      expectHealthyRun(report);
      expect(downs(report)).toEqual([message]);
    });
  }

  scenario('a child that exits mid-stream: each exit is one down line, each restart one recovery', async () => {
    const report = await run({ env: { FAKE_NVIDIA_SMI_EXIT_AFTER: '5' }, ready: gpuUp }, async (c) => {
      await c.until('two restarts', (t) => (sampleValue(t, 'llm_cost_nvidia_smi_restarts_total') ?? 0) >= 2, 8000);
    });
    expectHealthyRun(report);
    const lines = logsMatching(report.logs, /^nvidia-smi (down: |recovered$)/).map((l) => String(l['msg']));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    lines.forEach((line, i) => expect(line).toBe(i % 2 === 0 ? 'nvidia-smi down: nvidia-smi exited with code 255 (other error), no output' : 'nvidia-smi recovered'));
  });

  scenario('a GPU lost in the middle of the loop: flagged, still billed, no utilisation made up', async () => {
    const env = { FAKE_NVIDIA_SMI_GPUS: '2', FAKE_NVIDIA_SMI_LOST_GPU: '1', FAKE_NVIDIA_SMI_LOST_AFTER: '15' };
    const report = await run({ indices: '0,1', env, ready: gpuUp }, async (c) => {
      const lost = await c.until('GPU 1 lost', (t) => sampleValue(t, 'llm_cost_gpu_lost', { gpu: '1' }) === 1, 6000);
      const later = await c.hold(1000);
      expect(up(later, 'nvidia_smi')).toBe(1);
      expect(sampleValue(later, 'llm_cost_gpu_lost', { gpu: '0' })).toBe(0);
      expect(sampleValue(later, 'llm_cost_billed_gpus')).toBe(2);
      expect(sampleValue(later, 'llm_cost_gpu_hourly_cost_usd')).toBeCloseTo(6.4, 9);
      expect(sampleValue(later, 'llm_cost_nvidia_smi_utilization_gpu_ratio', { gpu: '1' })).toBeUndefined();
      expect(sampleValue(later, 'llm_cost_nvidia_smi_utilization_gpu_ratio', { gpu: '0' })).toBe(0.5);
      expect(spend(later)).toBeGreaterThan(spend(lost));
    });
    expectHealthyRun(report);
    expect(downs(report)).toEqual([]);
  });

  scenario('a GPU lost in the middle of the loop is logged once', async () => {
    const env = { FAKE_NVIDIA_SMI_GPUS: '2', FAKE_NVIDIA_SMI_LOST_GPU: '1', FAKE_NVIDIA_SMI_LOST_AFTER: '10' };
    const report = await run({ indices: '0,1', env, ready: gpuUp }, async (c) => {
      await c.until('GPU 1 lost', (t) => sampleValue(t, 'llm_cost_gpu_lost', { gpu: '1' }) === 1, 6000);
      await c.hold(1000);
    });
    expect(logsMatching(report.logs, /lost/i)).toHaveLength(1);
  });

  scenario('Windows line endings (CRLF)', async () => {
    const report = await run({ env: { FAKE_NVIDIA_SMI_CRLF: '1' }, ready: gpuUp }, async (c) => {
      const t = await c.hold(800);
      expect(sampleValue(t, 'llm_cost_nvidia_smi_utilization_gpu_ratio', { gpu: '0' })).toBe(0.5);
      expect(sampleValue(t, 'llm_cost_gpu_info', { gpu: '0', name: 'NVIDIA A100-SXM4-80GB' })).toBe(1);
    });
    expectHealthyRun(report);
    expect(downs(report)).toEqual([]);
  });

  scenario('the header-and-units format (csv without noheader,nounits)', async () => {
    const report = await run({ env: { FAKE_NVIDIA_SMI_FORCE_FORMAT: 'csv' }, ready: gpuUp }, async (c) => {
      const t = await c.hold(800);
      expect(sampleValue(t, 'llm_cost_nvidia_smi_utilization_gpu_ratio', { gpu: '0' })).toBe(0.5);
      expect(sampleValue(t, 'llm_cost_nvidia_smi_memory_used_bytes', { gpu: '0' })).toBe(72870 * 1048576);
      expect(sampleValue(t, 'llm_cost_nvidia_smi_sm_clock_hz', { gpu: '0' })).toBe(1410e6);
    });
    expectHealthyRun(report);
    expect(downs(report)).toEqual([]);
  });

  scenario('MIG rows with [N/A] utilisation: no utilisation at all, never 0', async () => {
    const report = await run({ env: { FAKE_NVIDIA_SMI_MIG: '0' }, ready: gpuUp }, async (c) => {
      const t = await c.hold(1000);
      expect(sampleValue(t, 'llm_cost_nvidia_smi_utilization_gpu_ratio', { gpu: '0' })).toBeUndefined();
      expect(sampleValue(t, 'llm_cost_gpu_utilization_ratio', { gpu: '0', window: '5m' })).toBeUndefined();
      expect(sampleValue(t, 'llm_cost_utilization_ratio', { source: 'gpu', window: '5m' })).toBeUndefined();
      expect(sampleValue(t, 'llm_cost_nvidia_smi_power_draw_watts', { gpu: '0' })).toBeGreaterThan(0);
      expect(sampleValue(t, 'llm_cost_usd_per_million_tokens', { basis: 'compute', window: '5m' })).toBeGreaterThan(0);
    });
    expectHealthyRun(report);
    expect(downs(report)).toEqual([]);
  });

  scenario('more GPUs than configured: only gpu.indices are watched and billed', async () => {
    const report = await run({ indices: '0,1', env: { FAKE_NVIDIA_SMI_GPUS: '4' }, ready: gpuUp }, async (c) => {
      const t = await c.hold(800);
      expect(t.split('\n').filter((l) => l.startsWith('llm_cost_gpu_info{'))).toHaveLength(2);
      expect(sampleValue(t, 'llm_cost_gpu_info', { gpu: '3' })).toBeUndefined();
      expect(sampleValue(t, 'llm_cost_billed_gpus')).toBe(2);
    });
    expectHealthyRun(report);
  });

  scenario('fewer GPUs than configured: the missing ones are still billed (a lost GPU is paid for)', async () => {
    const report = await run({ indices: '0,1,2', env: { FAKE_NVIDIA_SMI_GPUS: '1' }, ready: gpuUp }, async (c) => {
      const t = await c.hold(800);
      expect(t.split('\n').filter((l) => l.startsWith('llm_cost_gpu_info{'))).toHaveLength(1);
      expect(sampleValue(t, 'llm_cost_billed_gpus')).toBe(3);
      expect(sampleValue(t, 'llm_cost_gpu_hourly_cost_usd')).toBeCloseTo(9.6, 9);
      // the per-host GPU utilisation is the mean of the GPUs that report: here GPU 0's
      expect(sampleValue(t, 'llm_cost_utilization_ratio', { source: 'gpu', window: '5m' })).toBeCloseTo(0.5, 2);
    });
    expectHealthyRun(report);
  });
});
