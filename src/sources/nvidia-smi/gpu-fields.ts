/**
 * The `--query-gpu` field lists and the "no value" tokens, copied from
 * `test/fixtures/nvidia-smi/fields.txt` (the only place the column order is written down).
 *
 * Columns are parsed by POSITION in the order asked for; the parser looks each field up by name,
 * so both lists (and the aliases in {@link FIELD_ALIASES}) go through the same code.
 */

/** Recent drivers (present in the R590-R610 captures). 25 columns, in this order. */
export const RECOMMENDED_FIELDS: readonly string[] = Object.freeze([
  'timestamp',
  'index',
  'uuid',
  'name',
  'pci.bus_id',
  'pstate',
  'utilization.gpu',
  'utilization.memory',
  'memory.total',
  'memory.reserved',
  'memory.used',
  'memory.free',
  'power.draw',
  'power.draw.average',
  'power.draw.instant',
  'power.limit',
  'enforced.power.limit',
  'temperature.gpu',
  'temperature.memory',
  'clocks.current.sm',
  'clocks.max.sm',
  'clocks.current.memory',
  'clocks_event_reasons.active',
  'mig.mode.current',
  'ecc.errors.uncorrected.volatile.total',
]);

/**
 * Older drivers: no `memory.reserved`, `power.draw.average/instant` or `clocks_event_reasons.*`
 * (the old alias `clocks_throttle_reasons.active` instead). 22 columns, in this order.
 */
export const CORE_FIELDS: readonly string[] = Object.freeze([
  'timestamp',
  'index',
  'uuid',
  'name',
  'pci.bus_id',
  'pstate',
  'utilization.gpu',
  'utilization.memory',
  'memory.total',
  'memory.used',
  'memory.free',
  'power.draw',
  'power.limit',
  'enforced.power.limit',
  'temperature.gpu',
  'temperature.memory',
  'clocks.current.sm',
  'clocks.max.sm',
  'clocks.current.memory',
  'clocks_throttle_reasons.active',
  'mig.mode.current',
  'ecc.errors.uncorrected.volatile.total',
]);

/**
 * Alias -> canonical name, for the fields this exporter reads. nvidia-smi accepts either spelling
 * (and prints the canonical one in a header line).
 */
export const FIELD_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  gpu_uuid: 'uuid',
  gpu_name: 'name',
  gpu_bus_id: 'pci.bus_id',
  'clocks.sm': 'clocks.current.sm',
  'clocks.mem': 'clocks.current.memory',
  'clocks_throttle_reasons.active': 'clocks_event_reasons.active',
  'gpu.power.draw.average': 'power.draw.average',
  'gpu.power.draw.instant': 'power.draw.instant',
});

/** The canonical name of a field (aliases resolved; unknown names returned as they are). */
export function canonicalField(field: string): string {
  return FIELD_ALIASES[field] ?? field;
}

/**
 * Every spelling of "no value" seen in real output (fields.txt, research §1.3). The empty string
 * is one of them. Any other bracketed token (`[...]`) is treated the same way by
 * {@link isNoValueToken}.
 */
export const NO_VALUE_TOKENS: readonly string[] = Object.freeze([
  '[N/A]',
  'N/A',
  '[Not Supported]',
  '[Insufficient Permissions]',
  '[Unknown Error]',
  '[GPU is lost]',
  '[GPU requires reset]',
  '[Requested functionality has been deprecated]',
  '',
]);

/** Tokens that mean the GPU itself is gone (the row is still printed, with these as values). */
export const LOST_GPU_TOKENS: readonly string[] = Object.freeze(['[GPU is lost]', '[GPU requires reset]']);

const NO_VALUE_SET: ReadonlySet<string> = new Set(NO_VALUE_TOKENS);

/** True for a (trimmed) value that means "absent": a known token, the empty string or any `[...]`. */
export function isNoValueToken(value: string): boolean {
  return NO_VALUE_SET.has(value) || (value.startsWith('[') && value.endsWith(']'));
}
