/**
 * Property tests for the exposition parser (fast-check).
 *
 * Default: about 5,500 cases in a few seconds. `LLM_COST_LONG_TESTS=1` multiplies every property's
 * run count by 40 (about 220,000 cases); `LLM_COST_FUZZ_RUNS=N` sets each property's run count to N
 * instead. `LLM_COST_FUZZ_SEED` replays a seed printed by a failure.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { ExpositionParseError } from '../../../src/sources/exposition/exposition-parse-error.js';
import { parseExposition } from '../../../src/sources/exposition/parse.js';
import type { Sample } from '../../../src/sources/exposition/parse.js';

const LONG = process.env.LLM_COST_LONG_TESTS === '1';
const FIXED_RUNS = Number(process.env.LLM_COST_FUZZ_RUNS ?? '');
const SEED = process.env.LLM_COST_FUZZ_SEED === undefined ? undefined : Number(process.env.LLM_COST_FUZZ_SEED);
const TIMEOUT_MS = LONG || FIXED_RUNS > 0 ? 60 * 60_000 : 30_000;

function params(defaultRuns: number): { numRuns: number; seed?: number } {
  const numRuns = FIXED_RUNS > 0 ? FIXED_RUNS : LONG ? defaultRuns * 40 : defaultRuns;
  return SEED === undefined ? { numRuns } : { numRuns, seed: SEED };
}

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const FIXTURE_TEXTS = [
  'vllm/v0.6-v0-engine.prom',
  'vllm/v0.10-v1-engine.prom',
  'vllm/latest.prom',
  'sglang.prom',
  'tgi.prom',
  'llamacpp.prom',
].map((f) => readFileSync(`${FIXTURES}${f}`, 'utf8'));

// ---------------------------------------------------------------------------------------------
// (1) Generated valid expositions round-trip exactly.

interface GenSample {
  readonly name: string;
  readonly labels: ReadonlyArray<readonly [string, string]>;
  readonly value: number;
  /** Integer milliseconds. */
  readonly ts: number | undefined;
  readonly valueStyle: number;
  readonly exemplar: boolean;
}

interface GenDoc {
  readonly samples: readonly GenSample[];
  readonly openMetrics: boolean;
  readonly crlf: boolean;
  readonly spacing: number;
  readonly trailingComma: boolean;
  readonly comments: readonly number[];
}

const metricName = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,24}$/);
const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,12}$/);
const specialChar = fc.constantFrom('\\', '"', '\n', ',', '}', '{', '=', '#', ' ', '\t', '\r', '\\n', '\\"', 'le', '+Inf');
const labelValue = fc.string({
  unit: fc.oneof(
    { weight: 3, arbitrary: specialChar },
    { weight: 3, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  ),
  maxLength: 24,
});
const value = fc.oneof(
  { weight: 4, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.integer({ min: -1e9, max: 1e15 }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1e21, 1e-7, 2090876, 0.1) },
);

const genSample = (openMetrics: boolean): fc.Arbitrary<GenSample> =>
  fc.record({
    name: metricName,
    labels: fc.uniqueArray(fc.tuple(labelName, labelValue), { selector: (t) => t[0], maxLength: 5 }),
    value,
    ts: fc.option(openMetrics ? fc.integer({ min: 0, max: 4e12 }) : fc.maxSafeInteger(), {
      nil: undefined,
    }),
    valueStyle: fc.nat(5),
    exemplar: fc.boolean(),
  });

const genDoc: fc.Arbitrary<GenDoc> = fc.boolean().chain((openMetrics) =>
  fc.record({
    samples: fc.array(genSample(openMetrics), { maxLength: 12 }),
    openMetrics: fc.constant(openMetrics),
    crlf: fc.boolean(),
    spacing: fc.nat(2),
    trailingComma: fc.boolean(),
    comments: fc.array(fc.nat(5), { maxLength: 6 }),
  }),
);

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Go/prometheus_client-like renderings of a float; all parse back to exactly `v`. */
function renderValue(v: number, style: number): string {
  if (Number.isNaN(v)) return style % 2 === 0 ? 'NaN' : 'nan';
  if (v === Infinity) return ['+Inf', 'Inf', 'inf', '+Infinity', 'Infinity', '+inf'][style]!;
  if (v === -Infinity) return style % 2 === 0 ? '-Inf' : '-infinity';
  if (Object.is(v, -0)) return style % 2 === 0 ? '-0.0' : '-0';
  switch (style) {
    case 0:
      return String(v);
    case 1: {
      // prometheus_client bug: two-digit exponents with a leading zero ("e+010").
      const [m, e] = v.toExponential().split('e') as [string, string];
      const sign = e.startsWith('-') ? '-' : '+';
      const digits = e.replace(/^[+-]/, '');
      return `${m}e${sign}${digits.padStart(3, '0')}`;
    }
    case 2:
      return v.toPrecision(17);
    case 3:
      return Number.isInteger(v) && Math.abs(v) < 1e21 ? `${v.toFixed(0)}.0` : String(v);
    case 4:
      return v.toExponential().toUpperCase();
    default:
      return v > 0 ? `+${String(v)}` : String(v);
  }
}

function renderTimestamp(ms: number, openMetrics: boolean): string {
  if (!openMetrics) return String(ms);
  return `${Math.trunc(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}`;
}

const COMMENTS = [
  '# plain comment with "quotes" and {braces}',
  '#',
  '# HELP fam some \\\\ help \\n text',
  '# TYPE fam counter',
  '',
  '   ',
];

function renderDoc(doc: GenDoc): string {
  const nl = doc.crlf ? '\r\n' : '\n';
  const sp = [' ', '  ', '\t'][doc.spacing]!;
  const lines: string[] = [];
  doc.samples.forEach((s, k) => {
    const c = doc.comments[k];
    if (c !== undefined) lines.push(COMMENTS[c]!);
    let line = s.name;
    if (s.labels.length > 0 || s.valueStyle === 0) {
      const pairs = s.labels.map(([n, v]) => `${n}="${escapeLabelValue(v)}"`);
      const inner = doc.spacing === 2 ? pairs.join(' , ') : pairs.join(',');
      line += `{${inner}${doc.trailingComma && pairs.length > 0 ? ',' : ''}}`;
    }
    line += sp + renderValue(s.value, s.valueStyle);
    if (s.ts !== undefined) line += sp + renderTimestamp(s.ts, doc.openMetrics);
    if (doc.openMetrics && s.exemplar) line += ' # {trace_id="a\\"}b"} 0.5 1600000000.001';
    lines.push(line);
  });
  if (doc.openMetrics) lines.push('# EOF');
  return lines.join(nl) + nl;
}

function expectedSamples(doc: GenDoc): Sample[] {
  return doc.samples.map((s) => {
    const labels: Record<string, string> = {};
    for (const [n, v] of s.labels) Object.defineProperty(labels, n, { value: v, enumerable: true, writable: true });
    return s.ts === undefined ? { name: s.name, labels, value: s.value } : { name: s.name, labels, value: s.value, timestampMs: s.ts };
  });
}

describe('parseExposition properties', () => {
  it(
    'rendered valid expositions parse back to exactly the generated samples',
    () => {
      fc.assert(
        fc.property(genDoc, (doc) => {
          const text = renderDoc(doc);
          const parsed = parseExposition(text);
          const want = expectedSamples(doc);
          expect(parsed.samples).toHaveLength(want.length);
          parsed.samples.forEach((got, k) => {
            const w = want[k]!;
            expect(got.name).toBe(w.name);
            expect(Object.entries(got.labels)).toEqual(Object.entries(w.labels));
            expect(Object.is(got.value, w.value), `value ${got.value} vs ${w.value}`).toBe(true);
            expect(got.timestampMs).toBe(w.timestampMs);
            expect('timestampMs' in got).toBe('timestampMs' in w);
          });
          expect(parsed.openMetrics).toBe(doc.openMetrics);
        }),
        params(1500),
      );
    },
    TIMEOUT_MS,
  );

  it(
    'decimal tokens (fast path and Number() path) equal Number() of the same text',
    () => {
      const token = fc
        .record({
          sign: fc.constantFrom('', '+', '-'),
          int: fc.stringMatching(/^[0-9]{0,20}$/),
          frac: fc.option(fc.stringMatching(/^[0-9]{0,20}$/), { nil: undefined }),
          exp: fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-', '-0', '+0'), fc.integer({ min: 0, max: 400 })), {
            nil: undefined,
          }),
        })
        .filter((t) => t.int.length + (t.frac?.length ?? 0) > 0)
        .map((t) => `${t.sign}${t.int}${t.frac === undefined ? '' : `.${t.frac}`}${t.exp === undefined ? '' : t.exp.join('')}`);
      fc.assert(
        fc.property(token, fc.constantFrom(...[9007199254740991, 9007199254740993, 2 ** 53, 2 ** 53 + 2].map(String), '0.9007199254740993', '888.8916898644131'), (tok, edge) => {
          const p = parseExposition(`a ${tok}\nb ${edge}\n`);
          expect(Object.is(p.samples[0]!.value, Number(tok)), tok).toBe(true);
          expect(p.samples[1]!.value).toBe(Number(edge));
        }),
        params(1000),
      );
    },
    TIMEOUT_MS,
  );

  it(
    'a fixture cut at any character is either a complete shorter body or "truncated"',
    () => {
      fc.assert(
        fc.property(fc.nat(FIXTURE_TEXTS.length - 1), fc.double({ min: 0, max: 1, noNaN: true }), (f, at) => {
          const text = FIXTURE_TEXTS[f]!;
          const cut = text.slice(0, Math.floor(at * text.length));
          const lines = cut.split('\n').slice(0, -1);
          const sampleLines = lines.filter((l) => l.trim() !== '' && !l.startsWith('#')).length;
          if (cut === '' || cut.endsWith('\n')) {
            expect(parseExposition(cut).samples).toHaveLength(sampleLines);
          } else {
            let err: unknown;
            try {
              parseExposition(cut);
            } catch (e) {
              err = e;
            }
            expect(err).toBeInstanceOf(ExpositionParseError);
            expect((err as ExpositionParseError).reason).toContain('truncated');
            expect((err as ExpositionParseError).line).toBe(lines.length + 1);
          }
        }),
        params(500),
      );
    },
    TIMEOUT_MS,
  );
});

// ---------------------------------------------------------------------------------------------
// (2) Arbitrary input and mutated fixtures never throw anything but ExpositionParseError.

/** Parse and classify: 'ok', or the error's reason. Anything else thrown fails the property. */
function parseSafely(text: string, keep?: (n: string) => boolean): string {
  const t0 = performance.now();
  try {
    const p = parseExposition(text, keep === undefined ? undefined : { keep });
    // Cheap sanity on success: never more samples than lines.
    expect(p.samples.length).toBeLessThanOrEqual(text.split('\n').length);
    for (const s of p.samples) expect(typeof s.value).toBe('number');
    return 'ok';
  } catch (e) {
    if (!(e instanceof ExpositionParseError)) throw e;
    expect(Number.isInteger(e.line) && e.line >= 1).toBe(true);
    expect(e.message).toBe(`line ${e.line}: ${e.reason}`);
    return e.reason;
  } finally {
    // Linear time: even a 100 KB fixture parses in well under a millisecond; 500 ms would mean a hang.
    expect(performance.now() - t0).toBeLessThan(500);
  }
}

const expositionChars = fc.constantFrom(
  ...'{}"=,# \t\n\r\\.+-eEaIN0123456789_:abcxyz'.split(''),
  '# HELP ',
  '# TYPE ',
  '# EOF',
  'Inf',
  'NaN',
  'le="',
  '\ufeff',
  'ü',
  '😀',
);

type Mutation =
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly text: string }
  | { readonly kind: 'delete'; readonly at: number; readonly len: number }
  | { readonly kind: 'flip'; readonly at: number; readonly ch: string }
  | { readonly kind: 'duplicate'; readonly at: number; readonly len: number };

const position = fc.double({ min: 0, max: 1, noNaN: true });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constant('insert' as const), at: position, text: fc.string({ unit: expositionChars, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: position, len: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('flip' as const), at: position, ch: fc.oneof(expositionChars, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: position, len: fc.integer({ min: 1, max: 200 }) }),
);

function mutate(text: string, m: Mutation): string {
  const at = Math.floor(m.at * text.length);
  switch (m.kind) {
    case 'truncate':
      return text.slice(0, at);
    case 'insert':
      return text.slice(0, at) + m.text + text.slice(at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + m.len);
    case 'flip':
      return text.slice(0, at) + m.ch + text.slice(at + 1);
    case 'duplicate':
      return text.slice(0, at + m.len) + text.slice(at, at + m.len) + text.slice(at + m.len);
  }
}

describe('parseExposition robustness', () => {
  it(
    'arbitrary strings: only ExpositionParseError, quickly',
    () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({ unit: 'binary', maxLength: 200 }),
            fc.string({ unit: expositionChars, maxLength: 300 }),
            fc.string({ unit: expositionChars, maxLength: 300 }).map((s) => `${s}\n`),
          ),
          (text) => {
            parseSafely(text);
          },
        ),
        params(1500),
      );
    },
    TIMEOUT_MS,
  );

  it(
    'mutated fixtures (truncate/insert/delete/flip/duplicate): only ExpositionParseError, quickly',
    () => {
      const outcomes = new Map<string, number>();
      fc.assert(
        fc.property(
          fc.nat(FIXTURE_TEXTS.length - 1),
          fc.array(mutation, { minLength: 1, maxLength: 4 }),
          fc.boolean(),
          (f, muts, filtered) => {
            const text = muts.reduce(mutate, FIXTURE_TEXTS[f]!);
            const r = parseSafely(text, filtered ? (n) => n.startsWith('vllm:') : undefined);
            outcomes.set(r, (outcomes.get(r) ?? 0) + 1);
          },
        ),
        params(1000),
      );
      // The mutations do reach both outcomes.
      expect(outcomes.get('ok') ?? 0).toBeGreaterThan(0);
      expect(outcomes.size).toBeGreaterThan(3);
    },
    TIMEOUT_MS,
  );

  it('pathological inputs stay linear', () => {
    const big = 200_000;
    const cases = [
      `a{b="${'\\\\'.repeat(big)}"} 1\n`, // many escapes in one value
      `a{b="${'\\"'.repeat(big)}"} 1\n`, // many escaped quotes
      `a{b="${'\\'.repeat(big)}`, // unterminated, truncated
      `a{b="${'\\n'.repeat(big)}\n`, // unterminated after many escapes
      `${'a{b="x"} 1\n'.repeat(big / 10)}`,
      `${'#'.repeat(big)}\n`,
      `${'a'.repeat(big)} 1\n`,
      `a ${'1'.repeat(big)}\n`,
      `a{${'b="c",'.repeat(big / 10)}} 1\n`, // duplicate label names
      `${'a{b="c\n'.repeat(big / 10)}`,
      '\n'.repeat(big),
      `# HELP a ${'\\n'.repeat(big)}\n`,
    ];
    for (const text of cases) parseSafely(text);
    expect(parseExposition(cases[0]!).samples[0]!.labels['b']).toBe('\\'.repeat(big));
    expect(parseExposition(cases[1]!).samples[0]!.labels['b']).toBe('"'.repeat(big));
  });
});
