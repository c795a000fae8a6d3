/**
 * "Latency and capacity": time to first token against the 100-300 ms that hosted APIs answer in
 * and against the configured target, throughput against capacity, preemptions.
 */
import { RowBuilder, type DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { GraphThresholdsStyleConfigBuilder, GraphThresholdsStyleMode } from '@grafana/grafana-foundation-sdk/common';
import { SEL, UNIT, dashboard, instant, range, stat, steps, timeseries, variables } from './shared.js';

const DASHED_RED = [
  { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
  { id: 'color', value: { mode: 'fixed', fixedColor: 'red' } },
];

/** Hosted APIs answer in 100-300 ms: shaded green, slower than that shaded orange. */
const API_BAND = steps([[null, 'transparent'], [0.1, 'green'], [0.3, 'orange']]);

function vllmQuantile(metric: string): string {
  return `histogram_quantile(0.95, sum by (le, model_name) (rate(${metric}{model_name=~"$model"}[$__rate_interval])))`;
}

/** The "Latency and capacity" dashboard. */
export function latencyDashboard(): DashboardBuilder {
  return dashboard(
    'llm-cost-latency',
    'LLM cost: latency and capacity',
    'Time to first token against the API band and the configured target, throughput against capacity, preemptions.',
    'now-6h',
  )
    .withVariable(variables.datasource())
    .withVariable(variables.job())
    .withVariable(variables.instance())
    .withVariable(variables.model())
    .withVariable(variables.window('5m'))
    .withRow(new RowBuilder('Time to first token'))
    .withPanel(
      timeseries(
        'TTFT p50 and p95 vs the API band ($window)',
        'Time to first token over the $window window (vLLM\'s histogram, all models) against the 100-300 ms hosted APIs answer in (green band) and the alert target (dashed red).',
        UNIT.seconds,
      )
        .span(16)
        .min(0)
        .thresholds(API_BAND)
        .thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.DashedAndArea))
        .withTarget(range(`llm_cost_time_to_first_token_seconds{${SEL},window="$window"}`, 'p{{percentile}} · {{instance}}'))
        .withTarget(range(`llm_cost_ttft_target_seconds{${SEL}}`, 'target · {{instance}}'))
        .overrideByRegexp('^target.*', DASHED_RED),
    )
    .withPanel(
      stat('TTFT p95 now and target', 'The last 5 minutes\' p95 time to first token of each host (green inside the API band, up to 300 ms) and its configured alert target.', UNIT.seconds)
        .span(8)
        .thresholds(steps([[null, 'green'], [0.3, 'orange']]))
        .withTarget(instant(`llm_cost_time_to_first_token_seconds{${SEL},percentile="95",window="5m"}`, 'p95 · {{instance}}'))
        .withTarget(instant(`llm_cost_ttft_target_seconds{${SEL}}`, 'target · {{instance}}')),
    )
    .withPanel(
      timeseries('TTFT p95 per model (vLLM)', 'From vLLM\'s own histogram where Prometheus also scrapes vLLM (filtered by model, not by exporter instance).', UNIT.seconds)
        .span(12)
        .min(0)
        .thresholds(API_BAND)
        .thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.DashedAndArea))
        .withTarget(range(vllmQuantile('vllm:time_to_first_token_seconds_bucket'), '{{model_name}}')),
    )
    .withPanel(
      timeseries('Queue time p95 per model (vLLM)', 'Time requests wait in vLLM\'s queue before they are scheduled (vLLM\'s own histogram): growing queue time means the host is at capacity.', UNIT.seconds)
        .span(12)
        .min(0)
        .withTarget(range(vllmQuantile('vllm:request_queue_time_seconds_bucket'), '{{model_name}}')),
    )
    .withRow(new RowBuilder('Throughput and capacity'))
    .withPanel(
      timeseries('Throughput vs capacity', 'Tokens served per second (prompt + generation, from the counters) against the configured capacity at full load (dashed red).', UNIT.tokensPerSecond)
        .span(12)
        .min(0)
        .withTarget(range(`sum without (direction) (rate(llm_cost_tokens_total{${SEL}}[$__rate_interval]))`, 'served · {{instance}}'))
        .withTarget(range(`llm_cost_capacity_tokens_per_second{${SEL}}`, 'capacity · {{instance}}'))
        .overrideByRegexp('^capacity.*', DASHED_RED),
    )
    .withPanel(
      stat('Token utilisation (5m)', 'Tokens served over the last 5 minutes / capacity: the headroom left before requests queue.', UNIT.ratio)
        .span(6)
        .min(0)
        .max(1)
        .thresholds(steps([[null, 'green'], [0.9, 'orange']]))
        .withTarget(instant(`llm_cost_utilization_ratio{${SEL},source="tokens",window="5m"}`, '{{instance}}')),
    )
    .withPanel(
      stat('Preemptions over the range', 'Requests vLLM preempted (KV cache full) over the dashboard range, all selected models and hosts.', UNIT.count)
        .span(6)
        .thresholds(steps([[null, 'green'], [1, 'orange']]))
        .withTarget(instant(`sum(increase(llm_cost_model_preemptions_total{${SEL},model=~"$model"}[$__range]))`, 'preemptions')),
    )
    .withPanel(
      timeseries('Preemptions per second by model', 'vLLM preempting running requests because the KV cache is full: the host is past its useful capacity.', UNIT.perSecond)
        .span(12)
        .min(0)
        .withTarget(range(`sum by (model) (rate(llm_cost_model_preemptions_total{${SEL},model=~"$model"}[$__rate_interval]))`, '{{model}}')),
    )
    .withPanel(
      timeseries('Finished requests by reason', 'Requests finished per second by finished_reason (stop, length, abort, ...), per model.', UNIT.requestsPerSecond)
        .span(12)
        .min(0)
        .withTarget(
          range(`sum by (model, finished_reason) (rate(llm_cost_model_requests_total{${SEL},model=~"$model"}[$__rate_interval]))`, '{{finished_reason}} · {{model}}'),
        ),
    );
}
