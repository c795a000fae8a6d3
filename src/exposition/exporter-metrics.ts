import { gzipSync } from 'node:zlib';
import { Counter, Gauge, Registry, type OpenMetricsContentType, type PrometheusContentType } from 'prom-client';
import type { Snapshot } from '../exporter/snapshot.js';
import { CATALOGUE, type MetricName } from './catalogue.js';
import { writeSnapshot } from './write-snapshot.js';

/** One rendered exposition, with its gzip form made on first demand. */
export interface Rendered {
  readonly contentType: string;
  readonly body: string;
  gzipped(): Buffer;
}

/** Typed setters over the catalogue, so `write-snapshot` cannot name a series that does not exist. */
export interface SeriesWriter {
  set(name: MetricName, labels: Record<string, string>, value: number | undefined): void;
}

/**
 * The prom-client registries (text 0.0.4 and OpenMetrics), filled from a Snapshot once per
 * accounting tick. Each format is serialised at most once per tick, on the first scrape that asks
 * for it (Prometheus only ever asks for OpenMetrics); later scrapes send the cached string.
 */
export class ExporterMetrics {
  private readonly text = new Registry<PrometheusContentType>();
  private readonly openMetrics = new Registry<OpenMetricsContentType>();
  // one set of metric objects per registry: prom-client's OpenMetrics rendering renames counters
  // in place (drops `_total`), so sharing them would corrupt the text rendering
  private readonly metrics = new Map<string, (Gauge | Counter)[]>();
  private published = false;
  private renderedText: Rendered | undefined;
  private renderedOpenMetrics: Rendered | undefined;

  constructor(private readonly version: string) {
    this.openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    for (const def of CATALOGUE) {
      this.metrics.set(
        def.name,
        [this.text, this.openMetrics].map((registry) => {
          const options = { name: def.name, help: def.help, labelNames: [...def.labels], registers: [registry as Registry] };
          return def.type === 'counter' ? new Counter(options) : new Gauge(options);
        }),
      );
    }
  }

  /** Replaces every series with the snapshot's values; the renderings are made on demand. */
  publish(snapshot: Snapshot): void {
    for (const pair of this.metrics.values()) for (const metric of pair) metric.reset();
    const writer: SeriesWriter = {
      set: (name, labels, value) => {
        if (value === undefined || !Number.isFinite(value)) return; // undefined is absent, never NaN
        for (const metric of this.metrics.get(name)!) {
          if (metric instanceof Counter) metric.inc(labels, Math.max(0, value));
          else metric.set(labels, value);
        }
      },
    };
    writer.set('llm_cost_build_info', { version: this.version, node_version: process.version }, 1);
    writeSnapshot(snapshot, writer);
    this.published = true;
    this.renderedText = undefined;
    this.renderedOpenMetrics = undefined;
  }

  /**
   * The rendering of the last snapshot, in OpenMetrics when the client prefers it. prom-client
   * renders in microtasks only, so no publish can interleave with a rendering in progress.
   */
  async current(openMetrics: boolean): Promise<Rendered | undefined> {
    if (!this.published) return undefined;
    if (openMetrics) {
      this.renderedOpenMetrics ??= rendered(this.openMetrics.contentType, await this.openMetrics.metrics());
      return this.renderedOpenMetrics;
    }
    this.renderedText ??= rendered(this.text.contentType, await this.text.metrics());
    return this.renderedText;
  }
}

function rendered(contentType: string, body: string): Rendered {
  let gz: Buffer | undefined;
  return { contentType, body, gzipped: () => (gz ??= gzipSync(body)) };
}

