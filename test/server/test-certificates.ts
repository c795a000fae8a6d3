import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM files made for one test run (EC P-256 keys: generated in milliseconds). */
export interface TestCertificates {
  readonly dir: string;
  /** The CA that signs the server and the trusted client certificate. */
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** Signed by the CA; SAN DNS:prometheus. */
  readonly clientCert: string;
  readonly clientKey: string;
  /** Self-signed, SAN DNS:intruder: presented but not verifiable. */
  readonly strangerCert: string;
  readonly strangerKey: string;
  /** A second server certificate (same CA), to prove a reload. */
  readonly otherServerCert: string;
  readonly otherServerKey: string;
  read(path: string): Buffer;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function signed(dir: string, name: string, subject: string, extensions: string): void {
  openssl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', String(Date.now() + name.length), '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
}

/**
 * A CA, a server certificate for 127.0.0.1 and localhost, a client certificate signed by the CA
 * and a self-signed stranger, made with the `openssl` CLI in a fresh temporary directory.
 */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'llm-cost-tls-'));
  openssl(dir, [
    'req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=llm-cost-exporter test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const server = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n';
  signed(dir, 'server', '/CN=localhost', server);
  signed(dir, 'server2', '/CN=localhost-rotated', server);
  signed(dir, 'client', '/CN=prometheus', 'subjectAltName=DNS:prometheus\nextendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
  openssl(dir, [
    'req', '-x509', ...EC, '-keyout', 'stranger.key', '-out', 'stranger.crt', '-days', '2', '-subj', '/CN=intruder',
    '-addext', 'subjectAltName=DNS:intruder', '-addext', 'extendedKeyUsage=clientAuth',
  ]);
  const at = (name: string): string => join(dir, name);
  return {
    dir,
    caCert: at('ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
    strangerCert: at('stranger.crt'),
    strangerKey: at('stranger.key'),
    otherServerCert: at('server2.crt'),
    otherServerKey: at('server2.key'),
    read: (path) => readFileSync(path),
  };
}
