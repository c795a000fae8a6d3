import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { loadWebConfig } from '../../src/server/web-config.js';
import { makeTestCertificates, type TestCertificates } from './test-certificates.js';

let certs: TestCertificates;
beforeAll(() => {
  certs = makeTestCertificates();
});

const TLS = 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n';

/** Writes `yaml` next to the test certificates and loads it. */
function load(name: string, yaml: string) {
  const file = join(certs.dir, name);
  writeFileSync(file, yaml);
  return loadWebConfig(file);
}

function errorOf(name: string, yaml: string): string {
  try {
    load(name, yaml);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe('web.config_file');
    return (error as ConfigError).message.replaceAll(certs.dir, '<dir>');
  }
  throw new Error(`${name} loaded without error`);
}

const E = 'config error: web.config_file: ';

// Bad web config files, each with the one line it must produce (exporter-toolkit's testdata idea).
const BAD: ReadonlyArray<readonly [string, string, string]> = [
  ['unknown top-level key', 'tls_server_confg:\n  cert_file: server.crt\n', 'tls_server_confg: unknown key; did you mean tls_server_config?'],
  ['unknown TLS key', `${TLS}  cert_fil: x\n`, 'tls_server_config.cert_fil: unknown key; did you mean tls_server_config.cert_file?'],
  ['unknown http key', 'http_server_config:\n  http3: true\n', 'http_server_config.http3: unknown key; did you mean http_server_config.http2?'],
  ['not a mapping', '- tls_server_config\n', 'web config: expected a mapping, got a list'],
  ['section not a mapping', 'tls_server_config: 5\n', 'tls_server_config: expected a mapping, got 5'],
  ['unknown TLS version', `${TLS}  min_version: TLS99\n`, 'tls_server_config.min_version: expected one of TLS12, TLS13, got "TLS99"'],
  ['TLS 1.0', `${TLS}  min_version: TLS10\n`, "tls_server_config.min_version: TLS10 is not supported (TLS 1.0 is refused by Node's OpenSSL 3 at its default security level): expected one of TLS12, TLS13"],
  ['TLS 1.1 max', `${TLS}  max_version: TLS11\n`, "tls_server_config.max_version: TLS11 is not supported (TLS 1.1 is refused by Node's OpenSSL 3 at its default security level): expected one of TLS12, TLS13"],
  ['min above max', `${TLS}  min_version: TLS13\n  max_version: TLS12\n`, 'tls_server_config: min_version TLS13 is above max_version TLS12'],
  ['version not a string', `${TLS}  min_version: 1.2\n`, 'tls_server_config.min_version: expected a string, got 1.2'],
  ['missing key', 'tls_server_config:\n  cert_file: server.crt\n', 'tls_server_config: missing one of key or key_file'],
  ['missing cert', 'tls_server_config:\n  key_file: server.key\n', 'tls_server_config: missing one of cert or cert_file'],
  ['client auth alone', 'tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n', 'tls_server_config: missing one of cert or cert_file'],
  ['cert and cert_file', `${TLS}  cert: "-----BEGIN CERTIFICATE-----"\n`, 'tls_server_config: set cert or cert_file, not both'],
  ['missing cert file', 'tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n', 'tls_server_config.cert_file: cannot read <dir>/nope.crt (ENOENT)'],
  ['key of another certificate', 'tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n', 'tls_server_config: cannot use this certificate, key and options: key values mismatch'],
  ['not PEM', 'tls_server_config:\n  cert_file: server.ext\n  key_file: server.key\n', 'tls_server_config: cannot use this certificate, key and options: no start line'],
  [
    'unknown client auth',
    `${TLS}  client_auth_type: Always\n`,
    'tls_server_config.client_auth_type: expected one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert, got "Always"',
  ],
  [
    'client CA without a policy',
    `${TLS}  client_ca_file: ca.crt\n`,
    'tls_server_config: a client CA is set but client_auth_type is NoClientCert: set client_auth_type (RequireAndVerifyClientCert to require client certificates)',
  ],
  ['client CA without a certificate', `${TLS}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.key\n`, 'tls_server_config.client_ca_file: no PEM certificate in it'],
  [
    'allowed SANs with an optional certificate',
    `${TLS}  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca.crt\n  client_allowed_sans: [prometheus]\n`,
    'tls_server_config.client_allowed_sans: requires client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert',
  ],
  [
    'insecure cipher suite',
    `${TLS}  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_RC4_128_SHA]\n`,
    `tls_server_config.cipher_suites[1]: expected one of TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256, TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, TLS_RSA_WITH_AES_128_CBC_SHA, TLS_RSA_WITH_AES_256_CBC_SHA, TLS_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_256_GCM_SHA384, got "TLS_RSA_WITH_RC4_128_SHA"`,
  ],
  ['OpenSSL curve name', `${TLS}  curve_preferences: [P-256]\n`, 'tls_server_config.curve_preferences[0]: expected one of CurveP256, CurveP384, CurveP521, X25519, got "P-256"'],
  ['cipher list not a list', `${TLS}  cipher_suites: TLS_AES_128_GCM_SHA256\n`, 'tls_server_config.cipher_suites: expected a list, got "TLS_AES_128_GCM_SHA256"'],
  ['prefer server ciphers not boolean', `${TLS}  prefer_server_cipher_suites: "no"\n`, 'tls_server_config.prefer_server_cipher_suites: expected true or false, got "no"'],
  [
    'header the toolkit does not allow',
    'http_server_config:\n  headers:\n    X-Powered-By: me\n',
    'http_server_config.headers.X-Powered-By: this header cannot be configured; expected one of: Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, Content-Security-Policy',
  ],
  ['header value out of its enumeration', 'http_server_config:\n  headers:\n    X-Frame-Options: allow\n', 'http_server_config.headers.X-Frame-Options: expected one of deny, sameorigin, got "allow"'],
  ['http2 not boolean', 'http_server_config:\n  http2: "yes"\n', 'http_server_config.http2: expected true or false, got "yes"'],
  [
    'password in clear',
    'basic_auth_users:\n  alice: s3cret\n',
    `basic_auth_users.alice: expected a bcrypt hash like $2y$10$ followed by 53 characters (htpasswd -nBC 10 "" | tr -d ':\\n')`,
  ],
  ['bcrypt cost too high', `basic_auth_users:\n  alice: $2y$32$${'a'.repeat(53)}\n`, 'basic_auth_users.alice: bcrypt cost must be between 4 and 31, got 32'],
  [
    'colon in a user name',
    `basic_auth_users:\n  "a:b": $2y$10$${'a'.repeat(53)}\n`,
    'basic_auth_users.a:b: a user name cannot contain ":" (Basic authentication splits on the first colon)',
  ],
  ['users not a mapping', 'basic_auth_users: [alice]\n', 'basic_auth_users: expected a mapping of user names to bcrypt hashes, got a list'],
  ['rate limit without burst', 'rate_limit:\n  interval: 1s\n', 'rate_limit.burst: expected a whole number of at least 1, got nothing'],
  ['rate limit interval without unit', 'rate_limit:\n  interval: 10\n  burst: 5\n', 'rate_limit.interval: expected a string, got 10'],
  ['YAML syntax', 'basic_auth_users:\n  alice: x\n  alice: y\n', '<dir>/yaml-syntax.yml:3:3: Map keys must be unique'],
];

describe('bad web config files give exactly one line naming the key', () => {
  it.each(BAD)('%s', (title, yaml, reason) => {
    const name = title === 'YAML syntax' ? 'yaml-syntax.yml' : `${title.replaceAll(' ', '-')}.yml`;
    expect(errorOf(name, yaml)).toBe(`${E}${reason}`);
  });

  it('a missing file', () => {
    expect(() => loadWebConfig(join(certs.dir, 'absent.yml'))).toThrow(`${E}cannot read ${join(certs.dir, 'absent.yml')} (ENOENT)`);
  });
});

describe('good web config files', () => {
  it('an empty file enables nothing', () => {
    const config = load('empty.yml', '');
    expect(config.tls).toBeUndefined();
    expect(config.basicAuthUsers.size).toBe(0);
    expect(config.headers).toEqual({});
    expect(config.http2).toBe(true);
    expect(config.rateLimit).toBeUndefined();
  });

  it('resolves relative paths against the file, not the working directory; applies the defaults', () => {
    mkdirSync(join(certs.dir, 'sub'), { recursive: true });
    const config = load('sub/web.yml', 'tls_server_config:\n  cert_file: ../server.crt\n  key_file: ../server.key\n');
    expect(config.file).toBe(join(certs.dir, 'sub/web.yml'));
    expect(config.tls).toEqual({
      cert: { file: certs.serverCert },
      key: { file: certs.serverKey },
      clientAuthType: 'NoClientCert',
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
      honorCipherOrder: true,
    });
  });

  it('reads every key the toolkit documents', () => {
    const config = load(
      'full.yml',
      [
        'tls_server_config:',
        '  cert_file: server.crt',
        '  key_file: server.key',
        '  client_auth_type: RequireClientCert # the old alias',
        '  client_ca_file: ca.crt',
        '  client_allowed_sans: [prometheus]',
        '  min_version: TLS13',
        '  max_version: TLS13',
        '  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]',
        '  prefer_server_cipher_suites: false',
        '  curve_preferences: [X25519, CurveP256]',
        'http_server_config:',
        '  http2: false',
        '  headers:',
        '    X-Content-Type-Options: nosniff',
        '    Content-Security-Policy: ""',
        'basic_auth_users:',
        `  prometheus: $2y$10$${'b'.repeat(53)}`,
        'rate_limit:',
        '  interval: 100ms',
        '  burst: 20',
        '',
      ].join('\n'),
    );
    expect(config.tls).toMatchObject({
      clientAuthType: 'RequireAnyClientCert',
      clientCa: { file: certs.caCert },
      clientAllowedSans: ['prometheus'],
      minVersion: 'TLSv1.3',
      ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256',
      ecdhCurve: 'X25519:P-256',
      honorCipherOrder: false,
    });
    expect(config.http2).toBe(false);
    expect(config.headers).toEqual({ 'X-Content-Type-Options': 'nosniff' }); // blank = unset
    expect([...config.basicAuthUsers.keys()]).toEqual(['prometheus']);
    expect(config.rateLimit).toEqual({ intervalMs: 100, burst: 20 });
  });

  it('inline PEM (cert, key, client_ca) works like the files', () => {
    const indent = (path: string) => certs.read(path).toString().trimEnd().replaceAll('\n', '\n    ');
    const config = load(
      'inline.yml',
      `tls_server_config:\n  cert: |\n    ${indent(certs.serverCert)}\n  key: |\n    ${indent(certs.serverKey)}\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca: |\n    ${indent(certs.caCert)}\n`,
    );
    expect(config.tls?.cert).toEqual({ pem: `${certs.read(certs.serverCert).toString().trimEnd()}\n` });
  });
});
