import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { describeValue } from '../config/config-error.js';
import type { ApiPrice } from './api-price.js';
// Type only: the JSON is read at run time (below), which works on every Node 20 (import
// attributes need 20.10+). The import still makes tsc copy the file into dist/pricing/.
import type bundledFile from './bundled-prices.json';

/**
 * API list prices: the bundled table (dated and sourced, built by scripts/build-price-table.mjs),
 * user price files in our format or LiteLLM's model cost map, and their merge.
 */

/** A price file that cannot be used. `at` locates the entry (`models[2].id`, `"gpt-4o".input_cost_per_token`). */
export class PriceTableError extends Error {
  override readonly name = 'PriceTableError';
  readonly at: string;
  readonly reason: string;

  constructor(at: string, reason: string, options?: { cause?: unknown }) {
    super(at === '' ? reason : `${at}: ${reason}`, options);
    this.at = at;
    this.reason = reason;
  }
}

/** Ids users may give: printable ASCII without spaces (LiteLLM keys such as `gemini/gemini-2.5-pro` fit). */
export const API_MODEL_ID_PATTERN = /^[A-Za-z0-9][\x21-\x7e]*$/;

/** Sanity bound on list prices: above $1000 per million tokens, the unit is surely wrong. */
export const MAX_USD_PER_MTOK = 1000;

const price = z
  .number({ error: (iss) => `expected a price in USD per million tokens, got ${describeValue(iss.input)}` })
  .min(0, { error: (iss) => `must be between 0 and ${MAX_USD_PER_MTOK} USD per million tokens, got ${describeValue(iss.input)}` })
  .max(MAX_USD_PER_MTOK, { error: (iss) => `must be between 0 and ${MAX_USD_PER_MTOK} USD per million tokens, got ${describeValue(iss.input)}` });

const text = z.string({ error: (iss) => `expected a string, got ${describeValue(iss.input)}` });

/** The keys a price entry may have, for "did you mean" hints. */
export const PRICE_ENTRY_KEYS = [
  'id',
  'input_usd_per_mtok',
  'output_usd_per_mtok',
  'cached_input_usd_per_mtok',
  'provider',
  'source_id',
  'mode',
  'note',
] as const;

/** One entry of our format (and of `api_prices.models`). `mode` and `note` are documentation only. */
export const priceEntrySchema = z
  .strictObject(
    {
      id: text.regex(API_MODEL_ID_PATTERN, {
        error: (iss) => `expected an API model id (letters, digits and . - _ / :, no spaces), got ${describeValue(iss.input)}`,
      }),
      input_usd_per_mtok: price,
      output_usd_per_mtok: price,
      cached_input_usd_per_mtok: price.optional(),
      provider: text.optional(),
      source_id: text.optional(),
      mode: text.optional(),
      note: text.optional(),
    },
    { error: (iss) => (iss.code === 'invalid_type' ? `expected a mapping, got ${describeValue(iss.input)}` : undefined) },
  )
  .transform(toApiPrice);

function toApiPrice(entry: {
  id: string;
  input_usd_per_mtok: number;
  output_usd_per_mtok: number;
  cached_input_usd_per_mtok?: number | undefined;
  provider?: string | undefined;
  source_id?: string | undefined;
}): ApiPrice {
  return Object.freeze({
    id: entry.id,
    input_usd_per_mtok: entry.input_usd_per_mtok,
    output_usd_per_mtok: entry.output_usd_per_mtok,
    ...(entry.cached_input_usd_per_mtok === undefined ? {} : { cached_input_usd_per_mtok: entry.cached_input_usd_per_mtok }),
    ...(entry.provider === undefined ? {} : { provider: entry.provider }),
    ...(entry.source_id === undefined ? {} : { source_id: entry.source_id }),
  });
}

/** Provenance of the bundled table, for an `_info` series and the README. */
export interface PriceTableProvenance {
  readonly source: string;
  readonly source_commit: string;
  readonly retrieved_from: string;
  /** Date the prices were read, YYYY-MM-DD. */
  readonly as_of: string;
}

let bundledCache: { provenance: PriceTableProvenance; prices: readonly ApiPrice[] } | undefined;

function bundled(): { provenance: PriceTableProvenance; prices: readonly ApiPrice[] } {
  if (bundledCache === undefined) {
    const file = JSON.parse(readFileSync(new URL('./bundled-prices.json', import.meta.url), 'utf8')) as typeof bundledFile;
    const { source, source_commit, retrieved_from, as_of } = file;
    bundledCache = {
      provenance: Object.freeze({ source, source_commit, retrieved_from, as_of }),
      prices: Object.freeze(parsePriceData(file)),
    };
  }
  return bundledCache;
}

/** The bundled table, keyed by short id (a fresh map each call; the entries are frozen). */
export function bundledPriceTable(): ReadonlyMap<string, ApiPrice> {
  return mergePriceTables(bundled().prices);
}

/** Where the bundled prices come from and when they were read. */
export function bundledPriceProvenance(): PriceTableProvenance {
  return bundled().provenance;
}

/**
 * Reads a price file: our format (`{"models": [...]}`) or LiteLLM's
 * model_prices_and_context_window.json, told apart by shape. Throws {@link PriceTableError}
 * when the file cannot be read, is not JSON, or holds an invalid entry.
 */
export function loadPriceFile(path: string): ApiPrice[] {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PriceTableError('', `cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(content);
  } catch (error) {
    throw new PriceTableError('', `not valid JSON (${(error as Error).message})`, { cause: error });
  }
  return parsePriceData(data);
}

/** Pure part of {@link loadPriceFile}: a parsed JSON value to price entries. */
export function parsePriceData(data: unknown): ApiPrice[] {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new PriceTableError('', `expected a JSON object, got ${describeValue(data)}`);
  }
  if ('models' in data) return parseOurFormat((data as { models: unknown }).models);
  if (isLiteLlmMap(data as Record<string, unknown>)) return parseLiteLlmMap(data as Record<string, unknown>);
  throw new PriceTableError('', 'unknown format: expected {"models": [...]} or a LiteLLM model_prices_and_context_window.json map');
}

function parseOurFormat(models: unknown): ApiPrice[] {
  const result = z.array(priceEntrySchema).safeParse(models);
  if (!result.success) {
    const issue = result.error.issues[0];
    if (issue === undefined) throw new PriceTableError('models', 'invalid');
    const at = ['models', ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))].join('');
    if (issue.code === 'unrecognized_keys') throw new PriceTableError(`${at}.${issue.keys[0] ?? ''}`, 'unknown key');
    throw new PriceTableError(at, issue.path.length === 0 ? `expected a list of entries, got ${describeValue(models)}` : issue.message);
  }
  const seen = new Map<string, number>();
  result.data.forEach((entry, i) => {
    const first = seen.get(entry.id);
    if (first !== undefined) throw new PriceTableError(`models[${i}].id`, `duplicate id "${entry.id}" (also models[${first}])`);
    seen.set(entry.id, i);
  });
  return result.data;
}

function isLiteLlmMap(data: Record<string, unknown>): boolean {
  return Object.entries(data).some(
    ([key, value]) =>
      key === 'sample_spec' ||
      (typeof value === 'object' && value !== null && ('litellm_provider' in value || 'input_cost_per_token' in value)),
  );
}

/** LiteLLM modes priced per token that a self-hosted LLM's traffic can be compared with. */
const LITELLM_TOKEN_MODES = new Set(['chat', 'completion', 'responses', 'embedding']);

/**
 * LiteLLM's map: USD per token, ×1e6. `sample_spec`, entries of other modes (images, audio,
 * rerank, ...), entries without both prices and keys that are not usable ids are skipped; a price
 * that is not a number or is outside 0..$1000/M stops the load with the key named (the file has
 * known data errors; see docs/research: eu.anthropic.claude-3-5-haiku, gemini-1.5-flash).
 */
function parseLiteLlmMap(data: Record<string, unknown>): ApiPrice[] {
  const prices: ApiPrice[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (key === 'sample_spec' || typeof value !== 'object' || value === null || !API_MODEL_ID_PATTERN.test(key)) continue;
    const entry = value as Record<string, unknown>;
    if (typeof entry['mode'] === 'string' && !LITELLM_TOKEN_MODES.has(entry['mode'])) continue;
    const output = entry['output_cost_per_token'] ?? (entry['mode'] === 'embedding' ? 0 : undefined);
    if (entry['input_cost_per_token'] === undefined || output === undefined) continue;
    const perMtok = (field: string, perToken: unknown): number => {
      const at = `${JSON.stringify(key)}.${field}`;
      if (typeof perToken !== 'number' || !Number.isFinite(perToken)) {
        throw new PriceTableError(at, `expected a number of USD per token, got ${describeValue(perToken)}`);
      }
      const usd = Number((perToken * 1e6).toPrecision(12));
      if (usd < 0 || usd > MAX_USD_PER_MTOK) {
        throw new PriceTableError(at, `${perToken} USD per token (${usd} per million) is outside 0..${MAX_USD_PER_MTOK} USD per million tokens`);
      }
      return usd;
    };
    const cached = entry['cache_read_input_token_cost'];
    const provider = entry['litellm_provider'];
    prices.push(
      Object.freeze({
        id: key,
        input_usd_per_mtok: perMtok('input_cost_per_token', entry['input_cost_per_token']),
        output_usd_per_mtok: perMtok('output_cost_per_token', output),
        ...(cached === undefined || cached === null ? {} : { cached_input_usd_per_mtok: perMtok('cache_read_input_token_cost', cached) }),
        ...(typeof provider === 'string' ? { provider } : {}),
        source_id: key,
      }),
    );
  }
  return prices;
}

/** Tables merged by id, later tables winning; the result keeps first-seen order of ids. */
export function mergePriceTables(...tables: ReadonlyArray<Iterable<ApiPrice> | ReadonlyMap<string, ApiPrice>>): Map<string, ApiPrice> {
  const merged = new Map<string, ApiPrice>();
  for (const table of tables) {
    const entries: Iterable<ApiPrice> = table instanceof Map ? (table as ReadonlyMap<string, ApiPrice>).values() : (table as Iterable<ApiPrice>);
    for (const entry of entries) merged.set(entry.id, entry);
  }
  return merged;
}
