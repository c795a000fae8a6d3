import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { Exporter } from '../exporter/exporter.js';
import { ExporterMetrics } from '../exposition/exporter-metrics.js';
import { startHttpServer } from '../server/http-server.js';
import { loadWebConfig } from '../server/web-config.js';
import { Persistence } from '../storage/persistence.js';
import type { Clock } from '../time/clock.js';
import { VERSION } from './version.js';

export interface RunningExporter {
  readonly exporter: Exporter;
  readonly port: number;
  stop(): Promise<void>;
}

export interface ServeOptions {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Runs after the HTTP server is up and before the exporter starts (the demo's warm-up). */
  readonly beforeStart?: (exporter: Exporter) => Promise<void>;
  /** False: keep nothing across restarts (the demo). */
  readonly persist?: boolean;
}

/** `serve`: the exporter, its metrics and its HTTP server, wired together and started. */
export async function serve({ config, clock, logger, beforeStart, persist = true }: ServeOptions): Promise<RunningExporter> {
  // read before anything starts: a bad web config is a configuration error (exit 2)
  const webConfig = config.web.config_file ? loadWebConfig(config.web.config_file) : undefined;
  const persistence = persist ? new Persistence(config.storage.path, config.storage.save_interval, logger) : undefined;
  const restored = persistence?.restore();
  const exporter = new Exporter({
    config,
    clock,
    logger,
    ...(restored && { restored }),
    ...(persistence && { storageStatus: () => persistence.status }),
  });
  const metrics = new ExporterMetrics(VERSION);
  exporter.onSnapshot((snapshot) => metrics.publish(snapshot));
  const { server, port } = await startHttpServer({
    listenAddress: config.web.listen_address,
    telemetryPath: config.web.telemetry_path,
    metrics,
    ready: () => exporter.ready(),
    latest: () => exporter.latest(),
    logger,
    ...(webConfig && { webConfig }),
  });
  await beforeStart?.(exporter);
  exporter.start();
  persistence?.start(() => exporter.state());
  return {
    exporter,
    port,
    async stop() {
      await exporter.stop();
      persistence?.stop(exporter.state());
      await closeServer(server);
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
