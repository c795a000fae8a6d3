/**
 * Turning nvidia-smi's failures into short, log-safe descriptions. Sources: the RETURN VALUE table
 * of docs.nvidia.com/deploy/nvidia-smi, the fixtures in test/fixtures/nvidia-smi/ and
 * shared/research/gpu-exporters.md §1.5. nvidia-smi prints its errors on STDOUT (sometimes stderr):
 * callers pass whatever non-row text came out of either stream, and the exit code is trusted.
 */

/** Exit codes from nvidia-smi's RETURN VALUE table (16-18 follow NVML's nvmlReturn_t values). */
export const EXIT_CODE_MEANINGS: Readonly<Record<number, string>> = Object.freeze({
  0: 'success',
  2: 'invalid argument or flag',
  3: 'not available on target device',
  4: 'insufficient permissions',
  6: 'object not found',
  8: 'external power cables not attached',
  9: 'NVIDIA driver not loaded',
  10: 'interrupt issue with a GPU',
  12: 'NVML shared library not found',
  13: 'NVML function not implemented',
  14: 'infoROM corrupted',
  15: 'GPU fell off the bus or is inaccessible',
  16: 'GPU requires reset',
  17: 'GPU access blocked by the operating system',
  18: 'NVML driver/library version mismatch',
  255: 'other error',
});

/** What a known first line of nvidia-smi's error output means. */
export type NvidiaSmiFailureKind =
  | 'driver-not-loaded'
  | 'nvml-version-mismatch'
  | 'nvml-unknown-error'
  | 'nvml-insufficient-permissions'
  | 'nvml-init-failed'
  | 'invalid-field'
  | 'device-handle'
  | 'no-devices'
  | 'invalid-option'
  | 'unknown';

interface KnownMessage {
  readonly kind: NvidiaSmiFailureKind;
  readonly pattern: RegExp;
}

const KNOWN_MESSAGES: readonly KnownMessage[] = [
  { kind: 'driver-not-loaded', pattern: /^NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver/ },
  { kind: 'nvml-version-mismatch', pattern: /^Failed to initialize NVML: Driver\/library version mismatch/ },
  { kind: 'nvml-unknown-error', pattern: /^Failed to initialize NVML: Unknown Error/ },
  { kind: 'nvml-insufficient-permissions', pattern: /^Failed to initialize NVML: Insufficient Permissions/ },
  { kind: 'nvml-init-failed', pattern: /^Failed to initialize NVML/ },
  { kind: 'invalid-field', pattern: /^Field ".*" is not a valid field to query\./ },
  { kind: 'device-handle', pattern: /^Unable to determine the device handle for GPU/ },
  { kind: 'no-devices', pattern: /^No devices were found/ },
  { kind: 'invalid-option', pattern: /^ERROR: Option / },
];

/** The most a description quotes from the output. */
const MAX_QUOTE = 200;

/** The first line of `output` with something other than whitespace in it, trimmed; undefined if none. */
export function firstNonEmptyLine(output: string): string | undefined {
  for (const line of output.split('\n')) {
    const trimmed = line.trim();
    if (trimmed !== '') return trimmed;
  }
  return undefined;
}

/** Classifies one line (or the first non-empty line of a text) of nvidia-smi output. */
export function classifyOutput(output: string): NvidiaSmiFailureKind {
  const line = firstNonEmptyLine(output);
  if (line === undefined) return 'unknown';
  for (const known of KNOWN_MESSAGES) if (known.pattern.test(line)) return known.kind;
  return 'unknown';
}

/** The field named in `Field "x" is not a valid field to query.`, if `line` is that message. */
export function invalidFieldName(line: string): string | undefined {
  const match = /^\s*Field "(.*)" is not a valid field to query\./.exec(line);
  return match?.[1];
}

function quote(line: string): string {
  return line.length > MAX_QUOTE ? `${line.slice(0, MAX_QUOTE - 3)}...` : line;
}

/**
 * A short description of how nvidia-smi ended: the exit code (or signal) with its documented
 * meaning, and the first non-empty line of what it printed, e.g.
 * `nvidia-smi exited with code 9 (NVIDIA driver not loaded): NVIDIA-SMI has failed because ...`.
 */
export function describeExit(code: number | null, output: string, signal?: string | null): string {
  let head: string;
  if (code !== null) {
    const meaning = EXIT_CODE_MEANINGS[code];
    head = `nvidia-smi exited with code ${code}${meaning === undefined ? '' : ` (${meaning})`}`;
  } else if (signal !== undefined && signal !== null) {
    head = `nvidia-smi was killed by ${signal}`;
  } else {
    head = 'nvidia-smi exited';
  }
  const line = firstNonEmptyLine(output);
  return line === undefined ? `${head}, no output` : `${head}: ${quote(line)}`;
}

/** A short description of a failure to start the binary at all (the spawn 'error' event). */
export function describeSpawnError(path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return `nvidia-smi not found at ${path} (ENOENT)`;
    case 'EACCES':
      return `nvidia-smi at ${path} is not executable (EACCES)`;
    default: {
      const message = error instanceof Error ? error.message : String(error);
      return `cannot start nvidia-smi at ${path}: ${quote(message)}`;
    }
  }
}

/** The description used when a running nvidia-smi printed no row for `stallMs` and was killed. */
export function describeStall(stallMs: number): string {
  return `nvidia-smi printed no row for ${stallMs} ms (hung); killed`;
}
