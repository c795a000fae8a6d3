/**
 * Helper process: a bare Node.js HTTP server that answers every request with one fixed text body
 * (`node bare-server.js BYTES`), printing its port on stdout. The floor any Node.js exporter pays:
 * the runtime, one HTTP server, no framework, no metrics library.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const bytes = Math.max(1, Number(process.argv[2] ?? 65536) || 65536);
const line = 'bench_bare_gauge{series="0000000000"} 12345.678\n';
const body = line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
const stop = (): void => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
