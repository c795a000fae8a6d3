/**
 * The one error `parseExposition` throws: the body is not valid Prometheus text / OpenMetrics.
 *
 * `line` is 1-based and counts every `\n`-terminated line of the body (comments and blank lines
 * included), so it matches what an editor shows. `reason` is short, lower-case and safe to log:
 * it never echoes label values or other content of the body.
 */
export class ExpositionParseError extends Error {
  readonly line: number;
  readonly reason: string;

  constructor(line: number, reason: string) {
    super(`line ${line}: ${reason}`);
    this.name = 'ExpositionParseError';
    this.line = line;
    this.reason = reason;
  }
}
