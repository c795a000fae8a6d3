import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { ExpositionParseError } from '../../../src/sources/exposition/exposition-parse-error.js';
import { parseExposition } from '../../../src/sources/exposition/parse.js';
import type { ParsedExposition, Sample } from '../../../src/sources/exposition/parse.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const fixture = (p: string): string => readFileSync(`${FIXTURES}${p}`, 'utf8');

const FIXTURE_FILES = [
  'vllm/v0.6-v0-engine.prom',
  'vllm/v0.10-v1-engine.prom',
  'vllm/latest.prom',
  'sglang.prom',
  'tgi.prom',
  'llamacpp.prom',
] as const;

const LLAMA = 'meta-llama/Llama-3.1-8B-Instruct';

/** The peer parser (CommonJS, untyped); correct for counters and gauges. */
interface PeerFamily {
  readonly name: string;
  readonly type: string;
  readonly metrics: ReadonlyArray<{ readonly value?: string; readonly labels?: Readonly<Record<string, string>> }>;
}
const peerParse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => PeerFamily[];

/** Lines that are not blank and not comments, computed independently of the parser. */
function sampleLines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
}

/** Independent value oracle for the fixtures: the last blank-separated token, Go float syntax. */
function lastTokenValue(line: string): number {
  const tok = line.slice(line.lastIndexOf(' ') + 1);
  if (tok === 'NaN') return NaN;
  if (tok === '+Inf' || tok === 'Inf') return Infinity;
  if (tok === '-Inf') return -Infinity;
  expect(tok).toMatch(/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/);
  return Number(tok);
}

function find(parsed: ParsedExposition, name: string, labels: Record<string, string> = {}): Sample {
  const hits = parsed.samples.filter((s) => s.name === name && sameLabels(s.labels, labels));
  expect(hits, `${name}${JSON.stringify(labels)}`).toHaveLength(1);
  return hits[0]!;
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

function labelKey(name: string, labels: Readonly<Record<string, string>>): string {
  return `${name}${JSON.stringify(Object.entries(labels).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))}`;
}

function parseError(text: string): ExpositionParseError {
  try {
    parseExposition(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ExpositionParseError);
    return e as ExpositionParseError;
  }
  throw new Error(`expected a parse error for ${JSON.stringify(text)}`);
}

describe('parseExposition on the engine fixtures', () => {
  for (const file of FIXTURE_FILES) {
    it(`${file}: one sample per sample line, names, values and HELP/TYPE counts match the text`, () => {
      const text = fixture(file);
      const lines = sampleLines(text);
      const parsed = parseExposition(text);
      expect(parsed.samples).toHaveLength(lines.length);
      expect(parsed.openMetrics).toBe(false);
      for (let k = 0; k < lines.length; k++) {
        const line = lines[k]!;
        const s = parsed.samples[k]!;
        const nameEnd = line.search(/[{ ]/);
        expect(s.name).toBe(line.slice(0, nameEnd));
        expect(s.value).toBe(lastTokenValue(line));
        expect(s.timestampMs).toBeUndefined();
        expect('timestampMs' in s).toBe(false);
        // Label count = number of `="` pairs in the label set (no fixture has quotes in values).
        const open = line.indexOf('{');
        const pairs = open === -1 ? 0 : line.slice(open, line.lastIndexOf('}')).split('="').length - 1;
        expect(Object.keys(s.labels)).toHaveLength(pairs);
      }
      const typeLines = text.split('\n').filter((l) => l.startsWith('# TYPE '));
      const helpLines = text.split('\n').filter((l) => l.startsWith('# HELP '));
      expect(parsed.types.size).toBe(new Set(typeLines.map((l) => l.split(' ')[2])).size);
      expect(parsed.help.size).toBe(new Set(helpLines.map((l) => l.split(' ')[2])).size);
      expect(parsed.types.size).toBeGreaterThan(0);
    });
  }

  it('vllm/latest.prom: token counters, TTFT bucket, _created, e+010, TYPE and HELP', () => {
    const p = parseExposition(fixture('vllm/latest.prom'));
    expect(p.samples).toHaveLength(441);
    expect(find(p, 'vllm:prompt_tokens_total', { engine: '0', model_name: LLAMA }).value).toBe(2090876);
    expect(find(p, 'vllm:generation_tokens_total', { engine: '0', model_name: LLAMA }).value).toBe(503437);
    expect(find(p, 'process_virtual_memory_bytes').value).toBe(13489113088);
    expect(find(p, 'process_start_time_seconds').value).toBe(1785052803.91);
    const ttft = find(p, 'vllm:time_to_first_token_seconds_bucket', { engine: '0', le: '0.04', model_name: LLAMA });
    expect(ttft.value).toBe(1263);
    expect(find(p, 'vllm:time_to_first_token_seconds_bucket', { engine: '0', le: '+Inf', model_name: LLAMA }).value).toBe(4187);
    expect(find(p, 'vllm:time_to_first_token_seconds_sum', { engine: '0', model_name: LLAMA }).value).toBe(888.8916898644131);
    expect(find(p, 'vllm:prompt_tokens_created', { engine: '0', model_name: LLAMA }).value).toBe(1785052842.6800988);
    expect(find(p, 'vllm:prefix_cache_queries_created', { engine: '0', model_name: LLAMA }).value).toBe(
      1785052842.6800125,
    );
    // Label order is kept as written (prometheus_client sorts them).
    expect(Object.keys(ttft.labels)).toEqual(['engine', 'le', 'model_name']);
    expect(p.types.get('vllm:iteration_tokens_total')).toBe('histogram');
    expect(p.types.get('vllm:iteration_tokens_total_created')).toBe('gauge');
    expect(p.types.get('vllm:prompt_tokens_total')).toBe('counter');
    expect(p.types.get('http_request_size_bytes')).toBe('summary');
    expect(p.help.get('vllm:iteration_tokens_total')).toBe('Histogram of number of tokens per engine_step.');
    expect(p.help.get('vllm:num_requests_running')).toBe('Number of requests in model execution batches.');
  });

  it('vllm/v0.10-v1-engine.prom: e+010 exponent with a leading zero, deprecated HELP text verbatim', () => {
    const p = parseExposition(fixture('vllm/v0.10-v1-engine.prom'));
    expect(p.samples).toHaveLength(378);
    // 1.2251961434112e+010 = 12251961434.112 (synthetic, not a whole number of bytes)
    expect(find(p, 'process_virtual_memory_bytes').value).toBe(12251961434.112);
    expect(find(p, 'process_start_time_seconds').value).toBe(1755349210.37);
    expect(p.help.get('vllm:gpu_cache_usage_perc')).toBe(
      'GPU KV-cache usage. 1 means 100 percent usage.DEPRECATED: Use vllm:kv_cache_usage_perc instead.',
    );
    expect(p.types.get('vllm:iteration_tokens_total')).toBe('histogram');
  });

  it('vllm/v0.6-v0-engine.prom: multiprocess order (_sum before the buckets) and -1 sentinels', () => {
    const text = fixture('vllm/v0.6-v0-engine.prom');
    const p = parseExposition(text);
    expect(p.samples).toHaveLength(117);
    const ttft = p.samples.filter((s) => s.name.startsWith('vllm:time_to_first_token_seconds_'));
    expect(ttft[0]!.name).toBe('vllm:time_to_first_token_seconds_sum');
    expect(ttft[0]!.value).toBe(859.6300603785605);
    expect(ttft[1]).toEqual({
      name: 'vllm:time_to_first_token_seconds_bucket',
      labels: { le: '0.001', model_name: LLAMA },
      value: 0,
    });
    expect(find(p, 'vllm:time_to_first_token_seconds_bucket', { le: '0.04', model_name: LLAMA }).value).toBe(974);
    expect(ttft[ttft.length - 1]!.name).toBe('vllm:time_to_first_token_seconds_count');
    expect(ttft[ttft.length - 1]!.value).toBe(4187);
    expect(find(p, 'vllm:num_requests_running', { model_name: LLAMA }).value).toBe(7);
    expect(find(p, 'vllm:cpu_prefix_cache_hit_rate', { model_name: LLAMA }).value).toBe(-1);
    expect(find(p, 'vllm:request_success_total', { finished_reason: 'stop', model_name: LLAMA }).value).toBe(3655);
    expect(find(p, 'vllm:request_success_total', { finished_reason: 'length', model_name: LLAMA }).value).toBe(525);
    expect(find(p, 'vllm:gpu_cache_usage_perc', { model_name: LLAMA }).value).toBe(0.007135238515576152);
    expect(p.samples.some((s) => s.name.endsWith('_created'))).toBe(false);
  });

  it('tgi.prom: integers, no _total, blank lines between families, Rust f64 le labels', () => {
    const p = parseExposition(fixture('tgi.prom'));
    expect(p.samples).toHaveLength(1881);
    expect(find(p, 'tgi_request_success').value).toBe(4180);
    expect(find(p, 'tgi_request_count').value).toBe(4192);
    expect(find(p, 'tgi_queue_size').value).toBe(2);
    expect(find(p, 'tgi_batch_max_total_tokens').value).toBe(430624);
    expect(find(p, 'tgi_request_input_length_sum').value).toBe(2070510);
    expect(find(p, 'tgi_request_generated_tokens_sum').value).toBe(487295);
    expect(find(p, 'tgi_request_failure', { err: 'validation' }).value).toBe(5);
    expect(find(p, 'tgi_batch_inference_success', { method: 'decode' }).value).toBe(58977);
    expect(find(p, 'tgi_request_mean_time_per_token_duration_bucket', { le: '0.00015000000000000001' }).value).toBe(1);
    expect(find(p, 'tgi_request_queue_duration_bucket', { le: '0.00015000000000000001' }).value).toBe(49);
    expect(find(p, 'tgi_batch_forward_duration_bucket', { method: 'prefill', le: '0.00015000000000000001' }).value).toBe(
      0,
    );
    // Described-but-unset and set-but-undescribed metrics: TYPE without HELP.
    expect(p.types.get('tgi_batch_max_total_tokens')).toBe('gauge');
    expect(p.help.has('tgi_batch_max_total_tokens')).toBe(false);
    expect(p.types.get('tgi_request_count')).toBe('counter');
  });

  it('llamacpp.prom: %g numbers, no labels (shared empty label object)', () => {
    const p = parseExposition(fixture('llamacpp.prom'));
    expect(p.samples).toHaveLength(11);
    expect(find(p, 'llamacpp:prompt_tokens_total').value).toBe(1418350);
    expect(find(p, 'llamacpp:tokens_predicted_total').value).toBe(503211);
    expect(find(p, 'llamacpp:tokens_predicted_seconds_total').value).toBe(13512.9);
    expect(find(p, 'llamacpp:n_busy_slots_per_decode').value).toBe(3.70262);
    expect(find(p, 'llamacpp:requests_processing').value).toBe(3);
    expect(p.types.get('llamacpp:n_busy_slots_per_decode')).toBe('gauge');
    for (const s of p.samples) {
      expect(s.labels).toEqual({});
      expect(Object.isFrozen(s.labels)).toBe(true);
    }
  });

  it('sglang.prom: 1e+06 values and le labels, five-label scheduler series', () => {
    const p = parseExposition(fixture('sglang.prom'));
    expect(p.samples).toHaveLength(260);
    const tok = { engine_type: 'unified', model_name: LLAMA };
    expect(find(p, 'sglang:prompt_tokens_total', { ...tok, is_streaming: 'true' }).value).toBe(1445837);
    expect(find(p, 'sglang:prompt_tokens_total', { ...tok, is_streaming: 'false' }).value).toBe(607271);
    expect(find(p, 'sglang:generation_tokens_total', { ...tok, is_streaming: 'true' }).value).toBe(350995);
    expect(find(p, 'sglang:cached_tokens_total', { ...tok, cache_source: 'device' }).value).toBe(424080);
    expect(find(p, 'sglang:prompt_tokens_histogram_bucket', { ...tok, le: '1e+06' }).value).toBe(4180);
    const sched = { ...tok, moe_ep_rank: '0', pp_rank: '0', tp_rank: '0' };
    expect(find(p, 'sglang:num_running_reqs', sched).value).toBe(7);
  });

  it('cross-check: every counter and gauge value equals parse-prometheus-text-format', () => {
    let compared = 0;
    for (const file of FIXTURE_FILES) {
      const text = fixture(file);
      const parsed = parseExposition(text);
      const ours = new Map<string, number>();
      let ourCounterGauge = 0;
      for (const s of parsed.samples) {
        ours.set(labelKey(s.name, s.labels), s.value);
        const t = parsed.types.get(s.name);
        if (t === 'counter' || t === 'gauge') ourCounterGauge++;
      }
      let inFile = 0;
      for (const fam of peerParse(text)) {
        if (fam.type !== 'COUNTER' && fam.type !== 'GAUGE') continue;
        for (const m of fam.metrics) {
          const key = labelKey(fam.name, m.labels ?? {});
          expect(ours.has(key), `${file}: ${key}`).toBe(true);
          expect(ours.get(key), `${file}: ${key}`).toBe(Number(m.value));
          inFile++;
        }
      }
      // Every counter/gauge sample of ours was compared, none left out.
      expect(inFile, file).toBe(ourCounterGauge);
      expect(inFile, file).toBeGreaterThan(5);
      compared += inFile;
    }
    expect(compared).toBeGreaterThan(200);
  });

  it('a fixture cut anywhere but after a newline is reported as truncated', () => {
    const text = fixture('vllm/latest.prom');
    // Cut inside "2.090876e+06": without the check this would read 2.09.
    const at = text.indexOf('2.090876e+06') + 4;
    const e = parseError(text.slice(0, at));
    expect(e.reason).toContain('truncated');
    expect(e.line).toBe(112);
    expect(e.message).toBe(`line 112: ${e.reason}`);
    // Cut right after a newline: a shorter but complete body.
    const nl = text.indexOf('\n', at) + 1;
    const p = parseExposition(text.slice(0, nl));
    expect(p.samples[p.samples.length - 1]!.value).toBe(2090876);
  });
});

interface Case {
  readonly name: string;
  readonly text: string;
  readonly samples: ReadonlyArray<Sample>;
  readonly openMetrics?: boolean;
}

const SPEC_EXAMPLE = [
  '# HELP http_requests_total The total number of HTTP requests.',
  '# TYPE http_requests_total counter',
  'http_requests_total{method="post",code="200"} 1027 1395066363000',
  'http_requests_total{method="post",code="400"}    3 1395066363000',
  '',
  '# Escaping in label values:',
  'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
  '',
  '# Minimalistic line:',
  'metric_without_timestamp_and_labels 12.47',
  '',
  '# A weird metric from before the epoch:',
  'something_weird{problem="division by zero"} +Inf -3982045',
  '',
].join('\n');

const CASES: Case[] = [
  {
    name: 'the text-format spec example (escapes, timestamps, +Inf, negative timestamp)',
    text: SPEC_EXAMPLE,
    samples: [
      { name: 'http_requests_total', labels: { method: 'post', code: '200' }, value: 1027, timestampMs: 1395066363000 },
      { name: 'http_requests_total', labels: { method: 'post', code: '400' }, value: 3, timestampMs: 1395066363000 },
      {
        name: 'msdos_file_access_time_seconds',
        labels: { path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' },
        value: 1458255915,
      },
      { name: 'metric_without_timestamp_and_labels', labels: {}, value: 12.47 },
      { name: 'something_weird', labels: { problem: 'division by zero' }, value: Infinity, timestampMs: -3982045 },
    ],
  },
  {
    name: '} , = and # inside quoted values, +Inf with a timestamp',
    text: 'weird{a="x,y=}z",b="q"} +Inf 1395066363000\nw2{a="#{}\\"=,"} 1\n',
    samples: [
      { name: 'weird', labels: { a: 'x,y=}z', b: 'q' }, value: Infinity, timestampMs: 1395066363000 },
      { name: 'w2', labels: { a: '#{}"=,' }, value: 1 },
    ],
  },
  {
    name: 'unknown escapes keep the backslash; \\\\n is a backslash then n; unicode is untouched',
    text: 'x{a="tab\\there",b="\\\\n",c="ü€😀",d="\\u00e9",e=""} 1\n',
    samples: [{ name: 'x', labels: { a: 'tab\\there', b: '\\n', c: 'ü€😀', d: '\\u00e9', e: '' }, value: 1 }],
  },
  {
    name: 'metric names with colons, underscores and digits',
    text: 'vllm:prompt_tokens_total 1\n_x9 2\n:a:b: 3\nA_Z 4\n',
    samples: [
      { name: 'vllm:prompt_tokens_total', labels: {}, value: 1 },
      { name: '_x9', labels: {}, value: 2 },
      { name: ':a:b:', labels: {}, value: 3 },
      { name: 'A_Z', labels: {}, value: 4 },
    ],
  },
  {
    name: 'Go float text and specials',
    text: [
      'a 7.0',
      'a 2.090037e+06',
      'a 1.2251961434112e+010',
      'a -1.0',
      'a 1e-05',
      'a 0.00015000000000000001',
      'a 1.41835e+06',
      'a 4192',
      'a .5',
      'a 5.',
      'a +3',
      'a 1E3',
      'a -0.0',
      'a 1.7976931348623157e308',
      'a 5e-324',
      'a 1e400',
      'a 123456789012345678901234567890',
      'a NaN',
      'a nan',
      'a +Inf',
      'a -Inf',
      'a Inf',
      'a inf',
      'a +Infinity',
      'a -infinity',
      '',
    ].join('\n'),
    samples: [
      7, 2090037, 12251961434.112, -1, 1e-5, 0.00015000000000000001, 1418350, 4192, 0.5, 5, 3, 1000, -0,
      1.7976931348623157e308, 5e-324, Infinity, 1.2345678901234568e29, NaN, NaN, Infinity, -Infinity, Infinity,
      Infinity, Infinity, -Infinity,
    ].map((value) => ({ name: 'a', labels: {}, value })),
  },
  {
    name: 'optional trailing comma, blanks around every token, {} and no blank after }',
    text: 'a{x="1",} 1\nb { x = "1" , y="2" , } 2\nc{} 3\nd{x="1"}4\ne\t5\t6\n  f 7\n',
    samples: [
      { name: 'a', labels: { x: '1' }, value: 1 },
      { name: 'b', labels: { x: '1', y: '2' }, value: 2 },
      { name: 'c', labels: {}, value: 3 },
      { name: 'd', labels: { x: '1' }, value: 4 },
      { name: 'e', labels: {}, value: 5, timestampMs: 6 },
      { name: 'f', labels: {}, value: 7 },
    ],
  },
  {
    name: 'CRLF line endings, blank and whitespace-only lines, a leading BOM',
    text: '\ufeff# HELP a Help.\r\n# TYPE a gauge\r\n\r\n   \r\na{b="c"} 1 1000\r\n\t\r\nb 2\r\n',
    samples: [
      { name: 'a', labels: { b: 'c' }, value: 1, timestampMs: 1000 },
      { name: 'b', labels: {}, value: 2 },
    ],
  },
  {
    name: 'plain comments are ignored, families without samples are fine',
    text: '#\n##\n#HELP not_help x\n# HELPFUL\n# EOF is not here\n# UNIT a seconds\n# HELP a A.\n# TYPE a counter\n# HELP b B.\n# TYPE b gauge\nb 1\n',
    samples: [{ name: 'b', labels: {}, value: 1 }],
  },
  {
    name: 'OpenMetrics: # EOF, timestamps in seconds, exemplars dropped',
    text: [
      '# TYPE foo histogram',
      'foo_bucket{le="0.5"} 3 # {trace_id="abc"} 0.5 1600000000.000',
      'foo_bucket{le="+Inf"} 4 1600000000.5 # {trace_id="a b } # \\"x"} 1.5',
      'foo_count 4 1600000001',
      'foo_created 1.6e9',
      '# EOF',
      '',
    ].join('\n'),
    samples: [
      { name: 'foo_bucket', labels: { le: '0.5' }, value: 3 },
      { name: 'foo_bucket', labels: { le: '+Inf' }, value: 4, timestampMs: 1600000000500 },
      { name: 'foo_count', labels: {}, value: 4, timestampMs: 1600000001000 },
      { name: 'foo_created', labels: {}, value: 1.6e9 },
    ],
    openMetrics: true,
  },
  {
    name: 'OpenMetrics ending in "# EOF" without a newline, blank lines after # EOF',
    text: 'a 1 1.25\n# EOF',
    samples: [{ name: 'a', labels: {}, value: 1, timestampMs: 1250 }],
    openMetrics: true,
  },
  {
    name: 'blank lines after # EOF',
    text: 'a 1 1.25\n# EOF\n\n\r\n',
    samples: [{ name: 'a', labels: {}, value: 1, timestampMs: 1250 }],
    openMetrics: true,
  },
  {
    name: 'text format: float timestamps are taken as ms, exemplars tolerated',
    text: 'a 1 1.5e3\nb 2 1395066363000 # {t="1"} 1\n',
    samples: [
      { name: 'a', labels: {}, value: 1, timestampMs: 1500 },
      { name: 'b', labels: {}, value: 2, timestampMs: 1395066363000 },
    ],
  },
  {
    name: 'label names that are Object.prototype members stay plain own properties',
    text: 'a{__proto__="p",constructor="c",toString="t",hasOwnProperty="h"} 1\n',
    samples: [{ name: 'a', labels: { ['__proto__']: 'p', constructor: 'c', toString: 't', hasOwnProperty: 'h' }, value: 1 }],
  },
  { name: 'empty body', text: '', samples: [] },
  { name: 'a lone newline', text: '\n', samples: [] },
];

describe('parseExposition format edge cases', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const p = parseExposition(c.text);
      expect(p.samples).toEqual(c.samples);
      // toEqual treats NaN as equal to NaN but not -0 as distinct from 0: check values exactly too.
      p.samples.forEach((s, k) => expect(Object.is(s.value, c.samples[k]!.value), `${s.name} #${k}`).toBe(true));
      p.samples.forEach((s, k) => expect('timestampMs' in s).toBe('timestampMs' in c.samples[k]!));
      expect(p.openMetrics).toBe(c.openMetrics ?? false);
    });
  }

  it('label values that repeat across lines and label sets that change shape decode correctly', () => {
    const text = 'a{x="1",y="2"} 1\na{x="3",y="4"} 2\na{y="5",x="6"} 3\na{x="7"} 4\na{x="8",y="9",z="0"} 5\na{x="1",z="2"} 6\n';
    expect(parseExposition(text).samples.map((s) => s.labels)).toEqual([
      { x: '1', y: '2' },
      { x: '3', y: '4' },
      { y: '5', x: '6' },
      { x: '7' },
      { x: '8', y: '9', z: '0' },
      { x: '1', z: '2' },
    ]);
  });

  it('HELP and TYPE: unescaping, case-insensitive types, last one wins', () => {
    const text = [
      '# HELP a Line one\\nline two \\\\ back \\"q\\" \\t',
      '# HELP b',
      '# HELP c    leading blanks dropped, trailing kept  ',
      '# TYPE a COUNTER',
      '# TYPE b untyped',
      '# TYPE c gaugehistogram',
      '# TYPE d info',
      '# TYPE d stateset',
      '# TYPE e unknown',
      '# TYPE f summary',
      '# TYPE g histogram',
      '# HELP h trailing backslash \\',
      '',
    ].join('\n');
    const p = parseExposition(text);
    expect(p.help.get('a')).toBe('Line one\nline two \\ back \\"q\\" \\t');
    expect(p.help.get('b')).toBe('');
    expect(p.help.get('c')).toBe('leading blanks dropped, trailing kept  ');
    expect(p.help.get('h')).toBe('trailing backslash \\');
    expect(Object.fromEntries(p.types)).toEqual({
      a: 'counter',
      b: 'untyped',
      c: 'gaugehistogram',
      d: 'stateset',
      e: 'unknown',
      f: 'summary',
      g: 'histogram',
    });
    // In OpenMetrics \" is an escape in HELP too.
    expect(parseExposition('# HELP a say \\"hi\\"\n# EOF\n').help.get('a')).toBe('say "hi"');
  });
});

interface ErrorCase {
  readonly text: string;
  readonly line: number;
  readonly reason: string;
}

const ERRORS: ErrorCase[] = [
  // truncation
  { text: 'a 1\nb 2', line: 2, reason: 'truncated' },
  { text: 'a 2.09', line: 1, reason: 'truncated' },
  { text: '# HELP a b', line: 1, reason: 'truncated' },
  { text: '   ', line: 1, reason: 'truncated' },
  { text: 'a 1\r', line: 1, reason: 'truncated' },
  { text: 'a 1\n# EOF\nb', line: 3, reason: 'truncated' },
  // labels
  { text: 'a{b="c} 1\n', line: 1, reason: 'unterminated label value' },
  { text: 'a{b="c\nd"} 1\n', line: 1, reason: 'unterminated label value' },
  { text: 'a{b="c\\"} 1\n', line: 1, reason: 'unterminated label value' },
  { text: 'a{b="c"\n', line: 1, reason: 'unterminated label set' },
  { text: 'a{b="c",\n', line: 1, reason: 'unterminated label set' },
  { text: 'a{b\n', line: 1, reason: 'unterminated label set' },
  { text: 'a{1b="c"} 1\n', line: 1, reason: 'invalid label name' },
  { text: 'a{,} 1\n', line: 1, reason: 'invalid label name' },
  { text: 'a{b:c="d"} 1\n', line: 1, reason: 'expected "=" after label name' },
  { text: 'a{b-c="d"} 1\n', line: 1, reason: 'expected "=" after label name' },
  { text: 'a{b=c} 1\n', line: 1, reason: 'expected quoted label value' },
  { text: "a{b='c'} 1\n", line: 1, reason: 'expected quoted label value' },
  { text: 'a{b="c" d="e"} 1\n', line: 1, reason: 'expected "," or "}" after label value' },
  { text: 'a{b="c",,d="e"} 1\n', line: 1, reason: 'invalid label name' },
  { text: 'a{b="1",b="2"} 1\n', line: 1, reason: 'duplicate label name' },
  { text: 'a{x="0"} 1\na{b="1",b="2"} 1\n', line: 2, reason: 'duplicate label name' },
  // names
  { text: '1a 1\n', line: 1, reason: 'invalid metric name' },
  { text: '{"a"} 1\n', line: 1, reason: 'invalid metric name' },
  { text: 'a-b 1\n', line: 1, reason: 'invalid character in metric name' },
  { text: 'a.b 1\n', line: 1, reason: 'invalid character in metric name' },
  { text: 'ä 1\n', line: 1, reason: 'invalid metric name' },
  // values
  { text: 'a\n', line: 1, reason: 'missing value' },
  { text: 'a \n', line: 1, reason: 'missing value' },
  { text: 'a{b="c"}\n', line: 1, reason: 'missing value' },
  { text: 'a{b="c"}  \r\n', line: 1, reason: 'missing value' },
  { text: 'a 12abc\n', line: 1, reason: 'invalid value' },
  { text: 'a 1..2\n', line: 1, reason: 'invalid value' },
  { text: 'a 0x10\n', line: 1, reason: 'invalid value' },
  { text: 'a 1_000\n', line: 1, reason: 'invalid value' },
  { text: 'a +NaN\n', line: 1, reason: 'invalid value' },
  { text: 'a 1e\n', line: 1, reason: 'invalid value' },
  { text: 'a 1e+\n', line: 1, reason: 'invalid value' },
  { text: 'a -\n', line: 1, reason: 'invalid value' },
  { text: 'a .\n', line: 1, reason: 'invalid value' },
  { text: 'a Infin\n', line: 1, reason: 'invalid value' },
  { text: 'a true\n', line: 1, reason: 'invalid value' },
  { text: 'a 1#\n', line: 1, reason: 'invalid value' },
  // timestamps and trailing text
  { text: 'a 1 abc\n', line: 1, reason: 'invalid timestamp' },
  { text: 'a 1 NaN\n', line: 1, reason: 'invalid timestamp' },
  { text: 'a 1 +Inf\n', line: 1, reason: 'invalid timestamp' },
  { text: 'a 1 2 3\n', line: 1, reason: 'unexpected text after timestamp' },
  // exemplars
  { text: 'a 1 # trace\n', line: 1, reason: 'invalid exemplar' },
  { text: 'a 1 #{a="b"} 1\n', line: 1, reason: 'invalid exemplar' },
  { text: 'a 1 # {a="b"}\n', line: 1, reason: 'exemplar without value' },
  { text: 'a 1 # {a="b} 1\n', line: 1, reason: 'unterminated label value' },
  { text: 'a 1 # {a="b"} x\n', line: 1, reason: 'invalid exemplar value' },
  { text: 'a 1 # {a="b"} 1 2 3\n', line: 1, reason: 'unexpected text after exemplar' },
  // comments
  { text: '# TYPE a foo\n', line: 1, reason: 'unknown metric type' },
  { text: '# TYPE a\n', line: 1, reason: 'missing metric type' },
  { text: '# TYPE a counter extra\n', line: 1, reason: 'unexpected text after metric type' },
  { text: '# TYPE 1a counter\n', line: 1, reason: 'invalid metric name in TYPE' },
  { text: '# HELP a{ b\n', line: 1, reason: 'invalid metric name in HELP' },
  // after # EOF
  { text: '# EOF\na 1\n', line: 2, reason: 'content after # EOF' },
  { text: 'a 1\n# EOF\n\n# EOF\n', line: 4, reason: 'content after # EOF' },
  // line numbers count comments, blank lines and CRLF lines
  { text: '# c\r\n\r\n# HELP a x\r\na 1\r\na{b=} 2\r\n', line: 5, reason: 'expected quoted label value' },
];

describe('parseExposition errors', () => {
  for (const c of ERRORS) {
    it(`${JSON.stringify(c.text)} -> line ${c.line}: ${c.reason}`, () => {
      const e = parseError(c.text);
      expect(e.name).toBe('ExpositionParseError');
      expect(e.line).toBe(c.line);
      expect(e.reason).toContain(c.reason);
      expect(e.message).toBe(`line ${c.line}: ${e.reason}`);
      expect(e).toBeInstanceOf(Error);
    });
  }

  it('does not echo label values or other body content in the message', () => {
    const e = parseError('a{secret="hunter2} 1\n');
    expect(e.message).not.toContain('hunter2');
  });
});

describe('parseExposition keep filter', () => {
  const WANTED = new Set(['vllm:prompt_tokens_total', 'vllm:generation_tokens_total', 'process_start_time_seconds']);
  const keep = (n: string): boolean =>
    WANTED.has(n) || n.startsWith('vllm:time_to_first_token_seconds_') || n.endsWith('_created');

  for (const file of ['vllm/latest.prom', 'vllm/v0.10-v1-engine.prom', 'vllm/v0.6-v0-engine.prom', 'tgi.prom'] as const) {
    it(`${file}: kept samples are identical to the unfiltered parse, the rest are absent`, () => {
      const text = fixture(file);
      const all = parseExposition(text);
      const seen: string[] = [];
      const filtered = parseExposition(text, {
        keep: (n) => {
          seen.push(n);
          return keep(n);
        },
      });
      const expected = all.samples.filter((s) => keep(s.name));
      expect(filtered.samples).toEqual(expected);
      expect(filtered.samples.every((s) => keep(s.name))).toBe(true);
      expect(filtered.types).toEqual(all.types);
      expect(filtered.help).toEqual(all.help);
      // keep runs once per run of consecutive lines with one name, not once per line.
      let runs = 0;
      all.samples.forEach((s, k) => {
        if (k === 0 || all.samples[k - 1]!.name !== s.name) runs++;
      });
      expect(seen).toHaveLength(runs);
      if (file !== 'tgi.prom') expect(filtered.samples.length).toBeGreaterThan(0);
    });
  }

  it('latest.prom: the vLLM reader families survive the filter with their values', () => {
    const p = parseExposition(fixture('vllm/latest.prom'), { keep });
    expect(find(p, 'vllm:prompt_tokens_total', { engine: '0', model_name: LLAMA }).value).toBe(2090876);
    expect(p.samples.some((s) => s.name === 'vllm:num_requests_running')).toBe(false);
    expect(p.samples.filter((s) => s.name === 'vllm:time_to_first_token_seconds_bucket')).toHaveLength(23);
  });

  it('rejected lines are not validated past their name; truncation is still detected', () => {
    const text = 'bad{a="unterminated 1\nbad 12abc\ngood{a="x"} 2\n';
    expect(() => parseExposition(text)).toThrow(ExpositionParseError);
    const p = parseExposition(text, { keep: (n) => n === 'good' });
    expect(p.samples).toEqual([{ name: 'good', labels: { a: 'x' }, value: 2 }]);
    expect(() => parseExposition('good 1\nbad 2', { keep: (n) => n === 'good' })).toThrow(/truncated/);
  });
});
