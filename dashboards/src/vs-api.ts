/**
 * "Self-hosted vs API": the realised price of a self-hosted token beside the list price of the
 * same traffic on an API, the cost ratio, break-even against actual utilisation and the money
 * saved or lost. Range figures come from the counters, so they are right for several hosts.
 */
import { RowBuilder, type DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { GraphThresholdsStyleConfigBuilder, GraphThresholdsStyleMode } from '@grafana/grafana-foundation-sdk/common';
import { SEL, UNIT, bars, dashboard, instant, range, stat, steps, table, tableQuery, text, timeseries, variables } from './shared.js';

const R = '$__range';
const DASHED = { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } };

/** Spend of the chosen basis, tokens, API-equivalent spend and capacity over the dashboard range. */
const spend = `sum(increase(llm_cost_spend_usd_total{${SEL},basis="$basis"}[${R}]))`;
const tokens = `sum(increase(llm_cost_tokens_total{${SEL}}[${R}]))`;
const apiSpend = `sum by (api_model) (increase(llm_cost_api_equivalent_spend_usd_total{${SEL},api_model=~"$api_model"}[${R}]))`;
const capacityTokens = `sum(llm_cost_capacity_tokens_per_second{${SEL}} * on (job, instance) increase(llm_cost_observed_seconds_total{${SEL}}[${R}]))`;

const HOW_TO_READ = [
  '**How to read this dashboard.** The GPUs are paid for every hour; an API bills only the tokens it serves.',
  'So the realised price of a self-hosted token falls as utilisation rises: the solid self-hosted lines drop',
  'below the dashed API lines once token utilisation exceeds the *break-even utilisation*, the utilisation at',
  'which both cost the same for this prompt/generation mix (utilisation × cost ratio). Below break-even the cost',
  'ratio is above 1 and the money saved is negative: the same traffic would have cost less on that API.',
  'Figures over the dashboard range are ratios of sums of the exporter\'s counters, so they hold for one host',
  'or a whole fleet.',
].join('\n');

/** The "Self-hosted vs API" dashboard. */
export function vsApiDashboard(): DashboardBuilder {
  return dashboard(
    'llm-cost-vs-api',
    'LLM cost: self-hosted vs API',
    'Realised $ per million self-hosted tokens against the API list price of the same traffic, break-even utilisation and money saved or lost.',
    'now-24h',
  )
    .withVariable(variables.datasource())
    .withVariable(variables.job())
    .withVariable(variables.instance())
    .withVariable(variables.apiModel())
    .withVariable(variables.basis())
    .withVariable(variables.window('1h'))
    .withRow(new RowBuilder('Price per million tokens'))
    .withPanel(
      timeseries(
        'Realised $/M tokens vs API list price ($window)',
        'Cost of a million self-hosted tokens (compute and fully loaded) and what the same prompt/generation mix costs at each API model\'s list price (dashed), over the $window window.',
        UNIT.usd,
      )
        .span(16)
        .min(0)
        .withTarget(range(`llm_cost_usd_per_million_tokens{${SEL},window="$window"}`, 'self-hosted {{basis}} · {{instance}}'))
        .withTarget(range(`llm_cost_api_usd_per_million_tokens{${SEL},api_model=~"$api_model",window="$window"}`, 'API {{api_model}} · {{instance}}'))
        .overrideByRegexp('^API .*', [DASHED]),
    )
    .withPanel(
      stat(
        '$/M tokens over the dashboard range',
        'Spend / tokens over the whole dashboard range from the counters (a ratio of sums, right for any number of hosts), and each API at the same token mix.',
        UNIT.usd,
      )
        .span(8)
        .withTarget(instant(`sum by (basis) (increase(llm_cost_spend_usd_total{${SEL}}[${R}])) / on () group_left () (${tokens} > 0) * 1e6`, 'self-hosted {{basis}}'))
        .withTarget(instant(`${apiSpend} / on () group_left () (${tokens} > 0) * 1e6`, 'API {{api_model}}')),
    )
    .withRow(new RowBuilder('Cost ratio and break-even'))
    .withPanel(
      timeseries(
        'Cost ratio: self-hosted / API ($basis, $window)',
        'Self-hosted spend divided by the API price of the same traffic over the $window window: above 1 (red line) the API would have been cheaper.',
        UNIT.times,
      )
        .span(12)
        .min(0)
        .thresholds(steps([[null, 'green'], [1, 'red']]))
        .thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Dashed))
        .withTarget(range(`llm_cost_api_cost_ratio{${SEL},api_model=~"$api_model",basis="$basis",window="$window"}`, '{{api_model}} · {{instance}}')),
    )
    .withPanel(
      timeseries(
        'Break-even utilisation vs token utilisation ($basis, $window)',
        'Token utilisation at which self-hosting costs what each API charges for this mix (utilisation × cost ratio), the utilisation reached, and the alert threshold (dashed).',
        UNIT.ratio,
      )
        .span(12)
        .min(0)
        .withTarget(range(`llm_cost_break_even_utilization_ratio{${SEL},api_model=~"$api_model",basis="$basis",window="$window"}`, 'break-even vs {{api_model}} · {{instance}}'))
        .withTarget(range(`llm_cost_utilization_ratio{${SEL},source="tokens",window="$window"}`, 'token utilisation · {{instance}}'))
        .withTarget(range(`llm_cost_break_even_threshold_ratio{${SEL}}`, 'alert threshold · {{instance}}'))
        .overrideByRegexp('^alert threshold.*', [DASHED]),
    )
    .withPanel(
      bars(
        'Utilisation and break-even over the range ($basis)',
        'Token utilisation over the dashboard range, and the utilisation at which self-hosting would cost what each API charges: both from the counters.',
        UNIT.ratio,
      )
        .span(8)
        .min(0)
        .max(1)
        .withTarget(instant(`${tokens} / (${capacityTokens} > 0)`, 'token utilisation'))
        .withTarget(
          instant(
            `${spend} / (${capacityTokens} > 0) * on () group_right () (${tokens} / on () group_right () (${apiSpend} > 0))`,
            'break-even vs {{api_model}}',
          ),
        ),
    )
    .withPanel(
      stat(
        'Cost ratio over the range ($basis)',
        'Self-hosted spend / API-equivalent spend over the dashboard range, from the counters: above 1 the API would have been cheaper.',
        UNIT.times,
      )
        .span(8)
        .thresholds(steps([[null, 'green'], [1, 'red']]))
        .withTarget(instant(`${spend} / on () group_right () (${apiSpend} > 0)`, '{{api_model}}')),
    )
    .withPanel(
      stat(
        'Money saved (+) or lost (−) over the range ($basis)',
        'API-equivalent spend minus self-hosted spend over the dashboard range, from the counters: negative means the API would have cost less.',
        UNIT.usd,
      )
        .span(8)
        .thresholds(steps([[null, 'red'], [0, 'green']]))
        .withTarget(instant(`${apiSpend} - on () group_left () ${spend}`, 'vs {{api_model}}')),
    )
    .withPanel(
      timeseries(
        'Money saved per hour ($basis)',
        'API-equivalent spend minus self-hosted spend per hour, over a sliding hour: below zero (red) the API would have been cheaper.',
        UNIT.usd,
      )
        .span(12)
        .thresholds(steps([[null, 'red'], [0, 'green']]))
        .thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Dashed))
        .withTarget(
          range(
            `sum by (api_model) (increase(llm_cost_api_equivalent_spend_usd_total{${SEL},api_model=~"$api_model"}[1h])) - on () group_left () sum(increase(llm_cost_spend_usd_total{${SEL},basis="$basis"}[1h]))`,
            'vs {{api_model}}',
          ),
        ),
    )
    .withPanel(text('How to read this dashboard', 'What the panels above mean and how break-even follows from them.', HOW_TO_READ).span(12).height(9))
    .withRow(new RowBuilder('Inputs'))
    .withPanel(
      stat('GPU cost per hour', 'Configured GPU cost of the selected hosts per hour (gpu.hourly_cost_usd × billed GPUs, or instance.hourly_cost_usd).', UNIT.usd)
        .span(4)
        .withTarget(instant(`sum(llm_cost_gpu_hourly_cost_usd{${SEL}})`, 'GPUs')),
    )
    .withPanel(
      stat('Ops cost per hour', 'Ops labour of the selected hosts per hour (ops.fte × ops.annual_cost_usd / 8760); 0 when not configured.', UNIT.usd)
        .span(4)
        .withTarget(instant(`sum(llm_cost_ops_hourly_cost_usd{${SEL}})`, 'ops')),
    )
    .withPanel(
      stat('Capacity', 'Configured prompt+generation tokens per second at full load, summed over the selected hosts.', UNIT.tokensPerSecond)
        .span(4)
        .withTarget(instant(`sum(llm_cost_capacity_tokens_per_second{${SEL}})`, 'capacity')),
    )
    .withPanel(
      stat('Prompt share of tokens', 'Share of prompt tokens over the dashboard range: the mix at which the API list prices are blended.', UNIT.ratio)
        .span(4)
        .withTarget(instant(`sum(increase(llm_cost_tokens_total{${SEL},direction="prompt"}[${R}])) / (${tokens} > 0)`, 'prompt')),
    )
    .withPanel(
      stat('Price table date', 'Date of the API price table the exporter prices with: list prices change, check them before quoting.', UNIT.date)
        .span(8)
        .withTarget(instant(`max(llm_cost_price_table_timestamp_seconds{${SEL}}) * 1000`, 'price table')),
    )
    .withPanel(
      table('API list prices', 'List prices the exporter prices with, USD per million tokens, per API model and token type.', UNIT.usd)
        .span(24)
        .height(7)
        .withTarget(tableQuery(`max by (api_model, token_type) (llm_cost_api_price_usd_per_million_tokens{${SEL},api_model=~"$api_model"})`))
        .withTransformation({ id: 'groupingToMatrix', options: { columnField: 'token_type', rowField: 'api_model', valueField: 'Value' } }),
    );
}
