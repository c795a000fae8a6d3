import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { closestMatch, ConfigError, describeValue } from '../config/config-error.js';
import { DurationError, parseDuration } from '../config/duration.js';
import { loadTlsMaterial } from './tls-options.js';
import {
  CIPHER_SUITES,
  CLIENT_AUTH_ALIASES,
  CLIENT_AUTH_TYPES,
  CURVES,
  EXTRA_HTTP_HEADERS,
  TLS_VERSIONS,
  UNSUPPORTED_TLS_VERSIONS,
  type ClientAuthType,
  type NodeTlsVersion,
} from './tls-names.js';

/**
 * `--web.config.file`: exporter-toolkit's web configuration (docs/web-configuration.md), so one
 * file serves this exporter and every Go exporter on the host. Read once at start; the TLS
 * certificate, key and client CA files are re-read when they change (see tls-options.ts), the
 * rest needs a restart. Differences from the toolkit, each refused with a reason rather than
 * silently ignored: TLS10/TLS11 (Node's OpenSSL 3 refuses them), both `cert` and `cert_file`
 * (ambiguous). `http_server_config.http2` is accepted and ignored: this server speaks HTTP/1.1,
 * which every Prometheus scrapes.
 */

/** PEM text given inline in the web config, or the absolute path of a file holding it. */
export type PemSource = { readonly file: string } | { readonly pem: string };

export interface TlsServerConfig {
  readonly cert: PemSource;
  readonly key: PemSource;
  readonly clientCa?: PemSource;
  readonly clientAuthType: ClientAuthType;
  /** A client certificate must carry one of these SANs (DNS, IP, e-mail or URI). */
  readonly clientAllowedSans?: readonly string[];
  readonly minVersion: NodeTlsVersion;
  readonly maxVersion: NodeTlsVersion;
  /** OpenSSL cipher list (`:`-separated); undefined = Node's defaults. */
  readonly ciphers?: string;
  /** OpenSSL group list (`:`-separated); undefined = Node's defaults. */
  readonly ecdhCurve?: string;
  /** `prefer_server_cipher_suites` (default true). */
  readonly honorCipherOrder: boolean;
}

/** A validated web config. */
export interface WebConfig {
  /** Absolute path of the file it was read from. */
  readonly file: string;
  readonly tls?: TlsServerConfig;
  /** Extra response headers (only the security headers the toolkit allows). */
  readonly headers: Readonly<Record<string, string>>;
  /** Accepted for compatibility; HTTP/2 is not served. */
  readonly http2: boolean;
  /** User name → bcrypt hash; empty = no authentication. */
  readonly basicAuthUsers: ReadonlyMap<string, string>;
  /** Token bucket: one request per `intervalMs`, bursts of `burst`; absent = no limit. */
  readonly rateLimit?: { readonly intervalMs: number; readonly burst: number };
}

const KEY = 'web.config_file';
const TOP = ['tls_server_config', 'http_server_config', 'basic_auth_users', 'rate_limit'] as const;
const TLS_KEYS = [
  'cert', 'key', 'client_ca', 'cert_file', 'key_file', 'client_auth_type', 'client_ca_file', 'client_allowed_sans',
  'min_version', 'max_version', 'cipher_suites', 'prefer_server_cipher_suites', 'curve_preferences',
] as const;
const BCRYPT_HASH = /^\$2[aby]?\$(\d\d)\$[./A-Za-z0-9]{53}$/;

/**
 * Reads and validates a web config file. Relative file paths in it are resolved against its
 * directory; certificate files are read and checked (key pair, CA). Throws {@link ConfigError}
 * with key `web.config_file` and a reason naming the offending key.
 */
export function loadWebConfig(file: string): WebConfig {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(KEY, `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
  }
  return parseWebConfig(text, path);
}

/** Validates web config text as if read from `path` (absolute; its directory anchors relative paths). */
export function parseWebConfig(text: string, path: string): WebConfig {
  const document = parseDocument(text);
  const syntax = document.errors[0];
  if (syntax !== undefined) {
    const at = syntax.linePos?.[0];
    const message = syntax.message.split(/ at line \d+, column \d+/)[0] ?? syntax.code;
    throw new ConfigError(KEY, `${path}${at === undefined ? '' : `:${at.line}:${at.col}`}: ${message}`, { cause: syntax });
  }
  let data: unknown;
  try {
    data = document.toJS();
  } catch (error) {
    throw new ConfigError(KEY, `${path}: ${(error as Error).message}`, { cause: error });
  }
  const top = mapping(data, '', TOP);
  const http = mapping(top['http_server_config'], 'http_server_config', ['http2', 'headers']);
  const tlsSection = top['tls_server_config'];
  const tls = tlsSection === undefined || tlsSection === null ? undefined : tlsConfig(tlsSection, dirname(path));
  const rateLimit = rateLimitConfig(top['rate_limit']);
  return {
    file: path,
    ...(tls !== undefined && { tls }),
    headers: headers(http['headers']),
    http2: http['http2'] === undefined ? true : bool(http['http2'], 'http_server_config.http2'),
    basicAuthUsers: users(top['basic_auth_users']),
    ...(rateLimit !== undefined && { rateLimit }),
  };
}

function fail(path: string, reason: string): never {
  throw new ConfigError(KEY, path === '' ? reason : `${path}: ${reason}`);
}

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

/** A mapping with only `allowed` keys; absent or null = empty. */
function mapping(value: unknown, path: string, allowed: readonly string[]): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) fail(path || 'web config', `expected a mapping, got ${describeValue(value)}`);
  for (const key of Object.keys(value)) {
    if (allowed.includes(key)) continue;
    const suggestion = closestMatch(key, allowed);
    fail(join(path, key), `unknown key; ${suggestion === undefined ? `expected one of: ${allowed.join(', ')}` : `did you mean ${join(path, suggestion)}?`}`);
  }
  return value as Record<string, unknown>;
}

function str(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, `expected a string, got ${describeValue(value)}`);
  return value;
}

function bool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, `expected true or false, got ${describeValue(value)}`);
  return value;
}

function list(value: unknown, path: string): string[] {
  if (!Array.isArray(value)) fail(path, `expected a list, got ${describeValue(value)}`);
  return value.map((item, i) => str(item, `${path}[${i}]`));
}

/**
 * A value of `table` by its name; `shown` = the names an error lists (aliases left out). No typo
 * hint for cipher suites: the near miss of an insecure suite (RC4 → AES-CBC) is no advice.
 */
function oneOf<T>(table: Readonly<Record<string, T>>, value: unknown, path: string, shown = Object.keys(table), suggest = true): T {
  const text = str(value, path);
  const found = table[text];
  if (found !== undefined) return found;
  const hint = suggest ? closestMatch(text, shown) : undefined;
  fail(path, `expected one of ${shown.join(', ')}, got ${JSON.stringify(text)}${hint === undefined ? '' : ` (did you mean ${hint}?)`}`);
}

function tlsVersion(value: unknown, path: string, fallback: NodeTlsVersion): NodeTlsVersion {
  if (value === undefined || value === null) return fallback;
  const why = typeof value === 'string' ? UNSUPPORTED_TLS_VERSIONS[value] : undefined;
  if (why !== undefined) fail(path, `${value} is not supported (${why}): expected one of ${Object.keys(TLS_VERSIONS).join(', ')}`);
  return oneOf(TLS_VERSIONS, value, path);
}

function pem(section: Record<string, unknown>, inline: string, file: string, baseDir: string): PemSource | undefined {
  const text = section[inline] ?? undefined;
  const path = section[file] ?? undefined;
  if (text !== undefined && path !== undefined) fail('tls_server_config', `set ${inline} or ${file}, not both`);
  if (path !== undefined && str(path, `tls_server_config.${file}`) !== '') return { file: resolve(baseDir, path as string) };
  if (text !== undefined && str(text, `tls_server_config.${inline}`) !== '') return { pem: text as string };
  return undefined;
}

function tlsConfig(value: unknown, baseDir: string): TlsServerConfig | undefined {
  const s = mapping(value, 'tls_server_config', TLS_KEYS);
  const cert = pem(s, 'cert', 'cert_file', baseDir);
  const key = pem(s, 'key', 'key_file', baseDir);
  const clientCa = pem(s, 'client_ca', 'client_ca_file', baseDir);
  const authText = s['client_auth_type'] ?? undefined;
  // exporter-toolkit: TLS is on as soon as any of these is set (the rest of the section alone is not TLS)
  if (cert === undefined && key === undefined && clientCa === undefined && (authText === undefined || authText === '')) return undefined;
  if (cert === undefined) fail('tls_server_config', 'missing one of cert or cert_file');
  if (key === undefined) fail('tls_server_config', 'missing one of key or key_file');
  const authTable: Record<string, ClientAuthType> = { ...Object.fromEntries(CLIENT_AUTH_TYPES.map((t) => [t, t])), ...CLIENT_AUTH_ALIASES };
  const clientAuthType = authText === undefined || authText === '' ? 'NoClientCert' : oneOf(authTable, authText, 'tls_server_config.client_auth_type', [...CLIENT_AUTH_TYPES]);
  if (clientCa !== undefined && clientAuthType === 'NoClientCert') {
    fail('tls_server_config', 'a client CA is set but client_auth_type is NoClientCert: set client_auth_type (RequireAndVerifyClientCert to require client certificates)');
  }
  const sans = s['client_allowed_sans'] ?? undefined;
  const clientAllowedSans = sans === undefined ? undefined : list(sans, 'tls_server_config.client_allowed_sans');
  if (clientAllowedSans !== undefined && clientAuthType !== 'RequireAnyClientCert' && clientAuthType !== 'RequireAndVerifyClientCert') {
    fail('tls_server_config.client_allowed_sans', 'requires client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert');
  }
  const minVersion = tlsVersion(s['min_version'], 'tls_server_config.min_version', 'TLSv1.2');
  const maxVersion = tlsVersion(s['max_version'], 'tls_server_config.max_version', 'TLSv1.3');
  if (minVersion === 'TLSv1.3' && maxVersion === 'TLSv1.2') fail('tls_server_config', 'min_version TLS13 is above max_version TLS12');
  const suites = s['cipher_suites'] ?? undefined;
  const ciphers = suites === undefined ? undefined : list(suites, 'tls_server_config.cipher_suites').map((name, i) => oneOf(CIPHER_SUITES, name, `tls_server_config.cipher_suites[${i}]`, Object.keys(CIPHER_SUITES), false));
  const curveNames = s['curve_preferences'] ?? undefined;
  const curves = curveNames === undefined ? undefined : list(curveNames, 'tls_server_config.curve_preferences').map((name, i) => oneOf(CURVES, name, `tls_server_config.curve_preferences[${i}]`));
  const prefer = s['prefer_server_cipher_suites'] ?? undefined;
  const config: TlsServerConfig = {
    cert,
    key,
    ...(clientCa !== undefined && { clientCa }),
    clientAuthType,
    ...(clientAllowedSans !== undefined && { clientAllowedSans }),
    minVersion,
    maxVersion,
    ...(ciphers !== undefined && ciphers.length > 0 && { ciphers: ciphers.join(':') }),
    ...(curves !== undefined && curves.length > 0 && { ecdhCurve: curves.join(':') }),
    honorCipherOrder: prefer === undefined ? true : bool(prefer, 'tls_server_config.prefer_server_cipher_suites'),
  };
  loadTlsMaterial(config); // reads the files and checks key pair, CA and options now, not at the first scrape
  return config;
}

function headers(value: unknown): Record<string, string> {
  // every name passes mapping(); the check below explains which headers the toolkit allows
  const names = typeof value === 'object' && value !== null ? Object.keys(value) : [];
  const section = mapping(value, 'http_server_config.headers', names);
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(section)) {
    const path = `http_server_config.headers.${name}`;
    const allowed = EXTRA_HTTP_HEADERS[name];
    // exporter-toolkit allows only these, "to ensure consistency in the Prometheus ecosystem"
    if (allowed === undefined) fail(path, `this header cannot be configured; expected one of: ${Object.keys(EXTRA_HTTP_HEADERS).join(', ')}`);
    const text = raw === null ? '' : str(raw, path);
    if (allowed.length > 0 && !allowed.includes(text)) fail(path, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(text)}`);
    if (!/^[\t\x20-\x7e]*$/.test(text)) fail(path, 'must be printable ASCII on one line');
    if (text !== '') out[name] = text; // blank = unset, as in the toolkit
  }
  return out;
}

function users(value: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (value === undefined || value === null) return out;
  if (typeof value !== 'object' || Array.isArray(value)) fail('basic_auth_users', `expected a mapping of user names to bcrypt hashes, got ${describeValue(value)}`);
  for (const [user, hash] of Object.entries(value)) {
    const path = `basic_auth_users.${user}`;
    if (user.includes(':')) fail(path, 'a user name cannot contain ":" (Basic authentication splits on the first colon)');
    const match = BCRYPT_HASH.exec(str(hash, path));
    if (match === null) fail(path, 'expected a bcrypt hash like $2y$10$ followed by 53 characters (htpasswd -nBC 10 "" | tr -d \':\\n\')');
    const cost = Number(match[1]);
    if (cost < 4 || cost > 31) fail(path, `bcrypt cost must be between 4 and 31, got ${cost}`);
    out.set(user, hash as string);
  }
  return out;
}

function rateLimitConfig(value: unknown): WebConfig['rateLimit'] {
  const section = mapping(value, 'rate_limit', ['interval', 'burst']);
  if (section['interval'] === undefined || section['interval'] === null) return undefined;
  let intervalMs: number;
  try {
    intervalMs = parseDuration(str(section['interval'], 'rate_limit.interval'));
  } catch (error) {
    if (!(error instanceof DurationError)) throw error;
    fail('rate_limit.interval', `expected a duration like 100ms or 1s, got ${JSON.stringify(section['interval'])}`);
  }
  if (intervalMs === 0) return undefined; // the toolkit's "0 disables"
  const burst = section['burst'];
  if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1) {
    fail('rate_limit.burst', `expected a whole number of at least 1, got ${describeValue(burst)}`);
  }
  return { intervalMs, burst };
}
