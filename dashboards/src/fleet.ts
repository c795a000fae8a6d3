/**
 * "Fleet": many hosts at once. Every ratio is a ratio of sums of the exporters' counters (or of
 * the recording rules built the same way), never a mean of per-host ratios: a host that serves
 * ten times the tokens weighs ten times as much in the fleet's $/M.
 */
import { RowBuilder, type DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { SEL, UNIT, dashboard, instant, range, stat, steps, table, tableQuery, timeseries, variables } from './shared.js';

const R = '$__range';
const JOB = 'job=~"$job"';
const DASHED = { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } };

const tokens = `sum(increase(llm_cost_tokens_total{${SEL}}[${R}]))`;
const computeSpend = `sum(increase(llm_cost_spend_usd_total{${SEL},basis="compute"}[${R}]))`;
const apiSpend = `sum by (api_model) (increase(llm_cost_api_equivalent_spend_usd_total{${SEL},api_model=~"$api_model"}[${R}]))`;

/** API-equivalent spend of each host's compare_to model over 24h (one series per host). */
const compareToSpend24h = `sum without (api_model) (instance:llm_cost_api_equivalent_spend_usd:increase24h{${SEL}} and on (job, instance, api_model) (llm_cost_compare_to_info{${SEL}} == 1))`;
const computeSpend24h = `sum without (basis) (instance:llm_cost_spend_usd:increase24h{${SEL},basis="compute"})`;

const HOST_COLUMNS: ReadonlyArray<readonly [string, string, string]> = [
  ['$/M tokens (compute)', `sum without (basis) (instance:llm_cost_usd_per_million_tokens:ratio_increase24h{${SEL},basis="compute"})`, UNIT.usd],
  ['$/M tokens (fully loaded)', `sum without (basis) (instance:llm_cost_usd_per_million_tokens:ratio_increase24h{${SEL},basis="fully_loaded"})`, UNIT.usd],
  ['Token utilisation', `instance:llm_cost_token_utilization:ratio_increase24h{${SEL}}`, UNIT.ratio],
  ['GPU utilisation', `instance:llm_cost_gpu_utilization:ratio_increase24h{${SEL}}`, UNIT.ratio],
  ['Spend (compute)', computeSpend24h, UNIT.usd],
  ['API-equivalent (compare_to)', compareToSpend24h, UNIT.usd],
  ['Saved vs compare_to', `${compareToSpend24h} - on (job, instance) ${computeSpend24h}`, UNIT.usd],
];

function hostTable() {
  const panel = table(
    'Hosts over the last 24 hours',
    'One row per host from the 24h recording rules (cheap for thousands of hosts): $/M tokens, utilisation, spend, and money saved against its compare_to API model.',
    UNIT.usd,
  )
    .span(24)
    .height(12);
  const rename: Record<string, string> = {};
  HOST_COLUMNS.forEach(([name, expr, unit], i) => {
    const refId = String.fromCharCode(65 + i);
    panel.withTarget(tableQuery(expr).refId(refId));
    rename[`Value #${refId}`] = name;
    if (unit !== UNIT.usd) panel.overrideByName(name, [{ id: 'unit', value: unit }]);
  });
  return panel
    .withTransformation({ id: 'merge', options: {} })
    .withTransformation({ id: 'organize', options: { excludeByName: { Time: true }, renameByName: rename, indexByName: {} } });
}

/** The "Fleet" dashboard. */
export function fleetDashboard(): DashboardBuilder {
  return dashboard(
    'llm-cost-fleet',
    'LLM cost: fleet',
    'Many GPU hosts at once: fleet $/M tokens, utilisation and savings as ratios of sums of the counters, trends from the recording rules, one row per host.',
    'now-7d',
  )
    .withVariable(variables.datasource())
    .withVariable(variables.job())
    .withVariable(variables.instance())
    .withVariable(variables.apiModel())
    .withRow(new RowBuilder('Fleet over the dashboard range (ratios of sums)'))
    .withPanel(
      stat('Fleet $/M tokens', 'Total spend / total tokens of the selected hosts over the dashboard range: a ratio of sums of the counters, never a mean of per-host ratios.', UNIT.usd)
        .span(6)
        .withTarget(instant(`sum by (basis) (increase(llm_cost_spend_usd_total{${SEL}}[${R}])) / on () group_left () (${tokens} > 0) * 1e6`, '{{basis}}')),
    )
    .withPanel(
      stat('API price at the fleet\'s token mix', 'Total API-equivalent spend / total tokens of the selected hosts over the dashboard range, per API model.', UNIT.usd)
        .span(6)
        .withTarget(instant(`${apiSpend} / on () group_left () (${tokens} > 0) * 1e6`, '{{api_model}}')),
    )
    .withPanel(
      stat('Fleet token utilisation', 'Total tokens / total capacity (each host\'s capacity × its observed seconds) over the dashboard range.', UNIT.ratio)
        .span(4)
        .thresholds(steps([[null, 'red'], [0.6, 'green']]))
        .withTarget(
          instant(
            `${tokens} / (sum(llm_cost_capacity_tokens_per_second{${SEL}} * on (job, instance) increase(llm_cost_observed_seconds_total{${SEL}}[${R}])) > 0)`,
            'tokens',
          ),
        ),
    )
    .withPanel(
      stat('Fleet GPU utilisation', 'Total busy / total sampled GPU seconds of the selected hosts over the dashboard range.', UNIT.ratio)
        .span(4)
        .withTarget(
          instant(`sum(increase(llm_cost_gpu_busy_seconds_total{${SEL}}[${R}])) / (sum(increase(llm_cost_gpu_sampled_seconds_total{${SEL}}[${R}])) > 0)`, 'GPU'),
        ),
    )
    .withPanel(
      stat('Hosts', 'Exporters currently reporting among the selected jobs and instances.', UNIT.count)
        .span(4)
        .withTarget(instant(`count(llm_cost_build_info{${SEL}})`, 'hosts')),
    )
    .withPanel(
      stat('Fleet spend', 'Self-hosted spend of the selected hosts over the dashboard range, per basis.', UNIT.usd)
        .span(6)
        .withTarget(instant(`sum by (basis) (increase(llm_cost_spend_usd_total{${SEL}}[${R}]))`, '{{basis}}')),
    )
    .withPanel(
      stat('Fleet cost ratio (compute)', 'Total compute spend / total API-equivalent spend over the dashboard range: above 1 the API would have been cheaper.', UNIT.times)
        .span(6)
        .thresholds(steps([[null, 'green'], [1, 'red']]))
        .withTarget(instant(`${computeSpend} / on () group_right () (${apiSpend} > 0)`, '{{api_model}}')),
    )
    .withPanel(
      stat('Money saved (+) or lost (−) (compute)', 'Total API-equivalent spend minus total compute spend over the dashboard range: negative means the API would have cost less.', UNIT.usd)
        .span(6)
        .thresholds(steps([[null, 'red'], [0, 'green']]))
        .withTarget(instant(`${apiSpend} - on () group_left () ${computeSpend}`, 'vs {{api_model}}')),
    )
    .withPanel(
      stat('Hosts below their break-even threshold (1h)', 'Hosts whose last-hour token utilisation is under their configured threshold: the condition of LLMCostUtilizationBelowBreakEven.', UNIT.count)
        .span(6)
        .thresholds(steps([[null, 'green'], [1, 'orange']]))
        .withTarget(
          instant(
            `count(instance:llm_cost_token_utilization:ratio_increase1h{${SEL}} < on (job, instance) group_left () llm_cost_break_even_threshold_ratio{${SEL}}) or vector(0)`,
            'hosts',
          ),
        ),
    )
    .withRow(new RowBuilder('Over time (recording rules)'))
    .withPanel(
      timeseries('Fleet $/M tokens vs API (1h)', 'Fleet $/M tokens over a sliding hour from the fleet recording rules (ratios of sums), against the API price at the fleet\'s mix (dashed).', UNIT.usd)
        .span(12)
        .min(0)
        .withTarget(range(`fleet:llm_cost_usd_per_million_tokens:ratio_increase1h{${JOB}}`, '{{job}} {{basis}}'))
        .withTarget(range(`fleet:llm_cost_api_equivalent_usd_per_million_tokens:ratio_increase1h{${JOB},api_model=~"$api_model"}`, '{{job}} API {{api_model}}'))
        .overrideByRegexp('.* API .*', [DASHED]),
    )
    .withPanel(
      timeseries('Fleet utilisation (1h)', 'Fleet token utilisation (total tokens / total capacity) and GPU utilisation (total busy / sampled seconds) over a sliding hour.', UNIT.ratio)
        .span(12)
        .min(0)
        .axisSoftMax(1)
        .withTarget(range(`fleet:llm_cost_token_utilization:ratio_increase1h{${JOB}}`, '{{job}} tokens'))
        .withTarget(range(`fleet:llm_cost_gpu_utilization:ratio_increase1h{${JOB}}`, '{{job}} GPU')),
    )
    .withPanel(
      timeseries('Fleet spend vs API-equivalent spend per hour', 'Self-hosted spend of the fleet over a sliding hour against what the same tokens would have cost on each API (dashed).', UNIT.usd)
        .span(12)
        .min(0)
        .withTarget(range(`fleet:llm_cost_spend_usd:increase1h{${JOB}}`, '{{job}} {{basis}}'))
        .withTarget(range(`fleet:llm_cost_api_equivalent_spend_usd:increase1h{${JOB},api_model=~"$api_model"}`, '{{job}} API {{api_model}}'))
        .overrideByRegexp('.* API .*', [DASHED]),
    )
    .withPanel(
      timeseries('Most expensive hosts: $/M tokens (1h, top 10)', 'The ten selected hosts with the highest compute $/M tokens over a sliding hour: where traffic is too thin for the GPUs it holds.', UNIT.usd)
        .span(12)
        .min(0)
        .withTarget(range(`topk(10, instance:llm_cost_usd_per_million_tokens:ratio_increase1h{${SEL},basis="compute"})`, '{{instance}}')),
    )
    .withRow(new RowBuilder('Per host'))
    .withPanel(hostTable());
}
