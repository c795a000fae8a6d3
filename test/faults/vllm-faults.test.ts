import { describe, expect } from 'vitest';
import { NVIDIA_SMI_DOUBLE, sampleValue } from '../e2e/cli-process.js';
import { FaultyVllm, type VllmFault } from '../doubles/faulty-vllm.js';
import { FaultCase, faultMatrix, logsMatching, logsSince, type CaseReport } from './fault-harness.js';

/**
 * The vLLM half of the fault matrix (docs/reliability.md): the real CLI, polling a misbehaving
 * vLLM double every 300 ms, watched by a scraper that checks the invariants on every /metrics.
 * Cases run concurrently (faultMatrix: ten at a time, CLIs booting one at a time), each with its
 * own CLI and double.
 */

// 300 ms, not less: with a dozen processes on two cores a healthy poll must never look like a hang
const POLL_MS = 300;
const TIMEOUT_MS = 300;

function cliArgs(url: string, pollMs = POLL_MS): string[] {
  return [
    '--vllm.targets', url,
    '--poll-interval', `${pollMs}ms`,
    '--vllm.timeout', `${Math.min(pollMs, TIMEOUT_MS)}ms`,
    '--nvidia-smi.path', NVIDIA_SMI_DOUBLE,
    '--nvidia-smi.interval', '100ms',
    '--gpu.indices', '0',
    '--gpu.hourly-cost-usd', '3.2',
    '--capacity.tokens-per-second', '5000',
  ];
}
const ENV = { FAKE_NVIDIA_SMI_UTIL: '50' };

const up = (text: string, collector: string): number | undefined => sampleValue(text, 'llm_cost_collector_up', { collector });
const tokens = (text: string): number => sampleValue(text, 'llm_cost_tokens_total', { direction: 'prompt' }) ?? 0;
/** vLLM log lines since the case became healthy (start-up is not the fault under test). */
const vllmLogs = (report: CaseReport, msg: RegExp) =>
  logsMatching(logsSince(report.logs, report.readyAtMs), msg).filter((l) => l['collector'] === 'vllm');

/** The vLLM source's state-change lines since the case became healthy, in order: `down: <error>` or `up`. */
const vllmStates = (report: CaseReport): string[] =>
  vllmLogs(report, /^source is (down|up)$/).map((l) => (l['msg'] === 'source is up' ? 'up' : `down: ${String(l['error'])}`));

/**
 * Once per change of state: no down line repeats the state logged just before it. A number in
 * the error (a line number, a byte count) does not make a new state. This holds even when a
 * loaded machine slips a spurious timeout in between, where an exact line count would not.
 */
function expectOncePerChange(states: readonly string[]): void {
  const key = (state: string) => state.replace(/\d+/g, 'N');
  for (let i = 1; i < states.length; i++) {
    if (states[i]!.startsWith('down') && key(states[i]!) === key(states[i - 1]!)) {
      expect.fail(`state logged again without a change: ${JSON.stringify(states.slice(Math.max(0, i - 1), i + 3))} (all: ${states.length})`);
    }
  }
  expect(states.length, JSON.stringify(states)).toBeLessThanOrEqual(8);
}

/** Down lines other than a timeout (a spurious timeout on an overloaded machine is not the fault). */
const realDowns = (states: readonly string[]) => states.filter((s) => s.startsWith('down') && !/^down: timeout after/.test(s));

/** Runs `body` against a fresh CLI and double; returns the report after stopping both. */
async function withCase(vllm: FaultyVllm, body: (c: FaultCase) => Promise<void>, pollMs = POLL_MS): Promise<CaseReport> {
  await vllm.start();
  const healthy = (t: string) => up(t, 'vllm') === 1 && up(t, 'nvidia_smi') === 1 && tokens(t) > 0;
  const c = await FaultCase.start(cliArgs(vllm.url, pollMs), ENV, healthy, 'vLLM up with traffic counted');
  let report: CaseReport;
  try {
    await body(c);
  } finally {
    report = await c.stop();
    await vllm.stop();
  }
  return report;
}

/** The checks every case ends with: the invariants held, the CLI exited 0 and its log did not flood. */
function expectHealthyRun(report: CaseReport): void {
  expect(report.violations).toEqual([]);
  expect(report.code).toBe(0);
  expect(report.scrapes).toBeGreaterThan(5);
  expect(report.logs.length, report.stderr).toBeLessThan(30);
}

/** A fault that takes the source down: one warn line for it (once per change of state), one info line when it is back. */
async function downAndBack(fault: VllmFault, error: RegExp, setup?: (v: FaultyVllm) => void): Promise<CaseReport> {
  const vllm = new FaultyVllm({ promptTokensPerSecond: 300, generationTokensPerSecond: 100 });
  setup?.(vllm);
  const report = await withCase(vllm, async (c) => {
    await vllm.setFault(fault);
    const down = await c.until(`vLLM down (${fault})`, (t) => up(t, 'vllm') === 0, 4000);
    const during = await c.hold(1500); // 5 polls fail the same way: still one log line
    expect(up(during, 'vllm')).toBe(0);
    expect(up(during, 'nvidia_smi')).toBe(1);
    // spend keeps accruing while vLLM is away (the GPU is still paid for)
    expect(sampleValue(during, 'llm_cost_spend_usd_total', { basis: 'compute' })!).toBeGreaterThan(sampleValue(down, 'llm_cost_spend_usd_total', { basis: 'compute' })!);
    if (fault === 'hang') expect(vllm.openConnections(), 'sockets of aborted polls are closed').toBeLessThanOrEqual(3);
    await vllm.setFault('none');
    await c.until('vLLM back', (t) => up(t, 'vllm') === 1, 4000);
    await c.hold(400);
  });
  expectHealthyRun(report);
  const states = vllmStates(report);
  if (process.env['FAULT_TIMELINE'] === '1') process.stdout.write(`[fault] ${fault}: ${JSON.stringify(states)}\n`);
  expectOncePerChange(states);
  expect(states.filter((s) => error.test(s.slice('down: '.length))).length, JSON.stringify(states)).toBeGreaterThanOrEqual(1);
  expect(states.at(-1)).toBe('up'); // the recovery, logged
  return report;
}

describe('fault matrix: vLLM', () => {
  const { scenario } = faultMatrix(10);

  scenario('refused connection', async () => {
    await downAndBack('refuse', /^connection failed: ECONNREFUSED$/);
  });

  scenario('a hang (no answer): each poll is aborted at its timeout, no socket leaks', async () => {
    await downAndBack('hang', new RegExp(`^timeout after ${TIMEOUT_MS} ms$`));
  });

  scenario('slowness beyond the poll interval', async () => {
    await downAndBack('slow', new RegExp(`^timeout after ${TIMEOUT_MS} ms$`), (v) => (v.slowMs = 2 * POLL_MS));
  });

  scenario('slowness within the timeout is not a failure', async () => {
    const vllm = new FaultyVllm({ promptTokensPerSecond: 300, generationTokensPerSecond: 100 });
    vllm.slowMs = 60;
    const report = await withCase(vllm, async (c) => {
      await vllm.setFault('slow');
      const before = tokens(c.latest);
      const slow = await c.until('a slow poll recorded', (t) => (sampleValue(t, 'llm_cost_collector_poll_duration_seconds', { collector: 'vllm' }) ?? 0) >= 0.05, 3000);
      expect(up(slow, 'vllm')).toBe(1);
      const after = await c.hold(1200);
      expect(up(after, 'vllm')).toBe(1);
      expect(tokens(after)).toBeGreaterThan(before);
    });
    expectHealthyRun(report);
    expect(realDowns(vllmStates(report))).toEqual([]);
  });

  scenario('HTTP 500', async () => {
    await downAndBack('status500', /^HTTP 500$/);
  });

  scenario('truncated body (clean end in the middle of a line)', async () => {
    await downAndBack('truncated', /^bad exposition: .*truncated/);
  });

  scenario('body cut off (connection dropped before Content-Length)', async () => {
    await downAndBack('cut', /./);
  });

  scenario('garbage body: an HTML error page', async () => {
    await downAndBack('garbage', /^bad exposition: line 1: invalid metric name$/, (v) => (v.garbage = 'html'));
  });

  // a body breaking at a different line each poll is one state: one warn line, not one per poll
  scenario('garbage body: random bytes breaking at a different line each poll', async () => {
    await downAndBack('garbage', /^bad exposition: /, (v) => (v.garbage = 'random'));
  });

  scenario('counter reset in the same process: counted from the new values, no negative delta', async () => {
    const vllm = new FaultyVllm({ promptTokensPerSecond: 300, generationTokensPerSecond: 100 });
    const report = await withCase(vllm, async (c) => {
      // far enough from zero that the drop is seen whatever the poll timing
      const before = tokens(await c.until('some traffic', (t) => tokens(t) > 400, 5000));
      vllm.resetCounters();
      const after = await c.until('counted past the reset', (t) => tokens(t) > before + 60, 4000);
      expect(up(after, 'vllm')).toBe(1);
      expect(sampleValue(after, 'llm_cost_vllm_restarts_total')).toBe(1);
    });
    expectHealthyRun(report);
    expect(logsMatching(report.logs, /^vLLM restarted/)).toHaveLength(1);
    expect(realDowns(vllmStates(report))).toEqual([]);
  });

  scenario('restart in the middle of a window: outage, new process start time, counters from zero', async () => {
    const vllm = new FaultyVllm({ promptTokensPerSecond: 300, generationTokensPerSecond: 100 });
    const report = await withCase(vllm, async (c) => {
      await vllm.setFault('refuse');
      await c.until('vLLM down', (t) => up(t, 'vllm') === 0, 4000);
      const down = tokens(c.latest);
      vllm.restart();
      await vllm.setFault('none');
      const back = await c.until('vLLM back and counting', (t) => up(t, 'vllm') === 1 && tokens(t) > down + 60, 4000);
      expect(sampleValue(back, 'llm_cost_vllm_restarts_total')).toBe(1);
      // the window keeps its earlier traffic: $/M stays defined
      expect(sampleValue(back, 'llm_cost_usd_per_million_tokens', { basis: 'compute', window: '5m' })).toBeGreaterThan(0);
    });
    expectHealthyRun(report);
    expect(logsMatching(report.logs, /^vLLM restarted/)).toHaveLength(1);
    const states = vllmStates(report);
    expectOncePerChange(states);
    // closing the port may also cut a poll in flight (UND_ERR_SOCKET) before the refusals
    expect(realDowns(states)).toContain('down: connection failed: ECONNREFUSED');
    expect(realDowns(states).length).toBeLessThanOrEqual(2);
  });

  scenario('models appearing and disappearing', async () => {
    const A = 'meta-llama/Llama-3.1-8B-Instruct';
    const B = 'Qwen/Qwen2.5-7B-Instruct';
    const vllm = new FaultyVllm({ promptTokensPerSecond: 300, generationTokensPerSecond: 100, models: [A] });
    const modelTokens = (t: string, model: string) => sampleValue(t, 'llm_cost_model_tokens_total', { model, direction: 'prompt' });
    const running = (t: string, model: string) => sampleValue(t, 'llm_cost_model_requests_running', { model });
    const report = await withCase(vllm, async (c) => {
      vllm.setModels([A, B]);
      await c.until('B appears', (t) => (modelTokens(t, B) ?? 0) > 0 && running(t, B) === 2, 4000);
      vllm.setModels([B]);
      const gone = await c.until('A gone from the gauges', (t) => running(t, A) === undefined, 4000);
      const aTokens = modelTokens(gone, A)!;
      expect(aTokens).toBeGreaterThan(0); // its counter stays, frozen
      vllm.setModels([A, B]); // A back, from zero (a reloaded adapter)
      const back = await c.until('A back and counting', (t) => running(t, A) === 2 && modelTokens(t, A)! > aTokens, 4000);
      expect(up(back, 'vllm')).toBe(1);
    });
    expectHealthyRun(report);
    expect(realDowns(vllmStates(report))).toEqual([]);
  });

  scenario('50 models with LoRA-style names', async () => {
    const names = ['meta-llama/Llama-3.1-8B-Instruct', ...Array.from({ length: 49 }, (_, i) => `tenant-${i}/sql-lora:v1.${i}`)];
    const vllm = new FaultyVllm({ promptTokensPerSecond: 5000, generationTokensPerSecond: 1000, models: names });
    const report = await withCase(vllm, async (c) => {
      const all = await c.until('every model counted', (t) => names.every((m) => (sampleValue(t, 'llm_cost_model_tokens_total', { model: m, direction: 'prompt' }) ?? 0) > 0), 5000);
      expect(all.split('\n').filter((l) => l.startsWith('llm_cost_model_tokens_total{'))).toHaveLength(100);
      await c.hold(2000);
    }, 1000); // 50 models x ~370 series is a 1.5 MB exposition: a realistic 1 s poll
    expectHealthyRun(report);
  });
});
