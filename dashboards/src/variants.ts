/**
 * From the SDK's dashboard object to the committed JSON: stable panel ids and query refIds, keys
 * in sorted order (so a regenerated file differs only where a dashboard changed), and the two
 * variants: file provisioning (datasource picked by the `datasource` variable) and grafana.com
 * (`__inputs` / `__requires`, the variable defaulting to the data source chosen on import).
 */

/** A JSON value as written to disk. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A dashboard as written to disk. */
export type JsonObject = { [key: string]: Json };

const PANEL_NAMES: Record<string, string> = {
  bargauge: 'Bar gauge',
  heatmap: 'Heatmap',
  row: 'Row',
  stat: 'Stat',
  table: 'Table',
  text: 'Text',
  timeseries: 'Time series',
};

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isObject(value)) return value;
  const sorted: JsonObject = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key] as Json);
  return sorted;
}

function refId(index: number): string {
  const letter = String.fromCharCode(65 + (index % 26));
  return index < 26 ? letter : `${refId(Math.floor(index / 26) - 1)}${letter}`;
}

/** Every panel of a dashboard, rows and the panels of collapsed rows included, in order. */
export function allPanels(dashboard: JsonObject): JsonObject[] {
  const out: JsonObject[] = [];
  const walk = (panels: Json | undefined): void => {
    if (!Array.isArray(panels)) return;
    for (const panel of panels) {
      if (!isObject(panel)) continue;
      out.push(panel);
      walk(panel['panels']);
    }
  };
  walk(dashboard['panels']);
  return out;
}

/** Numbers the panels 1..n and gives every query without one a refId (A, B, ...). */
function numberPanels(dashboard: JsonObject): void {
  allPanels(dashboard).forEach((panel, i) => {
    panel['id'] = i + 1;
    const targets = panel['targets'];
    if (!Array.isArray(targets)) return;
    const used = new Set(targets.filter(isObject).map((t) => t['refId']).filter((r) => typeof r === 'string'));
    let next = 0;
    for (const target of targets.filter(isObject)) {
      if (typeof target['refId'] === 'string') continue;
      while (used.has(refId(next))) next++;
      target['refId'] = refId(next);
      used.add(refId(next));
    }
  });
}

/**
 * The SDK's builders place every dashboard link and annotation toggle in the controls menu
 * (`placement: "inControlsMenu"`, Grafana 12), where they are hidden behind a button; without
 * the field Grafana shows them beside the variables, as every Grafana version does.
 */
function unhideControls(dashboard: JsonObject): void {
  const annotations = dashboard['annotations'];
  const controls = [...(Array.isArray(dashboard['links']) ? dashboard['links'] : []), ...(isObject(annotations) && Array.isArray(annotations['list']) ? annotations['list'] : [])];
  for (const control of controls) if (isObject(control)) delete control['placement'];
}

/** The provisioning variant: plain JSON, stable ids, sorted keys. */
export function forProvisioning(built: unknown): JsonObject {
  const dashboard = JSON.parse(JSON.stringify(built)) as JsonObject;
  numberPanels(dashboard);
  unhideControls(dashboard);
  return sortKeys(dashboard) as JsonObject;
}

/** The grafana.com variant of a provisioning dashboard: asks for a Prometheus data source on import. */
export function forGrafanaCom(provisioning: JsonObject): JsonObject {
  const dashboard = JSON.parse(JSON.stringify(provisioning)) as JsonObject;
  const templating = dashboard['templating'];
  const list = isObject(templating) && Array.isArray(templating['list']) ? templating['list'] : [];
  for (const variable of list) {
    if (isObject(variable) && variable['name'] === 'datasource') {
      variable['current'] = { selected: false, text: '${DS_PROMETHEUS}', value: '${DS_PROMETHEUS}' };
    }
  }
  const panelTypes = [...new Set(allPanels(dashboard).map((p) => p['type']).filter((t): t is string => typeof t === 'string' && t !== 'row'))].sort();
  dashboard['__inputs'] = [
    { name: 'DS_PROMETHEUS', label: 'Prometheus', description: 'Prometheus that scrapes llm-cost-exporter', type: 'datasource', pluginId: 'prometheus', pluginName: 'Prometheus' },
  ];
  dashboard['__requires'] = [
    { type: 'grafana', id: 'grafana', name: 'Grafana', version: '10.0.0' },
    { type: 'datasource', id: 'prometheus', name: 'Prometheus', version: '1.0.0' },
    ...panelTypes.map((id) => ({ type: 'panel', id, name: PANEL_NAMES[id] ?? id, version: '' })),
  ];
  dashboard['id'] = null;
  return sortKeys(dashboard) as JsonObject;
}

/** The bytes written to disk: two-space JSON with a final newline. */
export function serialize(dashboard: JsonObject): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
