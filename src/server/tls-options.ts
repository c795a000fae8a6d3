import { readFileSync, statSync } from 'node:fs';
import type { Server as HttpsServer, ServerOptions as HttpsServerOptions } from 'node:https';
import { createSecureContext, type SecureContextOptions, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { ConfigError } from '../config/config-error.js';
import type { PemSource, TlsServerConfig } from './web-config.js';

/** A client that has not finished its TLS handshake by then is dropped (Node's default is 120 s). */
export const HANDSHAKE_TIMEOUT_MS = 5_000;
/** How often the certificate, key and client CA files are checked for a change. */
export const TLS_RELOAD_CHECK_MS = 30_000;

function fail(path: string, reason: string, cause?: unknown): never {
  throw new ConfigError('web.config_file', `${path}: ${reason}`, { cause });
}

function where(source: PemSource, name: string): string {
  return 'file' in source ? `tls_server_config.${name}_file` : `tls_server_config.${name}`;
}

function readPem(source: PemSource, name: string): string {
  if (!('file' in source)) return source.pem;
  try {
    return readFileSync(source.file, 'utf8');
  } catch (error) {
    fail(where(source, name), `cannot read ${source.file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, error);
  }
}

/** OpenSSL's reason without its error-code prefix (`error:05800074:x509 certificate routines::key values mismatch` → `key values mismatch`). */
function opensslReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('::').pop()?.trim() ?? message;
}

/**
 * Reads the certificate, key and client CA (files or inline PEM) and builds a secure context from
 * them once, so a bad file, a key that does not match its certificate or an option OpenSSL
 * refuses is a config error at start. Throws {@link ConfigError}.
 */
export function loadTlsMaterial(config: TlsServerConfig): SecureContextOptions {
  const cert = readPem(config.cert, 'cert');
  const key = readPem(config.key, 'key');
  const ca = config.clientCa === undefined ? undefined : readPem(config.clientCa, 'client_ca');
  if (config.clientCa !== undefined && ca !== undefined && !ca.includes('-----BEGIN CERTIFICATE-----')) {
    fail(where(config.clientCa, 'client_ca'), 'no PEM certificate in it');
  }
  const options: SecureContextOptions = {
    cert,
    key,
    minVersion: config.minVersion,
    maxVersion: config.maxVersion,
    honorCipherOrder: config.honorCipherOrder,
    ...(ca !== undefined && { ca }),
    ...(config.ciphers !== undefined && { ciphers: config.ciphers }),
    ...(config.ecdhCurve !== undefined && { ecdhCurve: config.ecdhCurve }),
  };
  try {
    createSecureContext(options);
  } catch (error) {
    fail('tls_server_config', `cannot use this certificate, key and options: ${opensslReason(error)}`, error);
  }
  return options;
}

/** Options of the HTTPS server: the secure context plus the client-certificate policy. */
export function tlsServerOptions(config: TlsServerConfig): HttpsServerOptions {
  return {
    ...loadTlsMaterial(config),
    requestCert: config.clientAuthType !== 'NoClientCert',
    // Node can verify at the handshake only for RequireAndVerifyClientCert; the other policies
    // are checked once the handshake is done (clientCertificateRefusal).
    rejectUnauthorized: config.clientAuthType === 'RequireAndVerifyClientCert',
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
  };
}

/** Why a finished TLS connection must be dropped under `config`'s client policy; undefined = keep it. */
export function clientCertificateRefusal(config: TlsServerConfig, socket: TLSSocket): string | undefined {
  if (config.clientAuthType === 'NoClientCert') return undefined;
  const peer = socket.getPeerCertificate();
  const presented = peer !== null && typeof peer === 'object' && Object.keys(peer).length > 0;
  switch (config.clientAuthType) {
    case 'RequireAnyClientCert':
      if (!presented) return 'no client certificate';
      break;
    case 'VerifyClientCertIfGiven':
      if (presented && !socket.authorized) return `client certificate not verified (${String(socket.authorizationError)})`;
      break;
    case 'RequireAndVerifyClientCert':
      if (!presented) return 'no client certificate';
      if (!socket.authorized) return `client certificate not verified (${String(socket.authorizationError)})`;
      break;
    case 'RequestClientCert':
      break;
  }
  const allowed = config.clientAllowedSans;
  if (allowed !== undefined) {
    const sans = presented ? subjectAltNames(peer.subjectaltname ?? '') : [];
    if (!sans.some((san) => allowed.some((a) => sameSan(a, san)))) return 'client certificate has none of client_allowed_sans';
  }
  return undefined;
}

/** `DNS:a, IP Address:127.0.0.1, email:x@y, URI:spiffe://z` → the values. */
function subjectAltNames(text: string): string[] {
  return text
    .split(/,\s*/)
    .map((entry) => entry.slice(entry.indexOf(':') + 1).replace(/^"(.*)"$/, '$1'))
    .filter((value) => value !== '');
}

/** Exact match, IPv6 addresses compared in canonical form (`0:0:0:0:0:0:0:1` = `::1`). */
function sameSan(allowed: string, san: string): boolean {
  if (allowed === san) return true;
  const canonical = (ip: string): string | undefined => {
    try {
      return ip.includes(':') ? new URL(`http://[${ip}]/`).hostname : undefined;
    } catch {
      return undefined;
    }
  };
  const a = canonical(allowed);
  return a !== undefined && a === canonical(san);
}

/**
 * Re-reads the certificate, key and client CA files when their size or mtime changes (checked
 * every {@link TLS_RELOAD_CHECK_MS}), so a rotated certificate (cert-manager, certbot) is served
 * without a restart, as exporter-toolkit does. A change that does not load (say, the key written
 * before the certificate) keeps the previous context and is logged once. Stops when the server closes.
 */
export function watchTlsFiles(server: HttpsServer, config: TlsServerConfig, logger: Logger, intervalMs = TLS_RELOAD_CHECK_MS): void {
  const files = [config.cert, config.key, config.clientCa].flatMap((s) => (s !== undefined && 'file' in s ? [s.file] : []));
  if (files.length === 0) return;
  const signature = (): string =>
    files
      .map((file) => {
        try {
          const stat = statSync(file);
          return `${stat.size}:${stat.mtimeMs}`;
        } catch {
          return 'missing';
        }
      })
      .join('|');
  let loaded = signature();
  let lastError: string | undefined;
  const timer = setInterval(() => {
    const now = signature();
    if (now === loaded) return;
    try {
      server.setSecureContext(tlsServerOptions(config));
      loaded = now;
      lastError = undefined;
      logger.info({ files }, 'TLS certificate files changed: reloaded');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (reason !== lastError) logger.warn({ err: reason }, 'TLS certificate files changed but do not load; serving the previous ones');
      lastError = reason;
    }
  }, intervalMs);
  timer.unref();
  server.once('close', () => clearInterval(timer));
}
