import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualVllm } from '../doubles/manual-vllm.js';
import { NVIDIA_SMI_DOUBLE, sampleValue, startCli, type CliProcess } from '../e2e/cli-process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const vllm = new ManualVllm();
let cli: CliProcess | undefined;

function args(storage: string): string[] {
  return [
    '--vllm.targets', vllm.url,
    '--poll-interval', '200ms',
    '--storage.path', storage,
    '--storage.save-interval', '200ms',
    '--nvidia-smi.path', NVIDIA_SMI_DOUBLE,
    '--nvidia-smi.interval', '100ms',
    '--gpu.hourly-cost-usd', '3.6',
  ];
}
const ENV = { FAKE_NVIDIA_SMI_UTIL: '50' };

async function metrics(): Promise<string> {
  return (await fetch(`${cli!.url}/metrics`)).text();
}
/** Waits until the exporter has polled the double's current state (a few cycles). */
async function settle(): Promise<string> {
  await sleep(700);
  return metrics();
}
function kill9(): Promise<void> {
  const child = cli!.child;
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

afterEach(async () => {
  await cli?.stop();
  cli = undefined;
  await vllm.stop();
});

describe('persistence across restarts', () => {
  it('SIGKILL, then restart: counters continue and the downtime tokens are counted when vLLM did not restart', async () => {
    await vllm.start();
    const storage = mkdtempSync(join(tmpdir(), 'llm-cost-state-'));
    vllm.set(1000, 100);
    cli = await startCli(args(storage), ENV);
    await settle();
    vllm.set(1500, 150);
    const before = await settle();
    expect(sampleValue(before, 'llm_cost_tokens_total', { direction: 'prompt' })).toBe(500);
    const observedBefore = sampleValue(before, 'llm_cost_observed_seconds_total')!;
    await kill9();
    vllm.set(2500, 250); // served while the exporter was down
    await sleep(1000);
    cli = await startCli(args(storage), ENV);
    await settle();
    vllm.set(2600, 260);
    const after = await settle();
    // nothing lost, nothing invented: exactly what vLLM counted since the first baseline
    expect(sampleValue(after, 'llm_cost_tokens_total', { direction: 'prompt' })).toBe(1600);
    expect(sampleValue(after, 'llm_cost_tokens_total', { direction: 'generation' })).toBe(160);
    expect(sampleValue(after, 'llm_cost_model_tokens_total', { direction: 'prompt' })).toBe(1600);
    // the downtime is observed time: spend accrued over it
    expect(sampleValue(after, 'llm_cost_observed_seconds_total')!).toBeGreaterThan(observedBefore + 1);
    // only the first tick before nvidia-smi reported can be unobserved, never the downtime
    expect(sampleValue(after, 'llm_cost_unobserved_seconds_total')!).toBeLessThan(0.5);
    expect(cli.stderr()).toContain('the downtime and its tokens are counted');
  });

  it('a vLLM restart during the downtime makes the gap unobserved; counting resumes from its new counters', async () => {
    await vllm.start();
    const storage = mkdtempSync(join(tmpdir(), 'llm-cost-state-'));
    vllm.set(1000, 100);
    cli = await startCli(args(storage), ENV);
    await settle();
    vllm.set(1500, 150);
    await settle();
    await kill9();
    vllm.restart();
    vllm.set(300, 30); // served by the new process: unknowable share of the gap
    await sleep(1000);
    cli = await startCli(args(storage), ENV);
    await settle();
    vllm.set(400, 40);
    const after = await settle();
    expect(sampleValue(after, 'llm_cost_tokens_total', { direction: 'prompt' })).toBe(600);
    expect(sampleValue(after, 'llm_cost_unobserved_seconds_total')!).toBeGreaterThan(0.9);
    expect(cli.stderr()).toContain('the downtime is recorded as unobserved');
  });

  it('SIGKILL at random moments never leaves a torn state file', async () => {
    await vllm.start();
    const storage = mkdtempSync(join(tmpdir(), 'llm-cost-state-'));
    let prompt = 1000;
    vllm.set(prompt, 0);
    for (let i = 0; i < 6; i++) {
      cli = await startCli([...args(storage), '--storage.save-interval', '20ms'], ENV);
      expect(cli.stderr()).not.toContain('corrupt');
      prompt += 100;
      vllm.set(prompt, 0);
      await sleep(150 + Math.random() * 300);
      await kill9();
    }
    cli = await startCli(args(storage), ENV);
    const text = await settle();
    expect(cli.stderr()).not.toContain('corrupt');
    expect(sampleValue(text, 'llm_cost_state_corrupt_total')).toBe(0);
    // each kill loses at most one save interval; the last restart recovers all counted tokens
    expect(sampleValue(text, 'llm_cost_tokens_total', { direction: 'prompt' })!).toBeGreaterThan(0);
  });

  it('a corrupt state file: clean start, one warning, the file kept aside, a metric', async () => {
    await vllm.start();
    const storage = mkdtempSync(join(tmpdir(), 'llm-cost-state-'));
    writeFileSync(join(storage, 'state.json'), '{"format":"llm-cost-exporter/state","version":1,"exporter":{"ledger":');
    cli = await startCli(args(storage), ENV);
    const text = await settle();
    expect(sampleValue(text, 'llm_cost_state_corrupt_total')).toBe(1);
    expect(cli.stderr().match(/saved state is corrupt/g)).toHaveLength(1);
    expect(readdirSync(storage).some((f) => f.startsWith('state.json.corrupt-'))).toBe(true);
    expect(existsSync(join(storage, 'state.json'))).toBe(true); // saved anew since
    expect(sampleValue(text, 'llm_cost_state_last_save_timestamp_seconds')!).toBeGreaterThan(Date.now() / 1000 - 60);
  });
});
