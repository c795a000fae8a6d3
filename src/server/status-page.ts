import type { Snapshot } from '../exporter/snapshot.js';

/** Minimal landing page (the live status page replaces it). */
export function renderStatusPage(s: Snapshot | undefined, telemetryPath: string): string {
  const w = s?.windows['1h'];
  const usd = w?.usdPerMillionTokens?.compute;
  return `<!doctype html><html><head><meta charset="utf-8"><title>llm-cost-exporter</title></head><body>
<h1>llm-cost-exporter</h1>
<p>Realised cost of self-hosted tokens (1h, compute): ${usd === undefined ? 'no tokens yet' : `$${usd.toFixed(2)} per million tokens`}</p>
<p><a href="${telemetryPath}">Metrics</a> · <a href="/api/status">Status JSON</a> · <a href="/-/ready">Ready</a></p>
</body></html>`;
}
