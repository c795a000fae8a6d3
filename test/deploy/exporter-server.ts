import type { Server } from 'node:http';
import { pino } from 'pino';
import { ExporterMetrics } from '../../src/exposition/exporter-metrics.js';
import { startHttpServer } from '../../src/server/http-server.js';
import { DEFAULT_TELEMETRY_PATH } from './repo.js';

export interface ExporterServer {
  /** host:port it listens on (loopback, ephemeral port). */
  readonly address: string;
  /** HTTP status of GET `path`. */
  status(path: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * The exporter's real HTTP server (routes, probes, default telemetry path), without sources: the
 * paths that manifests probe are checked against what the exporter actually serves.
 */
export async function startExporterServer(): Promise<ExporterServer> {
  const { server, port } = await startHttpServer({
    listenAddress: '127.0.0.1:0',
    telemetryPath: DEFAULT_TELEMETRY_PATH,
    metrics: new ExporterMetrics('test'),
    ready: () => true,
    latest: () => undefined,
    logger: pino({ level: 'silent' }),
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    address: `127.0.0.1:${port}`,
    async status(path) {
      const response = await fetch(`${base}${path}`);
      await response.arrayBuffer();
      return response.status;
    },
    close: () => closeServer(server),
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
