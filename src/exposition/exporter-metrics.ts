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
 * accounting tick and serialised right then: a scrape sends a cached string and computes nothing.
 */
export class ExporterMetrics {
  private readonly text = new Registry<PrometheusContentType>();
  private readonly openMetrics = new Registry<OpenMetricsContentType>();
  // one set of metric objects per registry: prom-client's OpenMetrics rendering renames counters
  // in place (drops `_total`), so sharing them would corrupt the text rendering
  private readonly metrics = new Map<string, (Gauge | Counter)[]>();
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

  /** Replaces every series with the snapshot's values, then serialises both formats. */
  async publish(snapshot: Snapshot): Promise<void> {
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
    const [text, om] = await Promise.all([this.text.metrics(), this.openMetrics.metrics()]);
    this.renderedText = rendered(this.text.contentType, text);
    this.renderedOpenMetrics = rendered(this.openMetrics.contentType, om);
  }

  /** The last rendering, in OpenMetrics when the client prefers it (Prometheus does). */
  current(openMetrics: boolean): Rendered | undefined {
    return openMetrics ? this.renderedOpenMetrics : this.renderedText;
  }
}

function rendered(contentType: string, body: string): Rendered {
  let gz: Buffer | undefined;
  return { contentType, body, gzipped: () => (gz ??= gzipSync(body)) };
}

