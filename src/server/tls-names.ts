/**
 * exporter-toolkit's web config speaks Go's crypto/tls names; Node's tls speaks OpenSSL's. These
 * tables translate the values the toolkit accepts into what Node's OpenSSL 3 does, and say which
 * of them cannot be honoured here (so the config is refused rather than silently weakened or
 * ignored). Sources: exporter-toolkit web/tls_config.go (the names it parses) and Go's
 * `tls.CipherSuites()` (the suites it accepts: the secure list; the insecure ones are refused by
 * the toolkit too).
 */

/** `client_auth_type` values (Go's tls.ClientAuthType names; `RequireClientCert` is the toolkit's old alias). */
export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;

export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

/** Old spellings the toolkit still accepts. */
export const CLIENT_AUTH_ALIASES: Readonly<Record<string, ClientAuthType>> = { RequireClientCert: 'RequireAnyClientCert' };

/** Node's names of the TLS versions this exporter can serve. */
export type NodeTlsVersion = 'TLSv1.2' | 'TLSv1.3';

/** `min_version` / `max_version` values Node's OpenSSL 3 negotiates at its default security level. */
export const TLS_VERSIONS: Readonly<Record<string, NodeTlsVersion>> = { TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

/**
 * Values the toolkit accepts that Node cannot honour: OpenSSL 3 refuses TLS 1.0 and 1.1
 * handshakes at its default security level (1) whatever `minVersion` says, so accepting them
 * would promise old clients a connection that then fails.
 */
export const UNSUPPORTED_TLS_VERSIONS: Readonly<Record<string, string>> = {
  TLS10: "TLS 1.0 is refused by Node's OpenSSL 3 at its default security level",
  TLS11: "TLS 1.1 is refused by Node's OpenSSL 3 at its default security level",
};

/** Go cipher suite name (as in `tls.CipherSuites()`) → OpenSSL name. */
export const CIPHER_SUITES: Readonly<Record<string, string>> = {
  // TLS 1.3 (Go does not let them be configured; Node does, and keeps its defaults when none is listed)
  TLS_AES_128_GCM_SHA256: 'TLS_AES_128_GCM_SHA256',
  TLS_AES_256_GCM_SHA384: 'TLS_AES_256_GCM_SHA384',
  TLS_CHACHA20_POLY1305_SHA256: 'TLS_CHACHA20_POLY1305_SHA256',
  // TLS 1.0-1.2
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
};

/** Go curve name (exporter-toolkit's `curve_preferences` values) → OpenSSL group name. */
export const CURVES: Readonly<Record<string, string>> = {
  CurveP256: 'P-256',
  CurveP384: 'P-384',
  CurveP521: 'P-521',
  X25519: 'X25519',
};

/** The security headers exporter-toolkit lets a web config set, with their allowed values (empty = any). */
export const EXTRA_HTTP_HEADERS: Readonly<Record<string, readonly string[]>> = {
  'Strict-Transport-Security': [],
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': [],
  'Content-Security-Policy': [],
};
