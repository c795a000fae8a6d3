/**
 * An invalid configuration. The message is one line, `config error: <key>: <reason>`, or
 * `config error: <key> (from <source>): <reason>` when the value came from an environment
 * variable or a flag, so the user knows which of the three places to fix. `main` prints it
 * and exits with status 2.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** Dotted path of the offending key (`gpu.hourly_cost_usd`, `vllm.targets[1]`), or `config`. */
  readonly key: string;
  readonly reason: string;
  /** The environment variable or flag the value came from; undefined for the file or a default. */
  readonly source: string | undefined;

  constructor(key: string, reason: string, options: { source?: string | undefined; cause?: unknown } = {}) {
    const where = options.source === undefined ? key : `${key} (from ${options.source})`;
    super(`config error: ${where}: ${oneLine(reason)}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.key = key;
    this.reason = oneLine(reason);
    this.source = options.source;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * How a value the user gave is shown in an error: strings quoted (so `"5"` and `5` differ),
 * numbers and booleans as written, lists and mappings by their kind, a missing value as `nothing`.
 */
export function describeValue(value: unknown): string {
  if (value === undefined || value === null) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

/**
 * The candidate closest to `word`, if close enough to be a plausible typo: an edit distance of at
 * most a third of the word's length (at least 1), else the shortest candidate that extends the
 * word (`hourly_cost` → `hourly_cost_usd`); undefined when none is.
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  let extension: string | undefined;
  for (const candidate of candidates) {
    const other = candidate.toLowerCase();
    const distance = editDistance(lower, other);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
    if (lower.length >= 3 && other.startsWith(lower) && (extension === undefined || candidate.length < extension.length)) {
      extension = candidate;
    }
  }
  return best ?? extension;
}

/** Levenshtein distance, two rows. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
