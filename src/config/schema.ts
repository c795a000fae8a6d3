import * as z from 'zod';
import { API_MODEL_ID_PATTERN, priceEntrySchema } from '../pricing/price-table.js';
import { describeValue } from './config-error.js';
import { DurationError, parseDuration } from './duration.js';

/**
 * The configuration, declared once: every leaf key with its validator, default and help line.
 * The YAML schema, the `LLM_COST_*` variables, the flags, `--help` and the README table are all
 * derived from {@link configLeaves}; nothing else lists the keys.
 */

/** How a leaf is written as text (environment variables, flags); `none` = file only. */
export type TextForm = 'string' | 'number' | 'boolean' | 'list' | 'number-list' | 'none';

export interface ConfigLeaf {
  /** Dotted YAML path, e.g. `gpu.hourly_cost_usd`. */
  readonly key: string;
  /** Validates one value as written in YAML (and converts it: durations become milliseconds). */
  readonly schema: z.ZodType;
  readonly text: TextForm;
  /** One line for `--help`, the README and the sample config. */
  readonly help: string;
  /** Default, as it would be written in YAML; undefined = unset unless derived (see defaultText). */
  readonly default: unknown;
  /** Default as shown to users. */
  readonly defaultText: string | undefined;
  /** Value name in `--help`, e.g. `<duration>`. */
  readonly placeholder: string;
  /** Flag name without `--` (`gpu.hourly-cost-usd`); undefined when the leaf has no flag. */
  readonly flag: string | undefined;
  /** Environment variable (`LLM_COST_GPU_HOURLY_COST_USD`); undefined when it has none. */
  readonly env: string | undefined;
}

const expected = (what: string) => (iss: { input?: unknown }) => `expected ${what}, got ${describeValue(iss.input)}`;
const got = (rule: string) => (iss: { input?: unknown }) => `${rule}, got ${describeValue(iss.input)}`;

const DURATION = 'a duration like 500ms, 5s or 1m';

/** A positive duration, in whole milliseconds. Numbers are refused: `5` could be 5 s or 5 ms. */
const duration = z
  .string({
    error: (iss) =>
      typeof iss.input === 'number'
        ? `expected ${DURATION}, got ${iss.input}: add a unit (${iss.input}s or ${iss.input}ms)`
        : `expected ${DURATION}, got ${describeValue(iss.input)}`,
  })
  .transform((input, ctx) => {
    let ms: number;
    try {
      ms = parseDuration(input);
    } catch (error) {
      if (!(error instanceof DurationError)) throw error;
      const hint = /^\d+(?:\.\d+)?$/.test(input) ? `: add a unit (${input}s or ${input}ms)` : '';
      ctx.addIssue({ code: 'custom', message: `expected ${DURATION}, got ${JSON.stringify(input)}${hint}`, input });
      return z.NEVER;
    }
    if (ms <= 0) ctx.addIssue({ code: 'custom', message: `must be longer than 0s, got ${JSON.stringify(input)}`, input });
    else if (!Number.isInteger(ms)) ctx.addIssue({ code: 'custom', message: `must be a whole number of milliseconds, got ${JSON.stringify(input)}`, input });
    return ms;
  });

const number = z.number({ error: expected('a number') });
const positive = number.gt(0, { error: got('must be greater than 0') });
const nonEmpty = z.string({ error: expected('a string') }).min(1, { error: 'must not be empty' });
const boolean = z.boolean({ error: expected('true or false') });

const isHttpUrl = (text: string): boolean => {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
  } catch {
    return false;
  }
};

/** A list whose items must be distinct (a URL polled twice would count its tokens twice). */
const distinctList = <T extends z.ZodType>(item: T, what: string) =>
  z.array(item, { error: expected(`a list of ${what}`) }).superRefine((items, ctx) => {
    items.forEach((value, i) => {
      const first = items.indexOf(value);
      if (first !== i) ctx.addIssue({ code: 'custom', message: `listed twice (also at [${first}])`, path: [i], input: value });
    });
  });

const url = z.string({ error: expected('an http(s) URL') }).refine(isHttpUrl, { error: got('expected an http(s) URL') });
const gpuIndex = z
  .number({ error: expected('a GPU index (a non-negative integer)') })
  .refine((n) => Number.isInteger(n) && n >= 0, { error: expected('a GPU index (a non-negative integer)') });
const apiModelId = z
  .string({ error: expected('an API model id') })
  .regex(API_MODEL_ID_PATTERN, { error: expected('an API model id (letters, digits and . - _ / :, no spaces)') });

const LISTEN_ADDRESS = /^(?:\[[0-9A-Fa-f:.]+\]|[^\s:[\]]*):(\d{1,5})$/;
const listenAddress = z
  .string({ error: expected('host:port or :port') })
  .refine((text) => Number(LISTEN_ADDRESS.exec(text)?.[1] ?? NaN) <= 65_535, { error: expected('host:port or :port') });
const telemetryPath = z
  .string({ error: expected('a URL path') })
  .regex(/^\/\S+$/, { error: expected('a URL path like /metrics (not /, the landing page)') });

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: expected(`one of ${values.join(', ')}`) });

const priceModels = z.array(priceEntrySchema, { error: expected('a list of price entries') }).superRefine((items, ctx) => {
  items.forEach((item, i) => {
    const first = items.findIndex((other) => other.id === item.id);
    if (first !== i) ctx.addIssue({ code: 'custom', message: `duplicate id "${item.id}" (also at [${first}])`, path: [i, 'id'], input: item.id });
  });
});

interface LeafSpec {
  key: string;
  schema: z.ZodType;
  text: TextForm;
  help: string;
  default?: unknown;
  defaultText?: string;
  placeholder: string;
  flag?: string;
}

const SPECS: readonly LeafSpec[] = [
  { key: 'vllm.targets', schema: distinctList(url, 'http(s) URLs'), text: 'list', placeholder: '<url>', default: ['http://127.0.0.1:8000/metrics'], help: 'vLLM /metrics URLs to poll (repeat the flag or separate with commas); empty = GPU-only accounting' },
  { key: 'vllm.timeout', schema: duration, text: 'string', placeholder: '<duration>', defaultText: '80% of poll_interval, at most 10s', help: 'timeout of one vLLM poll; at most poll_interval' },
  { key: 'poll_interval', schema: duration, text: 'string', placeholder: '<duration>', default: '5s', help: 'interval between vLLM polls; also the accounting tick' },
  { key: 'nvidia_smi.path', schema: nonEmpty, text: 'string', placeholder: '<path>', default: 'nvidia-smi', help: 'nvidia-smi binary to run (no shell; searched in PATH)' },
  { key: 'nvidia_smi.interval', schema: duration, text: 'string', placeholder: '<duration>', default: '1s', help: 'nvidia-smi sampling interval (-lms)' },
  { key: 'nvidia_smi.enabled', schema: boolean, text: 'boolean', placeholder: '[bool]', default: true, help: 'read the GPUs through nvidia-smi; false on hosts without NVIDIA GPUs' },
  { key: 'gpu.indices', schema: distinctList(gpuIndex, 'GPU indices').min(1, { error: 'must list at least one GPU (leave it unset to watch every GPU)' }), text: 'number-list', placeholder: '<index>', defaultText: 'every GPU nvidia-smi reports', help: 'nvidia-smi indices of the GPUs to watch and bill' },
  { key: 'gpu.hourly_cost_usd', schema: positive, text: 'number', placeholder: '<usd>', help: 'USD per hour per GPU, billed for every watched GPU (or set instance.hourly_cost_usd)' },
  { key: 'instance.hourly_cost_usd', schema: positive, text: 'number', placeholder: '<usd>', help: 'USD per hour for the whole host, instead of gpu.hourly_cost_usd' },
  { key: 'capacity.tokens_per_second', schema: positive, text: 'number', placeholder: '<tokens>', help: 'prompt+generation tokens per second at full load; unset = token utilisation unknown' },
  { key: 'ops.fte', schema: number.min(0, { error: got('must be between 0 and 10') }).max(10, { error: got('must be between 0 and 10') }), text: 'number', placeholder: '<share>', default: 0, help: "this host's share of one engineer's time, e.g. 0.2 (0 = no ops cost)" },
  { key: 'ops.annual_cost_usd', schema: number.min(0, { error: got('must be 0 or more') }), text: 'number', placeholder: '<usd>', default: 150_000, help: 'fully loaded cost of one engineer per year, USD' },
  { key: 'api_prices.file', schema: nonEmpty, text: 'string', placeholder: '<file>', help: 'price file merged over the bundled table: {"models": [...]} or LiteLLM\'s model_prices_and_context_window.json (relative to the config file when set there)' },
  { key: 'api_prices.models', schema: priceModels, text: 'none', placeholder: '', default: [], help: 'inline price entries {id, input_usd_per_mtok, output_usd_per_mtok, cached_input_usd_per_mtok?}, merged last (config file only)' },
  { key: 'api_prices.compare', schema: distinctList(apiModelId, 'API model ids'), text: 'list', placeholder: '<id>', default: ['gpt-4o-mini', 'claude-haiku-4-5'], help: 'API models to compare with, besides compare_to' },
  { key: 'compare_to', schema: apiModelId, text: 'string', placeholder: '<id>', default: 'claude-3-5-haiku', help: 'API model of the "above API price" alert' },
  { key: 'alert.break_even_utilization', schema: number.gt(0, { error: got('must be above 0 and at most 1') }).max(1, { error: got('must be above 0 and at most 1') }), text: 'number', placeholder: '<ratio>', default: 0.6, help: 'static utilisation threshold of the below-break-even alert, in (0, 1]' },
  { key: 'alert.ttft_seconds', schema: positive, text: 'number', placeholder: '<seconds>', default: 1.0, help: 'time-to-first-token p95 target, in seconds' },
  { key: 'storage.path', schema: nonEmpty, text: 'string', placeholder: '<dir>', default: './data', help: 'directory for the persisted windows and counters' },
  { key: 'storage.save_interval', schema: duration, text: 'string', placeholder: '<duration>', default: '60s', help: 'how often the state is saved (also on shutdown); a crash loses at most this much' },
  { key: 'web.listen_address', schema: listenAddress, text: 'string', placeholder: '<address>', default: ':9787', help: 'address to listen on: host:port or :port' },
  { key: 'web.telemetry_path', schema: telemetryPath, text: 'string', placeholder: '<path>', default: '/metrics', help: 'path of the metrics endpoint' },
  { key: 'web.config_file', schema: nonEmpty, text: 'string', placeholder: '<file>', flag: 'web.config.file', help: 'exporter-toolkit web config file: TLS and basic auth (relative to the config file when set there)' },
  { key: 'log.level', schema: oneOf(['debug', 'info', 'warn', 'error']), text: 'string', placeholder: '<level>', default: 'info', help: 'log level: debug, info, warn or error' },
  { key: 'log.format', schema: oneOf(['json', 'logfmt']), text: 'string', placeholder: '<format>', default: 'json', help: 'log format: json or logfmt' },
];

/** Prometheus style: dots between levels, hyphens inside names (`gpu.hourly_cost_usd` → `gpu.hourly-cost-usd`). */
const flagOf = (key: string): string => key.replaceAll('_', '-');
const envOf = (key: string): string => `LLM_COST_${key.toUpperCase().replaceAll('.', '_')}`;

function showDefault(spec: LeafSpec): string | undefined {
  if (spec.defaultText !== undefined) return spec.defaultText;
  if (spec.default === undefined) return undefined;
  if (Array.isArray(spec.default)) return spec.default.length === 0 ? 'none' : spec.default.join(',');
  return String(spec.default);
}

/** Every leaf key, in documentation order. */
export const configLeaves: readonly ConfigLeaf[] = Object.freeze(
  SPECS.map((spec) =>
    Object.freeze({
      key: spec.key,
      schema: spec.schema,
      text: spec.text,
      help: spec.help,
      default: spec.default,
      defaultText: showDefault(spec),
      placeholder: spec.placeholder,
      flag: spec.text === 'none' ? undefined : (spec.flag ?? flagOf(spec.key)),
      env: spec.text === 'none' ? undefined : envOf(spec.key),
    }),
  ),
);

/** Leaves by key. */
export const leafByKey: ReadonlyMap<string, ConfigLeaf> = new Map(configLeaves.map((leaf) => [leaf.key, leaf]));

/** The names of the keys directly under a dotted prefix (`''` for the top level), for hints. */
export function childKeys(prefix: string): string[] {
  const start = prefix === '' ? '' : `${prefix}.`;
  const names = configLeaves.filter((leaf) => leaf.key.startsWith(start)).map((leaf) => leaf.key.slice(start.length).split('.')[0] ?? '');
  return [...new Set(names)];
}

/**
 * The whole file, nested and strict (unknown keys are errors), every key optional: defaults and
 * cross-key rules are applied after the file, the variables and the flags are merged. A section
 * left empty (`instance:` with its keys commented out) counts as absent.
 */
export const configFileSchema: z.ZodType = buildSection('');

function buildSection(prefix: string): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const name of childKeys(prefix)) {
    const key = prefix === '' ? name : `${prefix}.${name}`;
    const leaf = leafByKey.get(key);
    shape[name] = (leaf === undefined ? buildSection(key) : leaf.schema).optional();
  }
  const section = z.strictObject(shape, {
    error: (iss) => (iss.code === 'invalid_type' ? `expected a mapping, got ${describeValue(iss.input)}` : undefined),
  });
  return prefix === '' ? section : z.preprocess((value) => (value === null ? undefined : value), section.optional());
}

/**
 * A value written as text (an environment variable or a flag) in the form its leaf expects.
 * Text that does not convert is returned unchanged, so the leaf's schema rejects it with the
 * usual message (`expected a number, got "abc"`).
 */
export function valueFromText(leaf: ConfigLeaf, text: string): unknown {
  const trimmed = text.trim();
  switch (leaf.text) {
    case 'number':
      return toNumber(trimmed);
    case 'boolean':
      return /^true$/i.test(trimmed) ? true : /^false$/i.test(trimmed) ? false : text;
    case 'list':
      return splitList(text);
    case 'number-list':
      return splitList(text).map(toNumber);
    default:
      return text;
  }
}

function toNumber(text: string): number | string {
  return text !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
}

/** Comma-separated items, trimmed; empty items dropped (so `""` is the empty list). */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
