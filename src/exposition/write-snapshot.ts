import { BASES } from '../accounting/cost-model.js';
import { WINDOWS } from '../accounting/ring.js';
import type { Snapshot } from '../exporter/snapshot.js';
import type { SeriesWriter } from './exporter-metrics.js';

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

/** Maps a Snapshot onto the catalogue's series. Undefined values are skipped by the writer. */
export function writeSnapshot(s: Snapshot, out: SeriesWriter): void {
  const gpuLabels = new Map(s.gpus.map((g) => [g.uuid, { gpu: String(g.index), uuid: g.uuid }]));

  for (const { name: window } of WINDOWS) {
    const f = s.windows[window];
    out.set('llm_cost_window_covered_seconds', { window }, f.coveredSeconds);
    out.set('llm_cost_utilization_ratio', { source: 'tokens', window }, f.tokenUtilization);
    out.set('llm_cost_utilization_ratio', { source: 'gpu', window }, f.gpuUtilization);
    out.set('llm_cost_tokens_per_second', { direction: 'prompt', window }, f.promptTokensPerSecond);
    out.set('llm_cost_tokens_per_second', { direction: 'generation', window }, f.generationTokensPerSecond);
    out.set('llm_cost_time_to_first_token_seconds', { percentile: '50', window }, f.ttftP50Seconds);
    out.set('llm_cost_time_to_first_token_seconds', { percentile: '95', window }, f.ttftP95Seconds);
    for (const basis of BASES) {
      out.set('llm_cost_window_spend_usd', { basis, window }, f.coveredSeconds > 0 ? f.spendUsd[basis] : undefined);
      out.set('llm_cost_usd_per_million_tokens', { basis, window }, f.usdPerMillionTokens?.[basis]);
      out.set('llm_cost_usd_per_million_output_tokens', { basis, window }, f.usdPerMillionOutputTokens?.[basis]);
    }
    for (const [api_model, a] of Object.entries(f.api)) {
      out.set('llm_cost_api_usd_per_million_tokens', { api_model, window }, a.usdPerMillionTokens);
      for (const basis of BASES) {
        out.set('llm_cost_api_cost_ratio', { api_model, basis, window }, a.costRatio?.[basis]);
        out.set('llm_cost_break_even_utilization_ratio', { api_model, basis, window }, a.breakEvenUtilization?.[basis]);
        out.set('llm_cost_api_savings_usd', { api_model, basis, window }, f.coveredSeconds > 0 ? a.savingsUsd[basis] : undefined);
      }
    }
    for (const [uuid, ratio] of Object.entries(f.gpus)) {
      const labels = gpuLabels.get(uuid);
      if (labels) out.set('llm_cost_gpu_utilization_ratio', { ...labels, window }, ratio);
    }
  }
  out.set('llm_cost_peak_to_trough_ratio', {}, s.peakToTroughRatio);

  const t = s.totals;
  out.set('llm_cost_spend_usd_total', { basis: 'compute' }, t.spendComputeUsd);
  out.set('llm_cost_spend_usd_total', { basis: 'fully_loaded' }, t.spendComputeUsd + t.spendOpsUsd);
  out.set('llm_cost_tokens_total', { direction: 'prompt' }, t.promptTokens);
  out.set('llm_cost_tokens_total', { direction: 'generation' }, t.generationTokens);
  out.set('llm_cost_observed_seconds_total', {}, t.observedSeconds);
  out.set('llm_cost_unobserved_seconds_total', {}, t.unobservedSeconds);
  for (const price of s.inputs.apiPrices) {
    out.set('llm_cost_api_equivalent_spend_usd_total', { api_model: price.id }, t.apiEquivalentUsd[price.id] ?? 0);
  }
  for (const [uuid, g] of Object.entries(t.gpus)) {
    const labels = gpuLabels.get(uuid) ?? { gpu: String(g.index), uuid };
    out.set('llm_cost_gpu_busy_seconds_total', labels, g.busySeconds);
    out.set('llm_cost_gpu_sampled_seconds_total', labels, g.sampledSeconds);
  }
  const modelNames = new Set([...Object.keys(t.models), ...Object.keys(s.models)]);
  for (const model of modelNames) {
    const m = t.models[model];
    out.set('llm_cost_model_tokens_total', { model, direction: 'prompt' }, m?.promptTokens ?? 0);
    out.set('llm_cost_model_tokens_total', { model, direction: 'generation' }, m?.generationTokens ?? 0);
    out.set('llm_cost_model_preemptions_total', { model }, m?.preemptions ?? 0);
    for (const [finished_reason, n] of Object.entries(m?.requests ?? {})) {
      out.set('llm_cost_model_requests_total', { model, finished_reason }, n);
    }
  }
  for (const [model, g] of Object.entries(s.models)) {
    out.set('llm_cost_model_requests_running', { model }, g.running);
    out.set('llm_cost_model_requests_waiting', { model }, g.waiting);
    out.set('llm_cost_model_kv_cache_usage_ratio', { model }, g.kvCacheUsageRatio);
  }

  const i = s.inputs;
  out.set('llm_cost_gpu_hourly_cost_usd', {}, i.gpuHourlyCostUsd);
  out.set('llm_cost_billed_gpus', {}, i.billedGpus);
  out.set('llm_cost_ops_hourly_cost_usd', {}, i.opsHourlyCostUsd);
  out.set('llm_cost_capacity_tokens_per_second', {}, i.capacityTokensPerSecond);
  out.set('llm_cost_break_even_threshold_ratio', {}, i.breakEvenThresholdRatio);
  out.set('llm_cost_ttft_target_seconds', {}, i.ttftTargetSeconds);
  out.set('llm_cost_compare_to_info', { api_model: i.compareTo }, 1);
  out.set('llm_cost_price_table_timestamp_seconds', {}, i.priceTableAsOfSeconds);
  for (const p of i.apiPrices) {
    out.set('llm_cost_api_price_usd_per_million_tokens', { api_model: p.id, token_type: 'input' }, p.input_usd_per_mtok);
    out.set('llm_cost_api_price_usd_per_million_tokens', { api_model: p.id, token_type: 'output' }, p.output_usd_per_mtok);
    out.set('llm_cost_api_price_usd_per_million_tokens', { api_model: p.id, token_type: 'cached_input' }, p.cached_input_usd_per_mtok);
  }

  for (const g of s.gpus) {
    const labels = gpuLabels.get(g.uuid)!;
    out.set('llm_cost_gpu_info', { ...labels, name: g.name ?? '', pci_bus_id: g.last?.pciBusId ?? '' }, 1);
    const r = g.last;
    out.set('llm_cost_gpu_lost', labels, r?.lost ? 1 : 0);
    if (!r || r.lost) continue;
    out.set('llm_cost_nvidia_smi_utilization_gpu_ratio', labels, r.utilizationRatio);
    out.set('llm_cost_nvidia_smi_utilization_memory_ratio', labels, r.memoryUtilizationRatio);
    out.set('llm_cost_nvidia_smi_memory_used_bytes', labels, r.memoryUsedBytes);
    out.set('llm_cost_nvidia_smi_memory_total_bytes', labels, r.memoryTotalBytes);
    out.set('llm_cost_nvidia_smi_power_draw_watts', labels, r.powerDrawWatts ?? r.powerDrawAverageWatts);
    out.set('llm_cost_nvidia_smi_power_limit_watts', labels, r.enforcedPowerLimitWatts ?? r.powerLimitWatts);
    out.set('llm_cost_nvidia_smi_temperature_celsius', labels, r.temperatureCelsius);
    out.set('llm_cost_nvidia_smi_sm_clock_hz', labels, r.smClockHz);
  }

  for (const h of s.health) {
    const labels = { collector: h.collector, target: h.target };
    out.set('llm_cost_collector_up', labels, h.up ? 1 : 0);
    out.set('llm_cost_collector_poll_duration_seconds', labels, h.lastDurationSeconds);
    out.set('llm_cost_collector_last_success_timestamp_seconds', labels, seconds(h.lastSuccessMs));
  }
  out.set('llm_cost_nvidia_smi_restarts_total', {}, s.nvidiaSmiRestarts);
  for (const [target, n] of Object.entries(s.vllmRestarts)) out.set('llm_cost_vllm_restarts_total', { target }, n);
  out.set('llm_cost_last_update_timestamp_seconds', {}, s.atMs / 1000);
  if (s.storage) {
    out.set('llm_cost_state_last_save_timestamp_seconds', {}, seconds(s.storage.lastSaveMs));
    out.set('llm_cost_state_save_errors_total', {}, s.storage.saveErrors);
    out.set('llm_cost_state_corrupt_total', {}, s.storage.corruptLoads);
  }
}
