/**
 * What every llm-cost dashboard shares: the datasource reference, the selector of the chosen
 * exporters, the template variables, query builders and panel factories that never leave out a
 * title, a description or a unit.
 */
import {
  AnnotationQueryBuilder,
  CustomVariableBuilder,
  DashboardBuilder,
  DashboardLinkBuilder,
  DashboardLinkType,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as BarGaugePanel } from '@grafana/grafana-foundation-sdk/bargauge';
import {
  BarGaugeDisplayMode,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  SortOrder,
  TooltipDisplayMode,
  VizLegendOptionsBuilder,
  VizOrientation,
  VizTooltipOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TextPanel, TextMode } from '@grafana/grafana-foundation-sdk/text';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';

/** Panels and variables query the datasource picked in the `datasource` variable. */
export const DS = { type: 'prometheus', uid: '${datasource}' };

/** Matchers of the exporters chosen in the job and instance variables. */
export const SEL = 'job=~"$job",instance=~"$instance"';

/** Grafana unit ids used by the dashboards. */
export const UNIT = {
  usd: 'currencyUSD',
  ratio: 'percentunit',
  times: 'suffix:x',
  seconds: 's',
  tokensPerSecond: 'suffix: tok/s',
  count: 'short',
  perSecond: 'suffix: /s',
  requestsPerSecond: 'reqps',
  date: 'dateTimeAsIso',
} as const;

/** A range query (a time series). */
export function range(expr: string, legend = '__auto'): DataqueryBuilder {
  return new DataqueryBuilder().datasource(DS).expr(expr).range().legendFormat(legend);
}

/** An instant query (one value per series: stats, bar gauges). */
export function instant(expr: string, legend = '__auto'): DataqueryBuilder {
  return new DataqueryBuilder().datasource(DS).expr(expr).instant().legendFormat(legend);
}

/** An instant query in table format (one row per series, its labels as columns). */
export function tableQuery(expr: string): DataqueryBuilder {
  return new DataqueryBuilder().datasource(DS).expr(expr).instant().format(PromQueryFormat.Table);
}

/** Colour steps from a base colour: `[[null, 'green'], [0.6, 'red']]`. */
export function steps(list: ReadonlyArray<readonly [number | null, string]>): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder()
    .mode(ThresholdsMode.Absolute)
    .steps(list.map(([value, color]) => ({ value, color })));
}

/** A time series panel with a visible legend and a shared tooltip. */
export function timeseries(title: string, description: string, unit: string): TimeseriesPanel {
  return new TimeseriesPanel()
    .datasource(DS)
    .title(title)
    .description(description)
    .unit(unit)
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom))
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending));
}

/** A stat panel showing the last value of each series. */
export function stat(title: string, description: string, unit: string): StatPanel {
  return new StatPanel()
    .datasource(DS)
    .title(title)
    .description(description)
    .unit(unit)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
}

/** A horizontal bar gauge, one bar per series. */
export function bars(title: string, description: string, unit: string): BarGaugePanel {
  return new BarGaugePanel()
    .datasource(DS)
    .title(title)
    .description(description)
    .unit(unit)
    .orientation(VizOrientation.Horizontal)
    .displayMode(BarGaugeDisplayMode.Gradient)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
}

/** A table panel. */
export function table(title: string, description: string, unit: string): TablePanel {
  return new TablePanel().datasource(DS).title(title).description(description).unit(unit);
}

/** A markdown text panel (no query, no unit: it explains the panels around it). */
export function text(title: string, description: string, markdown: string): TextPanel {
  return new TextPanel().title(title).description(description).mode(TextMode.Markdown).content(markdown);
}

function labelValues(name: string, label: string, query: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(DS)
    .query(query)
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.NaturalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ text: 'All', value: '$__all' });
}

/** The template variables; each dashboard takes the ones its panels use. */
export const variables = {
  datasource: () => new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'),
  job: () => labelValues('job', 'Job', 'label_values(llm_cost_build_info, job)'),
  instance: () => labelValues('instance', 'Instance', 'label_values(llm_cost_build_info{job=~"$job"}, instance)'),
  model: () => labelValues('model', 'Model', `label_values(llm_cost_model_tokens_total{${SEL}}, model)`),
  gpu: () => labelValues('gpu', 'GPU', `label_values(llm_cost_gpu_info{${SEL}}, gpu)`),
  apiModel: () => labelValues('api_model', 'API model', `label_values(llm_cost_api_price_usd_per_million_tokens{${SEL}}, api_model)`),
  window: (current: string) =>
    new CustomVariableBuilder('window')
      .label('Window')
      .description('Window of the per-window gauges the exporter keeps (5m, 1h, 24h, 7d).')
      .values('5m,1h,24h,7d')
      .current({ text: current, value: current }),
  basis: () =>
    new CustomVariableBuilder('basis')
      .label('Basis')
      .description('compute: the GPUs only; fully_loaded: GPUs plus the ops labour of ops.fte.')
      .values('compute,fully_loaded')
      .current({ text: 'compute', value: 'compute' }),
};

/** A dashboard with the settings every llm-cost dashboard shares. */
export function dashboard(uid: string, title: string, description: string, from: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['llm-cost', 'vllm', 'gpu'])
    .time({ from, to: 'now' })
    .refresh('1m')
    // Grafana's built-in "Annotations & Alerts": the SDK would otherwise write `annotations: {}`.
    .annotation(
      new AnnotationQueryBuilder()
        .name('Annotations & Alerts')
        .datasource({ type: 'grafana', uid: '-- Grafana --' })
        .builtIn(1)
        .enable(true)
        .hide(true)
        .iconColor('rgba(0, 211, 255, 1)')
        .type('dashboard'),
    )
    .link(
      new DashboardLinkBuilder('LLM cost')
        .type(DashboardLinkType.Dashboards)
        .tags(['llm-cost'])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    );
}
