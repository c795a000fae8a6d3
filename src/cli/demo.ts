import type { Config } from '../config/config.js';
import { ConfigError } from '../config/config-error.js';
import { parseDuration } from '../config/duration.js';
import { flagsFromCommander } from '../config/flags.js';
import { loadConfig } from '../config/load-config.js';
import { DEFAULT_DEMO, DemoHost } from '../simulator/demo-host.js';
import { historyExporterFlags, parseHistoryLabels, simulateHistory, writeOpenMetricsHistory } from '../simulator/history.js';
import { createLogger } from './logger.js';
import { serve, type RunningExporter } from './serve.js';


function positive(key: string, text: string, integer = false): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new ConfigError(`demo.${key}`, `expected a ${integer ? 'whole ' : ''}number greater than 0, got "${text}"`);
  }
  return n;
}

/**
 * `demo`: a simulated GPU host (one A100 at $3.20/h serving a business week of traffic) wired to
 * the real exporter, so a newcomer sees every number without a GPU or vLLM.
 */
export async function runDemo(opts: Record<string, unknown>): Promise<{ running: RunningExporter; host: DemoHost }> {
  const text = (k: string) => String(opts[k]);
  let warmupMs: number;
  try {
    warmupMs = parseDuration(text('warmup'));
  } catch {
    throw new ConfigError('demo.warmup', `expected a duration like 7d, 24h or 0s, got "${text('warmup')}"`);
  }
  if (text('history')) return writeHistory(opts, warmupMs);
  const host = new DemoHost({
    ...DEFAULT_DEMO,
    liveStartMs: Math.floor(Date.now() / 5000) * 5000,
    speed: positive('speed', text('speed')),
    warmupMs,
    gpus: positive('gpus', text('gpus'), true),
    models: text('models').split(',').map((m) => m.trim()).filter(Boolean),
    peakToTrough: positive('peak_to_trough', text('peakToTrough')),
    seed: positive('seed', text('seed'), true),
  });
  await host.start();
  let config: Config;
  try {
    const user = flagsFromCommander(opts);
    const file = typeof user['config'] === 'string' ? user['config'] : undefined;
    config = loadConfig({ file, env: process.env, flags: { ...(process.env['LLM_COST_WEB_LISTEN_ADDRESS'] === undefined && { 'web.listen-address': '127.0.0.1:9787' }), ...host.exporterFlags(), ...user } });
  } catch (error) {
    await host.stop();
    throw error;
  }
  Object.assign(process.env, host.childEnv());
  const logger = createLogger(config.log.level, config.log.format);
  let warmupRealMs = 0;
  const running = await serve({
    config,
    clock: host.sim.clock,
    logger,
    // simulated time must never end up in the state a real `serve` would restore
    persist: false,
    beforeStart: async (exporter) => {
      warmupRealMs = await host.warmUp(exporter);
    },
  });
  await host.waitForGpuRows(running.exporter);
  void host.runLive();
  const base = `http://${config.web.listen_address.startsWith(':') ? '127.0.0.1' : config.web.listen_address.replace(/:\d+$/, '')}:${running.port}`;
  process.stdout.write(
    [
      `llm-cost-exporter demo: a simulated GPU host (${host.options.gpus} x A100 at $${host.options.gpuHourlyCostUsd.toFixed(2)}/h, ${host.capacityTokensPerSecond} tok/s at full load)`,
      `  serving a business week of traffic; ${Math.round(warmupMs / 3_600_000)} h of history replayed in ${(warmupRealMs / 1000).toFixed(1)} s, now live at ${host.options.speed}x`,
      `  status page   ${base}/`,
      `  metrics       ${base}${config.web.telemetry_path}`,
      `  vLLM double   ${host.vllm.url}`,
      `  ground truth  ${host.vllm.url.replace(/\/metrics$/, '/truth')}`,
      '',
    ].join('\n'),
  );
  return { running, host };
}

/** `demo --history <file>`: the simulated history as one OpenMetrics file (docs/backfill.md), then exit 0. */
async function writeHistory(opts: Record<string, unknown>, warmupMs: number): Promise<never> {
  const text = (k: string) => String(opts[k]);
  let stepMs: number;
  try {
    stepMs = parseDuration(text('historyStep'));
  } catch {
    stepMs = NaN;
  }
  if (!(stepMs >= 60_000) || stepMs % 60_000 !== 0) {
    throw new ConfigError('demo.history_step', `expected whole minutes like 60s or 5m, got "${text('historyStep')}"`);
  }
  let labels: Record<string, string>;
  try {
    labels = parseHistoryLabels(text('historyLabels'));
  } catch (error) {
    throw new ConfigError('demo.history_labels', (error as Error).message);
  }
  const host = new DemoHost({
    ...DEFAULT_DEMO,
    liveStartMs: Math.floor(Date.now() / stepMs) * stepMs,
    warmupMs,
    gpus: positive('gpus', text('gpus'), true),
    models: text('models').split(',').map((m) => m.trim()).filter(Boolean),
    peakToTrough: positive('peak_to_trough', text('peakToTrough')),
    seed: positive('seed', text('seed'), true),
  });
  const user = flagsFromCommander(opts);
  const file = typeof user['config'] === 'string' ? user['config'] : undefined;
  const config = loadConfig({ file, env: process.env, flags: { ...historyExporterFlags(host), ...user, 'vllm.targets': historyExporterFlags(host)['vllm.targets']! } });
  const history = await simulateHistory({ host, config, stepMs, labels });
  const written = writeOpenMetricsHistory(history, text('history'));
  const first = history.timesMs[0];
  const last = history.timesMs[history.timesMs.length - 1];
  process.stdout.write(
    [
      `llm-cost-exporter demo: ${Math.round(warmupMs / 3_600_000)} h of simulated history (${host.options.gpus} x A100 at $${host.options.gpuHourlyCostUsd.toFixed(2)}/h) in ${(history.realMs / 1000).toFixed(1)} s`,
      `  wrote ${text('history')}: ${written.series} series, ${written.samples} samples, ${(written.bytes / 1e6).toFixed(1)} MB`,
      `  from ${first === undefined ? '-' : new Date(first).toISOString()} to ${last === undefined ? '-' : new Date(last).toISOString()}, every ${stepMs / 1000} s`,
      `  next: promtool tsdb create-blocks-from openmetrics ${text('history')} <prometheus data dir> (see docs/backfill.md)`,
      '',
    ].join('\n'),
  );
  await host.stop();
  return process.exit(0);
}
