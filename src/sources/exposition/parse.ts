/**
 * Hot-path parser for the Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text.
 *
 * Pure (no I/O) and single pass: lines are found with `indexOf('\n')`, tokens with `charCodeAt` and
 * native `indexOf`/`slice`; there is no regular expression and no `split` of the body. Numbers go
 * through a Clinger fast path (an integer mantissa below 2^53 times or divided by an exact power of ten
 * up to 1e22: one correctly rounded operation) and otherwise `Number()` on the already-validated
 * token, so every value is correctly rounded.
 *
 * Decisions (all deliberate, the tests pin them):
 * - **OpenMetrics detection.** A body is OpenMetrics when its last non-blank line is `# EOF`. That is
 *   decided before parsing by looking at the tail, so timestamps are read as float seconds (converted
 *   to integer ms with `Math.round(s * 1000)`) in OpenMetrics and taken as written (ms) in the text
 *   format. Either form parses in either mode; only the unit differs. Non-finite timestamps throw.
 * - **Truncation.** A non-empty body whose last character is not `\n` throws (reason contains
 *   "truncated"), except when that last line is `# EOF`. An empty body yields zero samples.
 * - **`# EOF`.** Parsing stops there; blank lines after it are fine, anything else throws.
 * - **Comments.** `#` lines other than `# HELP name ...`, `# TYPE name type` and `# EOF` are ignored
 *   (this includes `# UNIT`). A HELP or TYPE line with a bad name, or a TYPE with an unknown type,
 *   throws, as Prometheus does. A second HELP/TYPE for the same name overwrites the first.
 * - **Escapes.** Label values: `\\` -> `\`, `\"` -> `"`, `\n` -> newline; any other escape (e.g. `\t`)
 *   is kept verbatim as backslash + char, as the Prometheus server's scrape parser does (Go expfmt would
 *   reject it). HELP: `\\` and `\n`, plus `\"` in OpenMetrics only (in text 0.0.4 `\"` is not an
 *   escape in HELP and is kept as written).
 * - **Tolerated layout.** CRLF (`\r` before `\n` is stripped), a leading BOM, leading blanks on a
 *   line, blank/whitespace-only lines, spaces/tabs around every token, a trailing comma in a label
 *   set, `{}`, no blank between `}` and the value. Exemplars (` # {...} v [ts]`) are validated and
 *   dropped (also accepted in the text format).
 * - **Values.** Go `strconv.ParseFloat` syntax without hex/underscores: `[+-]?(d+(.d*)?|.d+)([eE][+-]?d+)?`,
 *   `[+-]?Inf`/`Infinity` and `NaN` (case-insensitive, NaN unsigned). Overflow gives +-Infinity.
 * - **Labels.** Duplicate label names throw. A label named `__proto__` is stored as an own property.
 *   UTF-8 quoted metric/label names (Prometheus 3 `{"name"}`) are not supported and throw.
 * - **`keep`.** Called once per run of consecutive lines with the same sample name. A rejected line is
 *   not looked at past its name (it is not validated), which is what makes the filter cheap.
 *   An exception thrown by `keep` itself propagates unchanged.
 *
 * Strings in the result are slices of `text`; V8 may keep `text` alive while they are referenced.
 */
import { ExpositionParseError } from './exposition-parse-error.js';

export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'summary'
  | 'untyped'
  | 'info'
  | 'stateset'
  | 'gaugehistogram'
  | 'unknown';

export interface Sample {
  /** Full sample name, e.g. `vllm:prompt_tokens_total`, `x_bucket`. */
  readonly name: string;
  /** Unescaped label values; a shared frozen empty object when there are none. */
  readonly labels: Readonly<Record<string, string>>;
  /** NaN, +Inf and -Inf are supported. */
  readonly value: number;
  /** Present only when the line has a timestamp; milliseconds (OpenMetrics seconds are converted). */
  readonly timestampMs?: number;
}

export interface ParsedExposition {
  readonly samples: Sample[];
  /** From `# TYPE` lines, keyed by the family name as written. */
  readonly types: Map<string, MetricType>;
  /** From `# HELP` lines (unescaped). */
  readonly help: Map<string, string>;
  /** True if a `# EOF` line was seen. */
  readonly openMetrics: boolean;
}

export interface ParseOptions {
  /** Skip samples whose name fails this test before decoding their labels (hot-path filter). */
  readonly keep?: (sampleName: string) => boolean;
}

const EMPTY_LABELS: Readonly<Record<string, string>> = Object.freeze({});

// Character classes (ASCII only; everything >= 128 is in no class).
const NAME_START = 1;
const NAME_CONT = 2;
const LABEL_START = 4;
const LABEL_CONT = 8;
const CH = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const alpha = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
  const digit = c >= 48 && c <= 57;
  let bits = 0;
  if (alpha) bits |= NAME_START | NAME_CONT | LABEL_START | LABEL_CONT;
  if (digit) bits |= NAME_CONT | LABEL_CONT;
  if (c === 58 /* : */) bits |= NAME_START | NAME_CONT;
  CH[c] = bits;
}

/** 2^53: integers below it are exact doubles (and so are all partial sums on the way to them). */
const MAX_EXACT = 9007199254740992;
// Exact powers of ten (all representable exactly as doubles).
const POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

const TYPES: ReadonlyMap<string, MetricType> = new Map<string, MetricType>(
  (['counter', 'gauge', 'histogram', 'summary', 'untyped', 'info', 'stateset', 'gaugehistogram', 'unknown'] as const).map(
    (t) => [t, t],
  ),
);

// Char codes.
const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const HASH = 35;
const PLUS = 43;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const EQUALS = 61;
const BACKSLASH = 92;
const LBRACE = 123;
const RBRACE = 125;

/**
 * Parse a `/metrics` body. Throws {@link ExpositionParseError} (and nothing else, unless `keep`
 * throws) when the body is malformed or truncated.
 */
export function parseExposition(text: string, options?: ParseOptions): ParsedExposition {
  return new Parser(text).run(options?.keep);
}

class Parser {
  private readonly s: string;
  /** Whether the body ends in a `# EOF` line (OpenMetrics: timestamps in seconds, `\"` in HELP). */
  private readonly om: boolean;
  /** Current 1-based line number. */
  private line = 0;
  /** Scratch: position just after the token the last helper scanned. */
  private pos = 0;
  /** Position of the next backslash at or after a recent position, or -1 when there is none left. */
  private nextBs = 0;
  /** Label names of the last decoded label set (`lnCount` of them). */
  private lnCount = 0;
  private readonly lnName: string[] = [];
  /** Name of the last HELP/TYPE line ('\n' matches no text before a line end). */
  private lastFamily = '\n';

  constructor(text: string) {
    this.s = text;
    this.om = endsWithEof(text);
  }

  run(keep: ((sampleName: string) => boolean) | undefined): ParsedExposition {
    const s = this.s;
    const len = s.length;
    const samples: Sample[] = [];
    const types = new Map<string, MetricType>();
    const help = new Map<string, string>();
    const om = this.om;
    let sawEof = false;
    let lastName = '\n'; // never equal to text before the line end
    let lastKeep = true;
    let pos = len > 0 && s.charCodeAt(0) === 0xfeff ? 1 : 0;

    while (pos < len) {
      this.line++;
      let nl = s.indexOf('\n', pos);
      let end: number;
      if (nl === -1) {
        nl = len;
        end = len;
        if (end > pos && s.charCodeAt(end - 1) === CR) end--;
        if (!this.isEofLine(pos, end)) {
          throw this.err('truncated body: last line has no terminating newline');
        }
      } else {
        end = nl;
        if (end > pos && s.charCodeAt(end - 1) === CR) end--;
      }

      let i = pos;
      let c = i < end ? s.charCodeAt(i) : -1;
      while (c === SPACE || c === TAB) c = ++i < end ? s.charCodeAt(i) : -1;
      pos = nl + 1;
      if (c === -1) continue; // blank line
      if (sawEof) throw this.err('content after # EOF');

      if (c === HASH) {
        if (this.comment(i + 1, end, types, help)) sawEof = true;
        continue;
      }

      // ---- sample line: name. Most lines repeat the previous line's name (histogram buckets,
      // children of one family): if the text there equals `lastName` (native slice + ===) and is
      // followed by '{', a blank or the line end, it is that (already validated) name and neither
      // the per-char check nor `keep` runs again.
      const ns = i;
      const ll = lastName.length;
      let name: string | undefined;
      if (ns + ll <= end) {
        const after = ns + ll < end ? s.charCodeAt(ns + ll) : -1;
        if ((after === LBRACE || after === SPACE || after === TAB || after === -1) && s.slice(ns, ns + ll) === lastName) {
          name = lastName;
          i = ns + ll;
          c = after;
        }
      }
      if (name === undefined) {
        if (c >= 128 || (CH[c]! & NAME_START) === 0) throw this.err('invalid metric name');
        c = ++i < end ? s.charCodeAt(i) : -1;
        while (c >= 0 && c < 128 && (CH[c]! & NAME_CONT) !== 0) c = ++i < end ? s.charCodeAt(i) : -1;
        name = s.slice(ns, i);
        lastName = name;
        if (keep !== undefined) lastKeep = keep(name);
      }
      if (!lastKeep) continue;

      // ---- labels
      if (c !== SPACE && c !== TAB && c !== LBRACE && c !== -1) throw this.err('invalid character in metric name');
      while (c === SPACE || c === TAB) c = ++i < end ? s.charCodeAt(i) : -1;
      let labels = EMPTY_LABELS;
      if (c === LBRACE) {
        labels = this.labels(i + 1, end, true);
        i = this.pos;
        c = i < end ? s.charCodeAt(i) : -1;
        while (c === SPACE || c === TAB) c = ++i < end ? s.charCodeAt(i) : -1;
      }
      if (c === -1) throw this.err('missing value');

      // ---- value
      const value = this.num(i, end, 'invalid value');
      i = this.pos;
      c = i < end ? s.charCodeAt(i) : -1;
      while (c === SPACE || c === TAB) c = ++i < end ? s.charCodeAt(i) : -1;
      if (c === -1) {
        samples.push({ name, labels, value });
        continue;
      }
      if (c === HASH) {
        this.exemplar(i + 1, end);
        samples.push({ name, labels, value });
        continue;
      }

      // ---- timestamp
      let ts = this.num(i, end, 'invalid timestamp');
      if (ts !== ts || ts === Infinity || ts === -Infinity) throw this.err('invalid timestamp');
      if (om) ts = Math.round(ts * 1000);
      i = this.pos;
      c = i < end ? s.charCodeAt(i) : -1;
      while (c === SPACE || c === TAB) c = ++i < end ? s.charCodeAt(i) : -1;
      if (c === HASH) this.exemplar(i + 1, end);
      else if (c !== -1) throw this.err('unexpected text after timestamp');
      samples.push({ name, labels, value, timestampMs: ts });
    }

    return { samples, types, help, openMetrics: sawEof };
  }

  private err(reason: string): ExpositionParseError {
    return new ExpositionParseError(this.line, reason);
  }

  /**
   * A `#` line; `i` is just after the `#`. Records HELP/TYPE; returns true for `# EOF`.
   */
  private comment(i: number, end: number, types: Map<string, MetricType>, help: Map<string, string>): boolean {
    const s = this.s;
    let c = i < end ? s.charCodeAt(i) : -1;
    if (c !== SPACE && c !== TAB) return false; // "#", "##...", "#foo": plain comment
    while (c === SPACE || c === TAB) c = ++i < end ? s.charCodeAt(i) : -1;
    let kind: 0 | 1 | 2;
    if (c === 72 /* H */ && s.startsWith('HELP', i)) kind = 1;
    else if (c === 84 /* T */ && s.startsWith('TYPE', i)) kind = 2;
    else if (c === 69 /* E */ && s.startsWith('EOF', i)) {
      i += 3;
      c = i < end ? s.charCodeAt(i) : -1;
      while (c === SPACE || c === TAB) c = ++i < end ? s.charCodeAt(i) : -1;
      return c === -1; // "# EOF" alone; "# EOF and more" is a plain comment
    } else return false;
    i += 4;
    if (i >= end) return false; // "# HELP" / "# TYPE" with nothing after: plain comment
    c = s.charCodeAt(i);
    if (c !== SPACE && c !== TAB) return false; // "# HELPFUL": plain comment
    while (c === SPACE || c === TAB) c = ++i < end ? s.charCodeAt(i) : -1;

    // The name usually repeats the previous HELP/TYPE line's (HELP then TYPE of one family): reuse
    // that validated string (its hash is cached too, which the Map inserts use).
    const ns = i;
    const prev = this.lastFamily;
    const pl = prev.length;
    let name: string;
    const after = ns + pl < end ? s.charCodeAt(ns + pl) : -1;
    if ((after === SPACE || after === TAB || after === -1) && ns + pl <= end && s.slice(ns, ns + pl) === prev) {
      name = prev;
      i = ns + pl;
      c = after;
    } else {
      const what = kind === 1 ? 'HELP' : 'TYPE';
      if (c < 0 || c >= 128 || (CH[c]! & NAME_START) === 0) throw this.err(`invalid metric name in ${what}`);
      c = ++i < end ? s.charCodeAt(i) : -1;
      while (c >= 0 && c < 128 && (CH[c]! & NAME_CONT) !== 0) c = ++i < end ? s.charCodeAt(i) : -1;
      if (c !== -1 && c !== SPACE && c !== TAB) throw this.err(`invalid metric name in ${what}`);
      name = s.slice(ns, i);
      this.lastFamily = name;
    }
    while (c === SPACE || c === TAB) c = ++i < end ? s.charCodeAt(i) : -1;

    if (kind === 1) {
      help.set(name, c === -1 ? '' : this.unescapeHelp(i, end));
      return false;
    }
    if (c === -1) throw this.err('missing metric type');
    const ts = i;
    while (i < end && (c = s.charCodeAt(i)) !== SPACE && c !== TAB) i++;
    const type = TYPES.get(s.slice(ts, i).toLowerCase());
    if (type === undefined) throw this.err('unknown metric type');
    c = i < end ? s.charCodeAt(i) : -1;
    while (c === SPACE || c === TAB) c = ++i < end ? s.charCodeAt(i) : -1;
    if (c !== -1) throw this.err('unexpected text after metric type');
    types.set(name, type);
    return false;
  }

  /** Is [i, end) a `# EOF` line (blanks allowed around)? */
  private isEofLine(i: number, end: number): boolean {
    const s = this.s;
    while (i < end && isBlank(s.charCodeAt(i))) i++;
    if (i >= end || s.charCodeAt(i) !== HASH) return false;
    i++;
    if (i >= end || !isBlank(s.charCodeAt(i))) return false;
    while (i < end && isBlank(s.charCodeAt(i))) i++;
    if (!s.startsWith('EOF', i) || i + 3 > end) return false;
    i += 3;
    while (i < end && isBlank(s.charCodeAt(i))) i++;
    return i === end;
  }

  /**
   * Label set; `i` is just after `{`. Sets `this.pos` just after `}`. With `build` false the set is
   * validated and discarded (exemplars).
   */
  private labels(i: number, end: number, build: boolean): Readonly<Record<string, string>> {
    const s = this.s;
    let out: Record<string, string> | undefined;
    // While true, the label names so far equal the previous label set's (lnName), in order.
    let same = build;
    let j = 0;
    for (;;) {
      let c = i < end ? s.charCodeAt(i) : -1;
      while (c === SPACE || c === TAB) c = ++i < end ? s.charCodeAt(i) : -1;
      if (c === RBRACE) return this.closeLabels(i, j, out, build, same);
      if (c === -1) throw this.err('unterminated label set');

      // Label name. Usually the previous set's name at the same index: compare the text up to
      // the next '=' with it (native slice + ===) and skip the per-char check and the
      // duplicate check. A valid line always has its '=' before the line end.
      let name: string | undefined;
      if (same && j < this.lnCount) {
        const prev = this.lnName[j]!;
        const eq = s.indexOf('=', i);
        if (eq - i === prev.length && s.slice(i, eq) === prev) {
          name = prev;
          i = eq;
          c = EQUALS;
        }
      }
      if (name === undefined) {
        same = false;
        if (c >= 128 || (CH[c]! & LABEL_START) === 0) throw this.err('invalid label name');
        const ns = i;
        c = ++i < end ? s.charCodeAt(i) : -1;
        while (c >= 0 && c < 128 && (CH[c]! & LABEL_CONT) !== 0) c = ++i < end ? s.charCodeAt(i) : -1;
        name = build ? s.slice(ns, i) : '';
        while (c === SPACE || c === TAB) c = ++i < end ? s.charCodeAt(i) : -1;
        if (c !== EQUALS) throw this.err(c === -1 ? 'unterminated label set' : 'expected "=" after label name');
      }
      c = ++i < end ? s.charCodeAt(i) : -1;
      while (c === SPACE || c === TAB) c = ++i < end ? s.charCodeAt(i) : -1;
      if (c !== QUOTE) throw this.err('expected quoted label value');
      i++;

      // Label value: the next quote ends it unless a backslash comes first.
      const q = s.indexOf('"', i);
      if (q === -1 || q >= end) throw this.err('unterminated label value');
      let bs = this.nextBs;
      if (bs !== -1 && bs < i) bs = this.nextBs = s.indexOf('\\', i);
      let value: string;
      if (bs === -1 || bs > q) {
        value = build ? s.slice(i, q) : '';
        i = q + 1;
      } else {
        value = this.unescapeValue(i, end, bs, q);
        i = this.pos;
      }

      if (build) {
        if (out === undefined) out = {};
        else if (!same && Object.hasOwn(out, name)) throw this.err('duplicate label name');
        if (!same) this.lnName[j] = name;
        j++;
        if (name === '__proto__') {
          Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
        } else {
          out[name] = value;
        }
      }

      c = i < end ? s.charCodeAt(i) : -1;
      while (c === SPACE || c === TAB) c = ++i < end ? s.charCodeAt(i) : -1;
      if (c === COMMA) {
        i++;
        continue;
      }
      if (c === RBRACE) return this.closeLabels(i, j, out, build, same);
      throw this.err(c === -1 ? 'unterminated label set' : 'expected "," or "}" after label value');
    }
  }

  /** End of a label set at the `}` at `i`. */
  private closeLabels(
    i: number,
    count: number,
    out: Record<string, string> | undefined,
    build: boolean,
    same: boolean,
  ): Readonly<Record<string, string>> {
    this.pos = i + 1;
    if (build) {
      // New label names: remember the key strings V8 actually stored (internalized), so the next
      // sets with these names store with cached keys instead of hashing fresh slices.
      if (!same && out !== undefined) {
        const keys = Object.keys(out);
        for (let k = 0; k < keys.length; k++) this.lnName[k] = keys[k]!;
      }
      this.lnCount = count;
    }
    return out ?? EMPTY_LABELS;
  }

  /**
   * Quoted label value with escapes: `from` is its first char, `bs` (< `q`) a backslash in it and `q`
   * the first quote at or after `from`. Sets `this.pos` after the closing quote. Linear in the value
   * length: each backslash and each quote is located once.
   */
  private unescapeValue(from: number, end: number, bs: number, q: number): string {
    const s = this.s;
    let out = '';
    for (;;) {
      // Invariant: from <= bs < q < end, s[bs] is a backslash.
      out += s.slice(from, bs);
      const c = s.charCodeAt(bs + 1);
      if (c === BACKSLASH) out += '\\';
      else if (c === QUOTE) out += '"';
      else if (c === 110 /* n */) out += '\n';
      else out += s.slice(bs, bs + 2);
      from = bs + 2;
      if (q < from) {
        q = s.indexOf('"', from);
        if (q === -1 || q >= end) throw this.err('unterminated label value');
      }
      bs = s.indexOf('\\', from);
      if (bs === -1 || bs > q) {
        this.nextBs = bs;
        this.pos = q + 1;
        return out + s.slice(from, q);
      }
    }
  }

  /** HELP text [i, end) with `\\` and `\n` (and `\"` in OpenMetrics) unescaped. */
  private unescapeHelp(i: number, end: number): string {
    const s = this.s;
    let bs = this.nextBs;
    if (bs !== -1 && bs < i) bs = this.nextBs = s.indexOf('\\', i);
    if (bs === -1 || bs >= end) return s.slice(i, end);
    let out = '';
    let from = i;
    while (bs !== -1 && bs < end) {
      out += s.slice(from, bs);
      const c = bs + 1 < end ? s.charCodeAt(bs + 1) : -1;
      if (c === BACKSLASH) out += '\\';
      else if (c === 110 /* n */) out += '\n';
      else if (c === QUOTE && this.om) out += '"';
      else if (c === -1) {
        // lone trailing backslash: kept
        out += '\\';
        from = bs + 1;
        break;
      } else out += s.slice(bs, bs + 2);
      from = bs + 2;
      bs = s.indexOf('\\', from);
    }
    this.nextBs = bs;
    return from < end ? out + s.slice(from, end) : out;
  }

  /** Exemplar after a sample; `i` is just after its `#`. Validated, then dropped. */
  private exemplar(i: number, end: number): void {
    const s = this.s;
    let c = i < end ? s.charCodeAt(i) : -1;
    if (c !== SPACE && c !== TAB) throw this.err('invalid exemplar');
    while (c === SPACE || c === TAB) c = ++i < end ? s.charCodeAt(i) : -1;
    if (c !== LBRACE) throw this.err('invalid exemplar');
    this.labels(i + 1, end, false);
    i = this.pos;
    c = i < end ? s.charCodeAt(i) : -1;
    while (c === SPACE || c === TAB) c = ++i < end ? s.charCodeAt(i) : -1;
    if (c === -1) throw this.err('exemplar without value');
    this.num(i, end, 'invalid exemplar value');
    i = this.pos;
    c = i < end ? s.charCodeAt(i) : -1;
    while (c === SPACE || c === TAB) c = ++i < end ? s.charCodeAt(i) : -1;
    if (c === -1) return;
    const ts = this.num(i, end, 'invalid exemplar timestamp');
    if (ts !== ts || ts === Infinity || ts === -Infinity) throw this.err('invalid exemplar timestamp');
    i = this.pos;
    c = i < end ? s.charCodeAt(i) : -1;
    while (c === SPACE || c === TAB) c = ++i < end ? s.charCodeAt(i) : -1;
    if (c !== -1) throw this.err('unexpected text after exemplar');
  }

  /**
   * A float token starting at `i`; it must end at a blank or at `end`. Sets `this.pos` after it.
   * Throws `reason` when the token is not a number.
   */
  private num(i: number, end: number, reason: string): number {
    const s = this.s;
    let c = i < end ? s.charCodeAt(i) : -1;
    let neg = false;
    let signed = false;
    if (c === MINUS || c === PLUS) {
      neg = c === MINUS;
      signed = true;
      c = ++i < end ? s.charCodeAt(i) : -1;
    }
    const start = i;
    let v: number;
    if ((c >= 48 && c <= 57) || c === DOT) {
      let mant = 0;
      let sig = 0;
      let nd = 0;
      let frac = 0;
      let slow = false;
      while (c >= 48 && c <= 57) {
        if (sig < 16) {
          mant = mant * 10 + (c - 48);
          if (mant !== 0) sig++;
        } else slow = true;
        nd++;
        c = ++i < end ? s.charCodeAt(i) : -1;
      }
      if (c === DOT) {
        c = ++i < end ? s.charCodeAt(i) : -1;
        while (c >= 48 && c <= 57) {
          if (sig < 16) {
            mant = mant * 10 + (c - 48);
            if (mant !== 0) sig++;
            frac++;
          } else slow = true;
          nd++;
          c = ++i < end ? s.charCodeAt(i) : -1;
        }
      }
      if (nd === 0) throw this.err(reason);
      let exp = 0;
      if (c === 101 /* e */ || c === 69 /* E */) {
        c = ++i < end ? s.charCodeAt(i) : -1;
        let eneg = false;
        if (c === MINUS || c === PLUS) {
          eneg = c === MINUS;
          c = ++i < end ? s.charCodeAt(i) : -1;
        }
        let ed = 0;
        while (c >= 48 && c <= 57) {
          if (exp < 100000) exp = exp * 10 + (c - 48);
          ed++;
          c = ++i < end ? s.charCodeAt(i) : -1;
        }
        if (ed === 0) throw this.err(reason);
        if (eneg) exp = -exp;
      }
      if (c !== -1 && c !== SPACE && c !== TAB) throw this.err(reason);
      const e = exp - frac;
      if (slow || mant >= MAX_EXACT || e > 22 || e < -22) v = Number(s.slice(start, i));
      else if (e === 0) v = mant;
      else if (e > 0) v = mant * POW10[e]!;
      else v = mant / POW10[-e]!;
    } else if (c === 73 /* I */ || c === 105 /* i */) {
      if (!matchLower(s, i, end, 'inf')) throw this.err(reason);
      i += 3;
      if (matchLower(s, i, end, 'inity')) i += 5;
      c = i < end ? s.charCodeAt(i) : -1;
      if (c !== -1 && c !== SPACE && c !== TAB) throw this.err(reason);
      v = Infinity;
    } else if ((c === 78 /* N */ || c === 110) /* n */ && !signed) {
      if (!matchLower(s, i, end, 'nan')) throw this.err(reason);
      i += 3;
      c = i < end ? s.charCodeAt(i) : -1;
      if (c !== -1 && c !== SPACE && c !== TAB) throw this.err(reason);
      v = NaN;
    } else {
      throw this.err(reason);
    }
    this.pos = i;
    return neg ? -v : v;
  }
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

/** Case-insensitive match of lower-case ASCII `word` at s[i..] within `end`. */
function matchLower(s: string, i: number, end: number, word: string): boolean {
  if (i + word.length > end) return false;
  for (let k = 0; k < word.length; k++) {
    if ((s.charCodeAt(i + k) | 32) !== word.charCodeAt(k)) return false;
  }
  return true;
}

/** Whether the last non-blank line of `s` is `# EOF` (decides OpenMetrics before parsing). */
function endsWithEof(s: string): boolean {
  let e = s.length;
  while (e > 0) {
    const c = s.charCodeAt(e - 1);
    if (c === LF || c === CR || c === SPACE || c === TAB) e--;
    else break;
  }
  if (e < 3 || !s.startsWith('EOF', e - 3)) return false;
  let i = e - 3;
  let blanks = 0;
  while (i > 0 && isBlank(s.charCodeAt(i - 1))) {
    i--;
    blanks++;
  }
  if (blanks === 0 || i === 0 || s.charCodeAt(i - 1) !== HASH) return false;
  i--;
  while (i > 0 && isBlank(s.charCodeAt(i - 1))) i--;
  if (i === 0) return true;
  const p = s.charCodeAt(i - 1);
  return p === LF || (i === 1 && p === 0xfeff);
}
