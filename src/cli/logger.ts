import { pino, type Logger } from 'pino';

/**
 * Logs go to stderr (stdout stays free for `--config.check` and the demo's URLs), as JSON by
 * default or as logfmt, the format Prometheus' own tools use (`--log.format`).
 */
export function createLogger(level: string, format: 'json' | 'logfmt', fd = 2): Logger {
  const options = { level, base: null, timestamp: pino.stdTimeFunctions.isoTime };
  if (format === 'json') return pino(options, pino.destination({ fd, sync: true }));
  const out = pino.destination({ fd, sync: true });
  return pino(options, { write: (line: string) => out.write(toLogfmt(line)) });
}

/** `{"level":30,"time":"…","msg":"listening","port":9787}` → `time=… level=info msg=listening port=9787`. */
export function toLogfmt(jsonLine: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const { time, level, msg, ...rest } = record;
  const fields: [string, unknown][] = [
    ['time', time],
    ['level', pino.levels.labels[Number(level)] ?? level],
    ['msg', msg],
    ...Object.entries(rest),
  ];
  return `${fields
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${quote(typeof v === 'string' ? v : JSON.stringify(v))}`)
    .join(' ')}\n`;
}

function quote(value: string): string {
  return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
}
