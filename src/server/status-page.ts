import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';
import type { WindowFigures } from '../accounting/cost-model.js';
import type { HistoryPoint } from '../accounting/history.js';
import { WINDOWS, type WindowName } from '../accounting/ring.js';
import type { Snapshot } from '../exporter/snapshot.js';

/**
 * The live status page at `/`: rendered here, on the server, from the latest Snapshot, so the
 * first paint has every number, the page reads without JavaScript (curl, lynx on a GPU host), and
 * one function decides what is shown. The browser script (status-page/status.js) refreshes by
 * fetching this same page again and swapping the `data-live` regions, and draws the charts with
 * uPlot from the `chart-data` JSON embedded in it. All assets are served locally.
 *
 * Every number carries `data-metric` (the series it is, by its Prometheus name), one `data-*`
 * attribute per label, and `data-value` (the exact value, as /metrics prints it) when defined.
 * An undefined value (no tokens yet, no capacity configured) shows "—" with a reason, never 0.
 */
export function renderStatusPage(s: Snapshot | undefined, telemetryPath: string): string {
  const title = s ? pageTitle(s) : 'Waiting for the first cycle · llm-cost-exporter';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="${assetHref('uPlot.min.css')}"><link rel="stylesheet" href="${assetHref('status.css')}">
</head><body>
<header class="top"><div><h1>llm-cost-exporter</h1><p class="sub">What a self-hosted token really costs on this host, next to the API price for the same traffic.</p></div>
<div class="controls"><span id="conn" class="conn">Live updates need JavaScript; reload to refresh.</span>
<button id="pause" type="button" hidden>Pause</button><button id="refresh" type="button" hidden>Refresh now</button></div></header>
<main>
${s ? renderBody(s, telemetryPath) : renderWaiting(telemetryPath)}
</main>
<script src="${assetHref('uPlot.iife.min.js')}" defer></script><script src="${assetHref('status.js')}" defer></script>
</body></html>
`;
}

function renderWaiting(telemetryPath: string): string {
  return `<section id="verdict" class="verdict" data-live data-at-ms="">
<p class="lead">Waiting for the first accounting cycle: the exporter has not polled vLLM and nvidia-smi yet. This page updates by itself.</p>
</section>
${chartSection('null')}
${footer(telemetryPath)}`;
}

function renderBody(s: Snapshot, telemetryPath: string): string {
  return `${renderVerdict(s)}
${renderCharts(s)}
${renderWindows(s)}
${renderHealth(s)}
${renderInputs(s)}
${footer(telemetryPath)}`;
}

function footer(telemetryPath: string): string {
  return `<footer class="foot"><a href="${esc(telemetryPath)}">Prometheus metrics</a> · <a href="api/status">Status JSON</a> · <a href="-/ready">Readiness</a>
<span class="legend-na">— means “not defined yet” (for example no tokens served in the window); hover it for the reason.</span></footer>`;
}

// ---------------------------------------------------------------------------------------------
// Headline

const WINDOW_WORDS: Record<WindowName, string> = { '5m': 'the last 5 minutes', '1h': 'the last hour', '24h': 'the last 24 hours', '7d': 'the last 7 days' };

/**
 * The window the headline speaks about: the last hour (it holds the last 5 minutes, so it has
 * tokens whenever any shorter window does, and it is steadier).
 */
function headlineWindow(_s: Snapshot): WindowName {
  return '1h';
}

function pageTitle(s: Snapshot): string {
  const f = s.windows[headlineWindow(s)];
  const usd = defined(f.usdPerMillionTokens?.compute);
  const ratio = defined(f.api[s.inputs.compareTo]?.costRatio?.compute);
  if (usd === undefined) return 'No tokens yet · llm-cost-exporter';
  return `$${fmtUsd(usd)}/M${ratio === undefined ? '' : ` · ${fmtRatio(ratio)} ${s.inputs.compareTo}`} · llm-cost-exporter`;
}

function renderVerdict(s: Snapshot): string {
  const w = headlineWindow(s);
  const f = s.windows[w];
  const ref = s.inputs.compareTo;
  const a = f.api[ref];
  const ops = s.inputs.opsHourlyCostUsd > 0;
  const usd = defined(f.usdPerMillionTokens?.compute);
  const ratio = defined(a?.costRatio?.compute);
  const be = defined(a?.breakEvenUtilization?.compute);
  const util = defined(f.tokenUtilization);
  const wl = { window: w };
  const covered = f.coveredSeconds;
  const full = WINDOWS.find((x) => x.name === w)!.durationMs / 1000;
  const span = `${WINDOW_WORDS[w]}${covered > 0 && covered < full * 0.98 ? ` (${fmtDuration(covered)} observed so far)` : ''}`;

  let tone = 'neutral';
  let badge = '';
  const sentences: string[] = [];
  if (usd === undefined) {
    const hourly = s.inputs.gpuHourlyCostUsd;
    sentences.push(
      covered > 0
        ? `No tokens were served over ${span}. The GPUs still cost ${hourly === undefined ? 'their hourly rate' : `<b>$${fmtUsd(hourly)} per hour</b>`} busy or idle; the price per token appears with the first tokens served.`
        : `Nothing observed yet over ${WINDOW_WORDS[w]}: the first figures appear after a few polls.`,
    );
  } else {
    let first = `Over ${span}, self-hosting cost ${num('llm_cost_usd_per_million_tokens', { basis: 'compute', ...wl }, usd, (v) => `$${fmtUsd(v)}`)} per million tokens`;
    if (ratio !== undefined) {
      const apiUsd = defined(a?.usdPerMillionTokens);
      const at = apiUsd === undefined ? '' : ` ($${fmtUsd(apiUsd)}/M at this prompt/output mix)`;
      const r = num('llm_cost_api_cost_ratio', { api_model: ref, basis: 'compute', ...wl }, ratio, fmtRatio);
      if (ratio > 1.005) {
        first += `: ${r} what <b>${esc(ref)}</b> would have charged for the same traffic${at}.`;
        tone = 'bad';
        badge = `Self-hosting costs more than ${esc(ref)}`;
      } else if (ratio < 0.995) {
        first += `: ${r} what <b>${esc(ref)}</b> would have charged for the same traffic${at}, ${fmtPct(1 - ratio)} less.`;
        tone = 'good';
        badge = `Self-hosting is cheaper than ${esc(ref)}`;
      } else {
        first += `: ${r}, about what <b>${esc(ref)}</b> would have charged for the same traffic${at}.`;
        badge = `At parity with ${esc(ref)}`;
      }
    } else first += '.';
    sentences.push(first);
    if (be !== undefined && util !== undefined) {
      const beHtml = num('llm_cost_break_even_utilization_ratio', { api_model: ref, basis: 'compute', ...wl }, be, fmtPct);
      const utilHtml = num('llm_cost_utilization_ratio', { source: 'tokens', ...wl }, util, fmtPct);
      sentences.push(
        be > 1
          ? `Break-even would need ${beHtml} token utilisation, more than the configured capacity: at this mix the API is cheaper even at full load. You are at ${utilHtml}.`
          : `Break-even is ${beHtml} token utilisation; you are at ${utilHtml}.`,
      );
    } else if (util === undefined) {
      sentences.push('Set <code>capacity.tokens_per_second</code> to see utilisation and the break-even point.');
    }
    if (ops) {
      const fl = defined(f.usdPerMillionTokens?.fully_loaded);
      const flr = defined(a?.costRatio?.fully_loaded);
      sentences.push(
        `With ops labour ($${fmtUsd(s.inputs.opsHourlyCostUsd)}/h) a million tokens cost ${num('llm_cost_usd_per_million_tokens', { basis: 'fully_loaded', ...wl }, fl, (v) => `$${fmtUsd(v)}`)}${flr === undefined ? '' : `, ${num('llm_cost_api_cost_ratio', { api_model: ref, basis: 'fully_loaded', ...wl }, flr, fmtRatio)} the API`}.`,
      );
    }
  }

  const savings = a && covered > 0 ? a.savingsUsd.compute : undefined;
  const tiles = [
    tile(
      num('llm_cost_usd_per_million_tokens', { basis: 'compute', ...wl }, usd, (v) => `$${fmtUsd(v)}`, 'no tokens served yet'),
      'per million tokens, self-hosted: GPU cost ÷ tokens served',
    ),
    tile(
      num('llm_cost_api_cost_ratio', { api_model: ref, basis: 'compute', ...wl }, ratio, fmtRatio, 'no tokens served yet'),
      `of ${esc(ref)}’s price for the same traffic; below 1× self-hosting is cheaper`,
      ratio === undefined ? '' : ratio > 1.005 ? 'bad' : ratio < 0.995 ? 'good' : '',
    ),
    tile(
      num('llm_cost_break_even_utilization_ratio', { api_model: ref, basis: 'compute', ...wl }, be, fmtPct, util === undefined ? 'capacity not configured' : 'no tokens served yet'),
      `break-even token utilisation vs ${esc(ref)}; you are at ${num('llm_cost_utilization_ratio', { source: 'tokens', ...wl }, util, fmtPct, 'capacity not configured')}`,
      be === undefined || util === undefined ? '' : util >= be ? 'good' : 'bad',
    ),
    tile(
      num('llm_cost_api_savings_usd', { api_model: ref, basis: 'compute', ...wl }, savings, fmtSignedUsd, 'nothing observed yet'),
      `${savings !== undefined && savings < 0 ? 'lost' : 'saved'} vs ${esc(ref)} over ${WINDOW_WORDS[w]} (API cost − GPU cost)`,
      savings === undefined ? '' : savings < 0 ? 'bad' : 'good',
    ),
    tile(
      num('llm_cost_utilization_ratio', { source: 'gpu', ...wl }, defined(f.gpuUtilization), fmtPct, 'no nvidia-smi reading yet'),
      'GPU utilisation (nvidia-smi, mean over GPUs): busy time, not useful work',
    ),
  ];
  return `<section id="verdict" class="verdict ${tone}" data-live data-at-ms="${s.atMs}" aria-labelledby="verdict-h">
<h2 id="verdict-h" class="visually-hidden">Verdict</h2>
${badge ? `<p class="badge">${badge}</p>` : ''}<p class="lead">${sentences.join(' ')}</p>
<div class="tiles">${tiles.join('')}</div>
</section>`;
}

function tile(value: string, caption: string, tone = ''): string {
  return `<div class="tile ${tone}"><div class="big">${value}</div><div class="cap">${caption}</div></div>`;
}

// ---------------------------------------------------------------------------------------------
// Per-window table

interface Row {
  readonly label: string;
  readonly help: string;
  readonly cell: (f: WindowFigures, w: WindowName) => string;
}

function renderWindows(s: Snapshot): string {
  const ops = s.inputs.opsHourlyCostUsd > 0;
  const cap = s.inputs.capacityTokensPerSecond;
  const bases = ops ? (['compute', 'fully_loaded'] as const) : (['compute'] as const);
  const noTokens = (f: WindowFigures) => (f.coveredSeconds > 0 ? 'no tokens served in this window yet' : 'nothing observed in this window yet');
  const both = (metric: string, labels: Record<string, string>, get: (b: 'compute' | 'fully_loaded') => number | undefined, fmt: (v: number) => string, na: string) =>
    bases.map((b, i) => `${i ? '<small>fully loaded ' : ''}${num(metric, { ...labels, basis: b }, get(b), fmt, na)}${i ? '</small>' : ''}`).join('');

  const groups: { title: string; rows: Row[] }[] = [
    {
      title: 'Traffic and utilisation',
      rows: [
        { label: 'Observed', help: 'time the exporter watched within the window; every figure is over this time', cell: (f, w) => num('llm_cost_window_covered_seconds', { window: w }, f.coveredSeconds, fmtDuration) },
        {
          label: 'Tokens per second',
          help: 'prompt tokens read + tokens generated, per second',
          cell: (f, w) => `${num('llm_cost_tokens_per_second', { direction: 'prompt', window: w }, defined(f.promptTokensPerSecond), fmtRate, 'nothing observed yet')} + ${num('llm_cost_tokens_per_second', { direction: 'generation', window: w }, defined(f.generationTokensPerSecond), fmtRate, 'nothing observed yet')}`,
        },
        {
          label: 'Token utilisation',
          help: cap === undefined ? 'tokens served ÷ capacity at full load (capacity.tokens_per_second is not set)' : `tokens served ÷ what the GPUs could serve at full load (${fmtRate(cap)} tok/s): what you use of what you pay for`,
          cell: (f, w) => num('llm_cost_utilization_ratio', { source: 'tokens', window: w }, defined(f.tokenUtilization), fmtPct, cap === undefined ? 'capacity.tokens_per_second is not set' : 'nothing observed yet'),
        },
        {
          label: 'GPU utilisation',
          help: 'nvidia-smi: share of time a kernel was running, mean over GPUs (busy is not the same as efficient)',
          cell: (f, w) => num('llm_cost_utilization_ratio', { source: 'gpu', window: w }, defined(f.gpuUtilization), fmtPct, 'no nvidia-smi reading in this window'),
        },
        {
          label: 'Time to first token',
          help: `95th percentile (50th below); target ${fmtSeconds(s.inputs.ttftTargetSeconds)}, hosted APIs answer in about 100–300 ms`,
          cell: (f, w) =>
            `${num('llm_cost_time_to_first_token_seconds', { percentile: '95', window: w }, defined(f.ttftP95Seconds), fmtSeconds, 'no requests finished in this window')}<small>p50 ${num('llm_cost_time_to_first_token_seconds', { percentile: '50', window: w }, defined(f.ttftP50Seconds), fmtSeconds, 'no requests finished in this window')}</small>`,
        },
      ],
    },
    {
      title: 'Self-hosted cost',
      rows: [
        {
          label: 'Spend',
          help: `what the GPUs${ops ? ' (and ops labour)' : ''} cost over the observed time, busy or idle`,
          cell: (f, w) => both('llm_cost_window_spend_usd', { window: w }, (b) => (f.coveredSeconds > 0 ? f.spendUsd[b] : undefined), (v) => `$${fmtUsd(v)}`, 'nothing observed yet'),
        },
        {
          label: 'Cost per million tokens',
          help: `spend ÷ tokens served: the realised price of a self-hosted token${ops ? '; fully loaded adds ops labour' : ''}`,
          cell: (f, w) => both('llm_cost_usd_per_million_tokens', { window: w }, (b) => f.usdPerMillionTokens?.[b], (v) => `$${fmtUsd(v)}`, noTokens(f)),
        },
      ],
    },
  ];
  s.inputs.apiPrices.forEach((p, n) => {
    const id = p.id;
    // the explanations once, under the first API model: the others' rows mean the same
    const help = (text: string) => (n === 0 ? text : '');
    groups.push({
      title: `vs ${esc(id)} <span class="price">($${fmtUsd(p.input_usd_per_mtok)} in · $${fmtUsd(p.output_usd_per_mtok)} out per M${id === s.inputs.compareTo ? ' · the alerts’ reference' : ''})</span>`,
      rows: [
        {
          label: 'API price at your mix',
          help: help('what this API would charge per million tokens for this window’s prompt/output mix'),
          cell: (f, w) => num('llm_cost_api_usd_per_million_tokens', { api_model: id, window: w }, defined(f.api[id]?.usdPerMillionTokens), (v) => `$${fmtUsd(v)}`, noTokens(f)),
        },
        {
          label: 'Cost ratio',
          help: help('self-hosted cost ÷ API cost of the same traffic: 1× is parity, below 1× self-hosting is cheaper'),
          cell: (f, w) => both('llm_cost_api_cost_ratio', { api_model: id, window: w }, (b) => f.api[id]?.costRatio?.[b], fmtRatio, noTokens(f)),
        },
        {
          label: 'Break-even utilisation',
          help: help('the token utilisation at which self-hosting would cost exactly the API price; above it you save'),
          cell: (f, w) => both('llm_cost_break_even_utilization_ratio', { api_model: id, window: w }, (b) => f.api[id]?.breakEvenUtilization?.[b], fmtPct, cap === undefined ? 'capacity.tokens_per_second is not set' : noTokens(f)),
        },
        {
          label: 'Saved (lost)',
          help: help('API cost − self-hosted cost over the observed time: positive is money saved, negative is money lost'),
          cell: (f, w) => both('llm_cost_api_savings_usd', { api_model: id, window: w }, (b) => (f.coveredSeconds > 0 ? f.api[id]?.savingsUsd[b] : undefined), fmtSignedUsd, 'nothing observed yet'),
        },
      ],
    });
  });

  const head = WINDOWS.map((w) => `<th scope="col">${w.name}</th>`).join('');
  const body = groups
    .map(
      (g) =>
        `<tbody><tr class="group"><th colspan="5" scope="colgroup">${g.title}</th></tr>${g.rows
          .map(
            (r) =>
              `<tr><th scope="row">${r.label}${r.help ? `<small>${r.help}</small>` : ''}</th>${WINDOWS.map((w) => `<td>${r.cell(s.windows[w.name], w.name)}</td>`).join('')}</tr>`,
          )
          .join('')}</tbody>`,
    )
    .join('\n');
  return `<section id="windows" class="card" data-live aria-labelledby="windows-h"><h2 id="windows-h">By window</h2>
<p class="note">Each column covers the time observed within the last 5 minutes, hour, day and week. Ratios and break-even use the GPU cost${ops ? ' (“fully loaded” adds ops labour)' : ''}; API prices are list prices for the same prompt and output tokens.</p>
<div class="scroll"><table class="windows"><thead><tr><th scope="col"><span class="visually-hidden">Figure</span></th>${head}</tr></thead>
${body}</table></div></section>`;
}

// ---------------------------------------------------------------------------------------------
// Charts: the data only; status.js draws them.

/** Four significant digits are plenty for a chart and keep the page small; gaps stay null. */
const r3 = (v: number | undefined): number | null => (v === undefined || !Number.isFinite(v) ? null : Number(v.toPrecision(3)));

/**
 * Columns of one chart range. Times: `t0` (Unix seconds) plus each bucket's offset in `step`
 * seconds; the chart spans `span` seconds up to the snapshot's time.
 */
function series(points: readonly HistoryPoint[], w: WindowName, ids: readonly string[], ops: boolean) {
  const spec = WINDOWS.find((x) => x.name === w)!;
  const stepMs = spec.bucketMs;
  const t0 = points[0]?.atMs ?? 0;
  return {
    t0: Math.round(t0 / 1000),
    step: stepMs / 1000,
    span: spec.durationMs / 1000,
    t: points.map((p) => Math.round((p.atMs - t0) / stepMs)),
    prompt: points.map((p) => r3(p.promptTokensPerSecond)),
    gen: points.map((p) => r3(p.generationTokensPerSecond)),
    tok: points.map((p) => r3(p.tokenUtilization)),
    gpu: points.map((p) => r3(p.gpuUtilization)),
    usd: points.map((p) => r3(p.usdPerMillionTokens?.compute)),
    ...(ops && { usdFull: points.map((p) => r3(p.usdPerMillionTokens?.fully_loaded)) }),
    api: ids.map((id) => points.map((p) => r3(p.apiUsdPerMillionTokens[id]))),
  };
}

function renderCharts(s: Snapshot): string {
  const ids = s.inputs.apiPrices.map((p) => p.id);
  const ops = s.inputs.opsHourlyCostUsd > 0;
  const w = headlineWindow(s);
  const data = {
    ids,
    ref: s.inputs.compareTo,
    threshold: s.inputs.breakEvenThresholdRatio,
    breakEven: r3(s.windows[w].api[s.inputs.compareTo]?.breakEvenUtilization?.compute),
    at: Math.round(s.atMs / 1000),
    hour: series(s.history.hour, '1h', ids, ops),
    day: series(s.history.day, '24h', ids, ops),
  };
  return chartSection(jsonForScript(data));
}

/**
 * The same shell with or without data: status.js keeps this section (and its uPlot instances)
 * across refreshes and only feeds it the new `chart-data`.
 */
function chartSection(json: string): string {
  return `<section id="chart-section" class="card" aria-labelledby="charts-h"><h2 id="charts-h">Recent history</h2>
<div class="chart-head"><p class="note">Per minute over the last hour, or per 10 minutes over the last day; the newest bucket is still filling. Hover a chart for values.</p>
<span class="range" role="group" aria-label="Chart range"><button type="button" data-range="hour" aria-pressed="true">Last hour</button><button type="button" data-range="day" aria-pressed="false">Last 24 h</button></span></div>
<div id="charts" class="charts"><noscript>The charts need JavaScript.</noscript></div>
<script type="application/json" id="chart-data">${json}</script>
</section>`;
}

// ---------------------------------------------------------------------------------------------
// Sources, GPUs, models

function renderHealth(s: Snapshot): string {
  const names: Record<string, string> = { vllm: 'vLLM', nvidia_smi: 'nvidia-smi' };
  const sources = s.health
    .map((h) => {
      const labels = { collector: h.collector, target: h.target };
      const when = h.lastSuccessMs === undefined ? 'never succeeded' : `last success ${fmtTime(h.lastSuccessMs)}`;
      return `<li class="${h.up ? 'up' : 'down'}"><span class="dot" aria-hidden="true"></span><b>${esc(names[h.collector] ?? h.collector)}</b> <code>${esc(h.target)}</code>
${num('llm_cost_collector_up', labels, h.up ? 1 : 0, (v) => (v === 1 ? 'up' : 'down'))}<small>${when}${h.lastDurationSeconds === undefined ? '' : `, ${h.collector === 'nvidia_smi' ? 'rows every' : 'poll took'} ${fmtSeconds(h.lastDurationSeconds)}`}</small>${h.lastError && !h.up ? `<div class="err">${esc(h.lastError)}</div>` : ''}</li>`;
    })
    .join('');

  const gpuRows = s.gpus
    .map((g) => {
      const labels = { gpu: String(g.index), uuid: g.uuid };
      const r = g.last;
      const mem = r?.memoryUsedBytes !== undefined && r.memoryTotalBytes !== undefined ? `${fmtGiB(r.memoryUsedBytes)} / ${fmtGiB(r.memoryTotalBytes)} GiB` : '—';
      const power = r?.powerDrawWatts ?? r?.powerDrawAverageWatts;
      return `<tr><th scope="row">${g.index}<small title="${esc(g.uuid)}">${esc(g.name ?? r?.name ?? 'GPU')}</small></th>
<td>${r?.lost ? '<span class="bad-text">lost (still billed)</span>' : num('llm_cost_nvidia_smi_utilization_gpu_ratio', labels, defined(r?.utilizationRatio), fmtPct, '[N/A]: no utilisation reading (MIG?)')}</td>
${WINDOWS.map((w) => `<td>${num('llm_cost_gpu_utilization_ratio', { ...labels, window: w.name }, defined(s.windows[w.name].gpus[g.uuid]), fmtPct, 'no reading in this window')}</td>`).join('')}
<td>${mem}</td><td>${power === undefined ? '—' : `${Math.round(power)} W`}</td><td>${r?.temperatureCelsius === undefined ? '—' : `${r.temperatureCelsius} °C`}</td></tr>`;
    })
    .join('');
  const gpus = s.gpus.length
    ? `<div class="scroll"><table class="gpus"><thead><tr><th scope="col">GPU</th><th scope="col">Now</th>${WINDOWS.map((w) => `<th scope="col">${w.name}</th>`).join('')}<th scope="col">Memory</th><th scope="col">Power</th><th scope="col">Temp.</th></tr></thead><tbody>${gpuRows}</tbody></table></div>
<p class="note">Utilisation as nvidia-smi reports it: now, and the time-weighted mean over each window. vLLM reserves memory up front, so memory says little about load.</p>`
    : '<p class="note">No GPU reported by nvidia-smi yet.</p>';

  const models = Object.entries(s.models);
  const modelList = models.length
    ? `<div class="scroll"><table class="models"><thead><tr><th scope="col">Model</th><th scope="col">Running</th><th scope="col">Waiting</th><th scope="col">KV cache</th></tr></thead><tbody>${models
        .map(
          ([model, g]) =>
            `<tr><th scope="row"><code>${esc(model)}</code></th><td>${num('llm_cost_model_requests_running', { model }, g.running, fmtCount)}</td><td>${num('llm_cost_model_requests_waiting', { model }, g.waiting, fmtCount)}</td><td>${num('llm_cost_model_kv_cache_usage_ratio', { model }, defined(g.kvCacheUsageRatio), fmtPct, 'not reported by vLLM')}</td></tr>`,
        )
        .join('')}</tbody></table></div>
<p class="note">Requests in the batch and in the queue now; a queue at low utilisation means capacity is set too high or the server is misconfigured.</p>`
    : '';

  return `<section id="health" class="card" data-live aria-labelledby="health-h"><h2 id="health-h">Sources and GPUs</h2>
<ul class="sources">${sources || '<li>No source configured.</li>'}</ul>
${gpus}${modelList}</section>`;
}

// ---------------------------------------------------------------------------------------------
// Inputs

function renderInputs(s: Snapshot): string {
  const i = s.inputs;
  const rows: [string, string, string][] = [
    [
      'GPU cost per hour',
      num('llm_cost_gpu_hourly_cost_usd', {}, defined(i.gpuHourlyCostUsd), (v) => `$${fmtUsd(v)}`, 'unknown until nvidia-smi reports the GPUs'),
      i.billedGpus === undefined ? 'the whole host (instance.hourly_cost_usd), billed busy or idle' : `${num('llm_cost_billed_gpus', {}, i.billedGpus, fmtCount)} GPU${i.billedGpus === 1 ? '' : 's'} × gpu.hourly_cost_usd, billed busy or idle`,
    ],
    ['Ops labour per hour', num('llm_cost_ops_hourly_cost_usd', {}, i.opsHourlyCostUsd, (v) => `$${fmtUsd(v)}`), i.opsHourlyCostUsd > 0 ? 'ops.fte × ops.annual_cost_usd ÷ 8760 h: added in “fully loaded” figures' : 'not configured (ops.fte): fully loaded equals compute'],
    [
      'Capacity',
      num('llm_cost_capacity_tokens_per_second', {}, defined(i.capacityTokensPerSecond), (v) => `${fmtRate(v)} tok/s`, 'capacity.tokens_per_second is not set'),
      'prompt + generation tokens per second at full load: the 100% of token utilisation',
    ],
    ['Break-even alert threshold', num('llm_cost_break_even_threshold_ratio', {}, i.breakEvenThresholdRatio, fmtPct), 'static rule of the below-break-even alert; the computed break-even is in the table above'],
    ['TTFT target', num('llm_cost_ttft_target_seconds', {}, i.ttftTargetSeconds, fmtSeconds), 'time-to-first-token p95 target of the latency alert'],
    [
      'Price table date',
      num('llm_cost_price_table_timestamp_seconds', {}, defined(i.priceTableAsOfSeconds), (v) => new Date(v * 1000).toISOString().slice(0, 10), 'no date'),
      'list prices change: check them before quoting a figure',
    ],
  ];
  const prices = i.apiPrices
    .map((p) => {
      const cell = (token_type: string, v: number | undefined) => num('llm_cost_api_price_usd_per_million_tokens', { api_model: p.id, token_type }, defined(v), (x) => `$${fmtUsd(x)}`, 'not in the price table');
      return `<tr><th scope="row"><code>${esc(p.id)}</code>${p.id === i.compareTo ? ' <small class="inline">compare_to</small>' : ''}${p.provider ? `<small>${esc(p.provider)}${p.source_id && p.source_id !== p.id ? ` · ${esc(p.source_id)}` : ''}</small>` : ''}</th><td>${cell('input', p.input_usd_per_mtok)}</td><td>${cell('output', p.output_usd_per_mtok)}</td><td>${cell('cached_input', p.cached_input_usd_per_mtok)}</td></tr>`;
    })
    .join('');
  return `<section id="inputs" class="card" data-live aria-labelledby="inputs-h"><h2 id="inputs-h">Inputs of the cost model</h2>
<dl class="inputs">${rows.map(([k, v, help]) => `<div><dt>${k}</dt><dd>${v}<small>${help}</small></dd></div>`).join('')}</dl>
<div class="scroll"><table class="prices"><caption>API list prices, USD per million tokens (prompt tokens are priced as input)</caption><thead><tr><th scope="col">API model</th><th scope="col">Input</th><th scope="col">Output</th><th scope="col">Cached input</th></tr></thead><tbody>${prices}</tbody></table></div>
</section>`;
}

// ---------------------------------------------------------------------------------------------
// Numbers and escaping

/** Finite numbers only: undefined, NaN and infinities are "not defined". */
function defined(v: number | undefined): number | undefined {
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

/**
 * One number: its series and labels as data attributes, the exact value in `data-value`, the
 * rounded text inside. Undefined: "—" with the reason as its tooltip and accessible name.
 */
function num(metric: string, labels: Record<string, string>, value: number | undefined, format: (v: number) => string, naReason = 'not defined yet'): string {
  let attrs = `data-metric="${metric}"`;
  for (const [k, v] of Object.entries(labels)) attrs += ` data-${k.replaceAll('_', '-')}="${esc(v)}"`;
  const v = defined(value);
  if (v === undefined) return `<span class="num na" ${attrs} title="${esc(`not defined: ${naReason}`)}">—</span>`;
  return `<span class="num" ${attrs} data-value="${String(v)}">${esc(format(v))}</span>`;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** HTML-escapes text for element content and quoted attribute values. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** JSON safe inside <script>: no `<` (so no `</script>` or `<!--`), no U+2028/2029. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const MINUS = '\u2212';

function groupThousands(s: string): string {
  const [int = '', frac] = s.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

/** Dollars without the sign: $0.45, $2.25, $0.0042, $1,234. */
export function fmtUsd(v: number): string {
  const a = Math.abs(v);
  const text = a >= 1000 ? groupThousands(a.toFixed(0)) : a >= 0.1 || a === 0 ? a.toFixed(2) : a.toPrecision(2);
  return v < 0 ? `${MINUS}${text}` : text;
}

function fmtSignedUsd(v: number): string {
  return v < 0 ? `${MINUS}$${fmtUsd(-v)}` : `+$${fmtUsd(v)}`;
}

/** Ratios as the seed writes them: 0.56×, 1.6×, 5.6×, 12×. */
export function fmtRatio(v: number): string {
  return `${v >= 10 ? groupThousands(v.toFixed(0)) : v === 0 ? '0' : v.toPrecision(2)}×`;
}

/** 0.2 → 20%, 0.045 → 4.5%, 0.0012 → 0.12%. */
export function fmtPct(v: number): string {
  const p = v * 100;
  const a = Math.abs(p);
  return `${a >= 10 ? groupThousands(p.toFixed(0)) : a >= 1 ? p.toFixed(1) : a === 0 ? '0' : p.toPrecision(2)}%`;
}

/** Three significant digits: 395, 95, 1,975, 0.5. */
function fmtRate(v: number): string {
  return v === 0 ? '0' : groupThousands(String(Number(v.toPrecision(3))));
}

function fmtCount(v: number): string {
  return groupThousands(String(Math.round(v)));
}

function fmtSeconds(v: number): string {
  return v < 1 ? `${Number((v * 1000).toPrecision(3))} ms` : `${Number(v.toPrecision(3))} s`;
}

/** Covered time: 12 s, 4 min, 5.5 h, 3.2 d. */
export function fmtDuration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Number((seconds / 3600).toFixed(1))} h`;
  return `${Number((seconds / 86_400).toFixed(1))} d`;
}

function fmtTime(ms: number): string {
  return `${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)} UTC`;
}

function fmtGiB(bytes: number): string {
  return (bytes / 2 ** 30).toFixed(0);
}

// ---------------------------------------------------------------------------------------------
// Static assets

interface Asset {
  readonly type: string;
  readonly body: Buffer;
  readonly version: string;
}

const require = createRequire(import.meta.url);
const SOURCES: Record<string, { type: string; path: () => string }> = {
  'status.js': { type: 'text/javascript; charset=utf-8', path: () => ownFile('status.js') },
  'status.css': { type: 'text/css; charset=utf-8', path: () => ownFile('status.css') },
  'uPlot.iife.min.js': { type: 'text/javascript; charset=utf-8', path: () => require.resolve('uplot/dist/uPlot.iife.min.js') },
  'uPlot.min.css': { type: 'text/css; charset=utf-8', path: () => require.resolve('uplot/dist/uPlot.min.css') },
};
const cache = new Map<string, Asset | null>();

/** Non-TS files are not copied by tsc: they are read from the source tree, from src/ and dist/ alike. */
function ownFile(name: string): string {
  return fileURLToPath(new URL(`../../src/server/status-page/${name}`, import.meta.url));
}

/** Read once and kept in memory; null when the file is missing (a broken install must not stop /metrics). */
function asset(name: string): Asset | null {
  if (!cache.has(name)) {
    const src = SOURCES[name];
    let found: Asset | null = null;
    if (src) {
      try {
        const body = readFileSync(src.path());
        found = { type: src.type, body, version: createHash('sha256').update(body).digest('hex').slice(0, 12) };
      } catch {
        found = null;
      }
    }
    cache.set(name, found);
  }
  return cache.get(name) ?? null;
}

/** Relative, so the page also works behind a proxy that serves it under a prefix; versioned for caching. */
function assetHref(name: string): string {
  const a = asset(name);
  return `assets/${name}${a ? `?v=${a.version}` : ''}`;
}

/**
 * The page's static files (its script and style, uPlot), from memory. Mount at `/assets`:
 * `app.use('/assets', statusPageAssets())`.
 */
export function statusPageAssets(): Router {
  const router = express.Router();
  for (const name of Object.keys(SOURCES)) {
    router.get(`/${name}`, (_req, res) => {
      const a = asset(name);
      if (!a) {
        res.status(500).type('text/plain').send(`status page asset ${name} is missing from this installation\n`);
        return;
      }
      res.setHeader('Content-Type', a.type);
      res.setHeader('Cache-Control', 'public, max-age=86400');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.end(a.body);
    });
  }
  return router;
}
