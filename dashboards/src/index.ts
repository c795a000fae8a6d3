/**
 * The bundled dashboards, listed once. `buildDashboards()` is pure: the build script writes its
 * output under dashboards/, and the drift test compares the committed files with it.
 */
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { fleetDashboard } from './fleet.js';
import { latencyDashboard } from './latency.js';
import { utilizationDashboard } from './utilization.js';
import { forGrafanaCom, forProvisioning, type JsonObject } from './variants.js';
import { vsApiDashboard } from './vs-api.js';

export { serialize, allPanels, type Json, type JsonObject } from './variants.js';

/** Every bundled dashboard, in the order of the docs. */
export const DASHBOARDS: ReadonlyArray<() => DashboardBuilder> = [vsApiDashboard, utilizationDashboard, latencyDashboard, fleetDashboard];

/**
 * Every generated file, by path relative to dashboards/: `<uid>.json` (file provisioning) and
 * `grafana.com/<uid>.json` (import / upload to grafana.com).
 */
export function buildDashboards(): Record<string, JsonObject> {
  const files: Record<string, JsonObject> = {};
  for (const make of DASHBOARDS) {
    const provisioning = forProvisioning(make().build());
    const uid = provisioning['uid'];
    if (typeof uid !== 'string') throw new Error(`dashboard "${String(provisioning['title'])}" has no uid`);
    files[`${uid}.json`] = provisioning;
    files[`grafana.com/${uid}.json`] = forGrafanaCom(provisioning);
  }
  return files;
}
