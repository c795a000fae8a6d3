import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import type { ApiPrice } from '../pricing/api-price.js';
import { bundledPriceTable, loadPriceFile, mergePriceTables, PRICE_ENTRY_KEYS, PriceTableError } from '../pricing/price-table.js';
import type { Config } from './config.js';
import { closestMatch, ConfigError } from './config-error.js';
import { formatDuration } from './duration.js';
import { childKeys, configFileSchema, configLeaves, leafByKey, splitList, valueFromText } from './schema.js';
import type { ConfigLeaf } from './schema.js';

export interface LoadConfigInput {
  /** YAML file (`--config`); optional: variables and flags alone can configure everything but api_prices.models. */
  readonly file?: string | undefined;
  readonly env: NodeJS.ProcessEnv | Readonly<Record<string, string | undefined>>;
  /**
   * Flag values by flag name without `--` (`gpu.hourly-cost-usd`, as `flagsFromCommander`
   * returns them) or by leaf key (`gpu.hourly_cost_usd`). `config` and `config.check` are ignored.
   */
  readonly flags: Readonly<Record<string, string | readonly string[] | boolean | undefined>>;
}

/**
 * `LLM_COST_*` variables that are not configuration keys, so they are not typos: the config file
 * path (read by the CLI, as `--config`) and test switches.
 */
export const NON_CONFIG_ENV_VARS: ReadonlySet<string> = new Set(['LLM_COST_CONFIG', 'LLM_COST_LONG_TESTS', 'LLM_COST_UPDATE_GOLDEN']);

/** A value and where it came from (an environment variable or a flag; undefined = the file). */
interface Setting {
  readonly value: unknown;
  readonly source?: string;
}

const leafByEnv = new Map(configLeaves.flatMap((leaf) => (leaf.env === undefined ? [] : [[leaf.env, leaf] as const])));
const leafByFlag = new Map(configLeaves.flatMap((leaf) => (leaf.flag === undefined ? [] : [[leaf.flag, leaf] as const])));

/**
 * Builds the configuration: defaults, then the file, then `LLM_COST_*` variables, then flags
 * (each overriding the one before, a whole value at a time: lists are replaced, not appended).
 * Validates every key and the rules between keys, resolves the price table, and returns a deeply
 * frozen {@link Config}. Throws {@link ConfigError} naming the key (and the variable or flag).
 */
export function loadConfig(input: LoadConfigInput): Config {
  const settings = new Map<string, Setting>();
  if (input.file !== undefined) for (const [key, value] of readFile(input.file)) settings.set(key, { value });
  for (const [key, setting] of readEnv(input.env)) settings.set(key, setting);
  for (const [key, setting] of readFlags(input.flags)) settings.set(key, setting);
  return deepFreeze(resolve(settings));
}

function readFile(file: string): Map<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('config', `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
  }
  const document = parseDocument(text);
  const syntax = document.errors[0];
  if (syntax !== undefined) {
    const at = syntax.linePos?.[0];
    const message = syntax.message.split(/ at line \d+, column \d+/)[0] ?? syntax.code;
    throw new ConfigError('config', `${file}${at === undefined ? '' : `:${at.line}:${at.col}`}: ${message}`, { cause: syntax });
  }
  let data: unknown;
  try {
    data = document.toJS() ?? {};
  } catch (error) {
    // e.g. "Excessive alias count" (a YAML alias bomb)
    throw new ConfigError('config', `${file}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = configFileSchema.safeParse(data);
  if (!parsed.success) throw issueError(parsed.error.issues, '');
  const values = new Map<string, unknown>();
  for (const leaf of configLeaves) {
    let value: unknown = parsed.data;
    for (const name of leaf.key.split('.')) value = (value as Record<string, unknown> | undefined)?.[name];
    if (value === undefined) continue;
    // Companion files are found beside the config file, as Prometheus does for rule files.
    if ((leaf.key === 'api_prices.file' || leaf.key === 'web.config_file') && !isAbsolute(value as string)) {
      value = join(dirname(file), value as string);
    }
    values.set(leaf.key, value);
  }
  return values;
}

function readEnv(env: LoadConfigInput['env']): Map<string, Setting> {
  const settings = new Map<string, Setting>();
  for (const name of Object.keys(env).sort()) {
    const text = env[name];
    if (!name.startsWith('LLM_COST_') || text === undefined || NON_CONFIG_ENV_VARS.has(name)) continue;
    const leaf = leafByEnv.get(name);
    if (leaf === undefined) {
      const fileOnly = configLeaves.find((l) => l.env === undefined && `LLM_COST_${l.key.toUpperCase().replaceAll('.', '_')}` === name);
      if (fileOnly !== undefined) throw new ConfigError(name, `${fileOnly.key} can only be set in the config file`);
      const suggestion = closestMatch(name, leafByEnv.keys());
      throw new ConfigError(name, `unknown environment variable${suggestion === undefined ? ' (see --help for the list)' : `; did you mean ${suggestion}?`}`);
    }
    settings.set(leaf.key, { value: parseText(leaf, text, name), source: name });
  }
  return settings;
}

function readFlags(flags: LoadConfigInput['flags']): Map<string, Setting> {
  const settings = new Map<string, Setting>();
  for (const [name, value] of Object.entries(flags)) {
    if (value === undefined || name === 'config' || name === 'config.check') continue;
    const leaf = leafByFlag.get(name) ?? leafByKey.get(name);
    if (leaf === undefined || leaf.flag === undefined) throw new ConfigError(`--${name}`, 'unknown flag');
    settings.set(leaf.key, { value: parseText(leaf, value, `--${leaf.flag}`), source: `--${leaf.flag}` });
  }
  return settings;
}

/** A variable's or flag's text, converted and validated by its leaf. */
function parseText(leaf: ConfigLeaf, given: string | readonly string[] | boolean, source: string): unknown {
  let raw: unknown;
  if (typeof given === 'boolean') {
    if (leaf.text !== 'boolean') throw new ConfigError(leaf.key, `expects a value (${leaf.placeholder})`, { source });
    raw = given;
  } else if (typeof given === 'string') {
    raw = valueFromText(leaf, given);
  } else if (leaf.text === 'list' || leaf.text === 'number-list') {
    raw = given.flatMap((item) => valueFromText(leaf, splitList(item).join(',')) as unknown[]);
  } else {
    raw = valueFromText(leaf, given[given.length - 1] ?? '');
  }
  const result = leaf.schema.safeParse(raw);
  if (!result.success) throw issueError(result.error.issues, leaf.key, source);
  return result.data;
}

/** The first zod issue as a ConfigError, keyed by its full path (`vllm.targets[1]`). */
function issueError(issues: readonly z.core.$ZodIssue[], prefix: string, source?: string): ConfigError {
  // A misspelt key also makes the real one missing: report the misspelling.
  const issue = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0];
  if (issue === undefined) return new ConfigError(prefix || 'config', 'invalid', { source });
  const key = issue.path.reduce<string>(
    (at, part) => (typeof part === 'number' ? `${at}[${part}]` : at === '' ? String(part) : `${at}.${String(part)}`),
    prefix,
  );
  if (issue.code !== 'unrecognized_keys') return new ConfigError(key || 'config', issue.message, { source });
  const name = issue.keys[0] ?? '';
  return new ConfigError(key === '' ? name : `${key}.${name}`, unknownKeyReason(key, name), { source });
}

function unknownKeyReason(parent: string, name: string): string {
  const inEntry = /\[\d+\]$/.test(parent);
  const full = (child: string): string => (parent === '' ? child : `${parent}.${child}`);
  if (!inEntry && leafByKey.has(full(name))) {
    return `unknown key; YAML keys are nested: write ${full(name)
      .split('.')
      .map((part) => `"${part}:"`)
      .join(' and, indented below it, ')}`;
  }
  const candidates = inEntry ? [...PRICE_ENTRY_KEYS] : childKeys(parent);
  const suggestion = closestMatch(name, candidates);
  if (suggestion !== undefined) return `unknown key; did you mean ${full(suggestion)}?`;
  const elsewhere = configLeaves.filter((leaf) => leaf.key.endsWith(`.${name}`)).map((leaf) => leaf.key);
  if (!inEntry && elsewhere.length > 0) return `unknown key; did you mean ${elsewhere.join(' or ')}?`;
  return `unknown key; expected one of: ${candidates.join(', ')}`;
}

const defaults = new Map<string, unknown>();

function resolve(settings: ReadonlyMap<string, Setting>): Config {
  const get = <T>(key: string): T => {
    const setting = settings.get(key);
    if (setting !== undefined) return setting.value as T;
    if (!defaults.has(key)) {
      const leaf = leafByKey.get(key);
      defaults.set(key, leaf?.default === undefined ? undefined : leaf.schema.parse(leaf.default));
    }
    return defaults.get(key) as T;
  };
  const fail = (key: string, reason: string): ConfigError => new ConfigError(key, reason, { source: settings.get(key)?.source });

  const gpuCost = get<number | undefined>('gpu.hourly_cost_usd');
  const instanceCost = get<number | undefined>('instance.hourly_cost_usd');
  if (gpuCost === undefined && instanceCost === undefined) {
    throw fail('gpu.hourly_cost_usd', 'set the hourly cost of one GPU (gpu.hourly_cost_usd) or of the whole host (instance.hourly_cost_usd)');
  }
  if (gpuCost !== undefined && instanceCost !== undefined) {
    throw fail('gpu.hourly_cost_usd', 'set either gpu.hourly_cost_usd (per GPU) or instance.hourly_cost_usd (whole host), not both');
  }
  // per-GPU pricing needs a GPU count: from gpu.indices, or from what nvidia-smi reports
  if (gpuCost !== undefined && !get<boolean>('nvidia_smi.enabled') && get<readonly number[] | undefined>('gpu.indices') === undefined) {
    throw fail('gpu.indices', 'required with gpu.hourly_cost_usd when nvidia_smi.enabled is false (which GPUs to bill?); or set instance.hourly_cost_usd');
  }

  const pollInterval = get<number>('poll_interval');
  const timeout = get<number | undefined>('vllm.timeout');
  if (timeout !== undefined && timeout > pollInterval) {
    throw fail('vllm.timeout', `must not exceed poll_interval (${formatDuration(pollInterval)}), got ${formatDuration(timeout)}`);
  }

  const priceFile = get<string | undefined>('api_prices.file');
  let filePrices: ApiPrice[] = [];
  if (priceFile !== undefined) {
    try {
      filePrices = loadPriceFile(priceFile);
    } catch (error) {
      if (!(error instanceof PriceTableError)) throw error;
      throw new ConfigError('api_prices.file', `${priceFile}: ${error.message}`, { source: settings.get('api_prices.file')?.source, cause: error });
    }
  }
  const inline = get<ApiPrice[]>('api_prices.models');
  const table = mergePriceTables(bundledPriceTable(), filePrices, inline);
  const known = (key: string, leafKey: string, id: string): string => {
    if (!table.has(id)) throw new ConfigError(key, unknownModelReason(id, table), { source: settings.get(leafKey)?.source });
    return id;
  };
  const compareTo = known('compare_to', 'compare_to', get<string>('compare_to'));
  const compare = get<string[]>('api_prices.compare').map((id, i) => known(`api_prices.compare[${i}]`, 'api_prices.compare', id));

  const indices = get<number[] | undefined>('gpu.indices');
  const tokensPerSecond = get<number | undefined>('capacity.tokens_per_second');
  const webConfigFile = get<string | undefined>('web.config_file');
  return {
    vllm: { targets: get<string[]>('vllm.targets'), timeout: timeout ?? Math.min(Math.round(pollInterval * 0.8), 10_000) },
    poll_interval: pollInterval,
    nvidia_smi: { path: get('nvidia_smi.path'), interval: get('nvidia_smi.interval'), enabled: get('nvidia_smi.enabled') },
    gpu: { ...(indices === undefined ? {} : { indices }), ...(gpuCost === undefined ? {} : { hourly_cost_usd: gpuCost }) },
    instance: instanceCost === undefined ? {} : { hourly_cost_usd: instanceCost },
    capacity: tokensPerSecond === undefined ? {} : { tokens_per_second: tokensPerSecond },
    ops: { fte: get('ops.fte'), annual_cost_usd: get('ops.annual_cost_usd') },
    api_prices: { ...(priceFile === undefined ? {} : { file: priceFile }), models: inline, compare, table },
    compare_to: compareTo,
    alert: { break_even_utilization: get('alert.break_even_utilization'), ttft_seconds: get('alert.ttft_seconds') },
    storage: { path: get('storage.path'), save_interval: get('storage.save_interval') },
    web: {
      listen_address: get('web.listen_address'),
      telemetry_path: get('web.telemetry_path'),
      ...(webConfigFile === undefined ? {} : { config_file: webConfigFile }),
    },
    log: { level: get('log.level'), format: get('log.format') },
  };
}

function unknownModelReason(id: string, table: ReadonlyMap<string, ApiPrice>): string {
  const ids = [...table.keys()].sort();
  const suggestion = closestMatch(id, ids);
  const shown = ids.length > 10 ? `${ids.slice(0, 10).join(', ')} and ${ids.length - 10} more` : ids.join(', ');
  const hint = suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`;
  return `unknown API model ${JSON.stringify(id)}${hint}; known: ${shown}; add others under api_prices.models or api_prices.file`;
}

/** Freezes objects, arrays and maps all the way down (a frozen Map still has a working `set`). */
function deepFreeze<T>(value: T): T {
  if (value instanceof Map) {
    const refuse = (): never => {
      throw new TypeError('the configuration is frozen');
    };
    Object.defineProperties(value, { set: { value: refuse }, delete: { value: refuse }, clear: { value: refuse } });
    for (const entry of value.values()) deepFreeze(entry);
  } else if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return typeof value === 'object' && value !== null ? Object.freeze(value) : value;
}
