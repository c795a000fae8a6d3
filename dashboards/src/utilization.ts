/**
 * "Utilisation": how busy the hosts are in tokens and on the GPUs, per window and per GPU, the
 * shape of the traffic over the week (hour-of-week heatmap, peak-to-trough), queue and KV cache.
 */
import { RowBuilder, type DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { HeatmapCellLayout, VisibilityMode } from '@grafana/grafana-foundation-sdk/common';
import {
  CellValuesBuilder,
  HeatmapColorMode,
  HeatmapColorOptionsBuilder,
  HeatmapColorScale,
  PanelBuilder as HeatmapPanel,
  RowsHeatmapOptionsBuilder,
  YAxisConfigBuilder,
} from '@grafana/grafana-foundation-sdk/heatmap';
import { DS, SEL, UNIT, bars, dashboard, instant, range, stat, steps, timeseries, variables } from './shared.js';

const DASHED = { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } };

/**
 * Hour of week: PromQL cannot group samples by hour of day, and Grafana's heatmap wants one series
 * per row. So row h is its own query, the rate over the h-th hour of each day, taken at a 1-day
 * step: Grafana aligns that step to midnight in the dashboard's time zone and draws each cell as
 * the day that ends at its timestamp, so `offset (23 - h)h` selects hour h of that day.
 */
function hourOfWeekHeatmap(): HeatmapPanel {
  const panel = new HeatmapPanel()
    .datasource(DS)
    .title('Hour-of-week token throughput (last 7 days)')
    .description(
      'Mean tokens/s in each hour of the day (rows, dashboard time zone) of each of the last 7 days (columns): one query per hour, rate over that hour at a 1-day step, since PromQL cannot group by hour of week.',
    )
    .unit(UNIT.tokensPerSecond)
    .span(16)
    .height(10)
    .interval('1d')
    .timeFrom('7d')
    .calculate(false)
    .rowsFrame(new RowsHeatmapOptionsBuilder().layout(HeatmapCellLayout.Unknown))
    .yAxis(new YAxisConfigBuilder().axisLabel('hour of day'))
    .cellValues(new CellValuesBuilder().unit(UNIT.tokensPerSecond))
    .color(
      new HeatmapColorOptionsBuilder()
        .mode(HeatmapColorMode.Scheme)
        .scheme('Oranges')
        .fill('dark-orange')
        .scale(HeatmapColorScale.Exponential)
        .exponent(0.5)
        .steps(64)
        .reverse(false),
    )
    .showValue(VisibilityMode.Never)
    .showLegend();
  for (let hour = 0; hour < 24; hour++) {
    const offset = 23 - hour === 0 ? '' : ` offset ${23 - hour}h`;
    panel.withTarget(range(`sum(rate(llm_cost_tokens_total{${SEL}}[1h]${offset}))`, String(hour)));
  }
  return panel;
}

/** The "Utilisation" dashboard. */
export function utilizationDashboard(): DashboardBuilder {
  return dashboard(
    'llm-cost-utilization',
    'LLM cost: utilisation',
    'Token and GPU utilisation per window and per GPU, hour-of-week traffic, peak-to-trough, queue depth and KV cache.',
    'now-24h',
  )
    .withVariable(variables.datasource())
    .withVariable(variables.job())
    .withVariable(variables.instance())
    .withVariable(variables.gpu())
    .withVariable(variables.model())
    .withVariable(variables.window('1h'))
    .withRow(new RowBuilder('Utilisation'))
    .withPanel(
      timeseries(
        'Token and GPU utilisation ($window)',
        'Token utilisation (tokens served / capacity) and mean nvidia-smi GPU utilisation over the $window window, with the break-even alert threshold (dashed).',
        UNIT.ratio,
      )
        .span(16)
        .min(0)
        .axisSoftMax(1)
        .withTarget(range(`llm_cost_utilization_ratio{${SEL},window="$window"}`, '{{source}} · {{instance}}'))
        .withTarget(range(`llm_cost_break_even_threshold_ratio{${SEL}}`, 'alert threshold · {{instance}}'))
        .overrideByRegexp('^alert threshold.*', [DASHED]),
    )
    .withPanel(
      bars('Utilisation per window', 'Token and GPU utilisation over each window the exporter keeps (5m, 1h, 24h, 7d); red below the default 60% threshold.', UNIT.ratio)
        .span(8)
        .min(0)
        .max(1)
        .thresholds(steps([[null, 'red'], [0.6, 'green']]))
        .withTarget(instant(`llm_cost_utilization_ratio{${SEL}}`, '{{source}} {{window}} · {{instance}}')),
    )
    .withPanel(
      timeseries('GPU utilisation per GPU ($window)', 'Time-weighted mean of nvidia-smi utilization.gpu of each GPU over the $window window; a GPU without readings (MIG) has no line.', UNIT.ratio)
        .span(12)
        .min(0)
        .max(1)
        .withTarget(range(`llm_cost_gpu_utilization_ratio{${SEL},gpu=~"$gpu",window="$window"}`, 'GPU {{gpu}} · {{instance}}')),
    )
    .withPanel(
      bars('GPU utilisation per GPU over the range', 'Busy / sampled seconds of each GPU over the dashboard range, from the counters.', UNIT.ratio)
        .span(12)
        .min(0)
        .max(1)
        .withTarget(
          instant(
            `increase(llm_cost_gpu_busy_seconds_total{${SEL},gpu=~"$gpu"}[$__range]) / (increase(llm_cost_gpu_sampled_seconds_total{${SEL},gpu=~"$gpu"}[$__range]) > 0)`,
            'GPU {{gpu}} · {{instance}}',
          ),
        ),
    )
    .withRow(new RowBuilder('Traffic shape'))
    .withPanel(hourOfWeekHeatmap())
    .withPanel(
      stat(
        'Peak-to-trough ratio',
        '95th over 5th percentile of hourly token throughput on weekdays of the last 7 days: capacity sized for the peak idles this many times over in the trough.',
        UNIT.times,
      )
        .span(8)
        .height(10)
        .withTarget(instant(`llm_cost_peak_to_trough_ratio{${SEL}}`, '{{instance}}')),
    )
    .withPanel(
      timeseries('Token throughput by model', 'Tokens served per second per vLLM model (prompt + generation, from the counters) against the configured capacity (dashed).', UNIT.tokensPerSecond)
        .span(24)
        .min(0)
        .withTarget(range(`sum by (model) (rate(llm_cost_model_tokens_total{${SEL},model=~"$model"}[$__rate_interval]))`, '{{model}}'))
        .withTarget(range(`sum(llm_cost_capacity_tokens_per_second{${SEL}})`, 'capacity'))
        .overrideByName('capacity', [DASHED]),
    )
    .withRow(new RowBuilder('Queue and KV cache'))
    .withPanel(
      timeseries('Requests waiting and running', 'Requests in vLLM\'s queue and in its running batch, per model: a queue that does not drain means the host is saturated.', UNIT.count)
        .span(12)
        .min(0)
        .withTarget(range(`sum by (model) (llm_cost_model_requests_waiting{${SEL},model=~"$model"})`, 'waiting · {{model}}'))
        .withTarget(range(`sum by (model) (llm_cost_model_requests_running{${SEL},model=~"$model"})`, 'running · {{model}}')),
    )
    .withPanel(
      timeseries('KV-cache usage', 'Share of vLLM\'s KV cache in use, per model and host (averaged over engines); near 100% vLLM preempts requests.', UNIT.ratio)
        .span(12)
        .min(0)
        .max(1)
        .withTarget(range(`llm_cost_model_kv_cache_usage_ratio{${SEL},model=~"$model"}`, '{{model}} · {{instance}}')),
    );
}
