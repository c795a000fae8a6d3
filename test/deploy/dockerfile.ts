/**
 * A small Dockerfile reader for the deployment tests: instructions per stage, with line
 * continuations joined and comments dropped (as BuildKit does), and COPY/ADD split into flags,
 * sources and destination. Enough for deploy/docker/Dockerfile; not a general parser.
 */
export interface Instruction {
  readonly op: string;
  readonly args: string;
}

export interface Stage {
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

export interface Copy {
  readonly op: 'COPY' | 'ADD';
  readonly from: string | undefined;
  readonly sources: readonly string[];
  readonly dest: string;
}

export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line.trimStart().startsWith('#')) continue; // comments, also inside continuations
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    if (full !== '') logical.push(full);
  }
  const stages: { name: string | undefined; instructions: Instruction[] }[] = [];
  for (const line of logical) {
    const match = /^(\S+)\s*(.*)$/.exec(line);
    if (!match) continue;
    const op = match[1]!.toUpperCase();
    const args = match[2]!.trim();
    if (op === 'FROM') stages.push({ name: /\sAS\s+(\S+)$/i.exec(args)?.[1], instructions: [] });
    stages.at(-1)?.instructions.push({ op, args });
  }
  return stages;
}

/** Arguments of an exec-form (JSON array) instruction, or undefined for shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  const parsed = JSON.parse(args) as unknown;
  return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : undefined;
}

export function parseCopy(instruction: Instruction): Copy {
  const tokens = instruction.args.split(/\s+/);
  let from: string | undefined;
  while (tokens[0]?.startsWith('--')) {
    const flag = tokens.shift()!;
    if (flag.startsWith('--from=')) from = flag.slice('--from='.length);
  }
  const rest = tokens.join(' ');
  const paths = execForm(rest) ?? tokens;
  if (paths.length < 2) throw new Error(`${instruction.op} ${instruction.args}: expected sources and a destination`);
  return { op: instruction.op as 'COPY' | 'ADD', from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
}

/** The WORKDIR in force before each instruction of a stage (absolute paths only, as here). */
export function withWorkdir(stage: Stage): { instruction: Instruction; workdir: string }[] {
  let workdir = '/';
  return stage.instructions.map((instruction) => {
    const before = workdir;
    if (instruction.op === 'WORKDIR') workdir = instruction.args.startsWith('/') ? instruction.args : `${workdir.replace(/\/$/, '')}/${instruction.args}`;
    return { instruction, workdir: instruction.op === 'WORKDIR' ? workdir : before };
  });
}

/** `ENV A=1 B=2` (the key=value form) as a map. */
export function envOf(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const { op, args } of stage.instructions) {
    if (op !== 'ENV') continue;
    for (const match of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env.set(match[1]!, match[2]!.replace(/^"|"$/g, ''));
  }
  return env;
}

/**
 * Whether .dockerignore excludes a context path: Go filepath.Match-style patterns (`*`, `?`,
 * `**`), a pattern also excluding everything below a matched folder, `!` re-including; the last
 * matching line wins (as Docker documents).
 */
export function dockerIgnored(patterns: readonly string[], path: string): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).trim().replace(/^\/+|\/+$/g, '');
    if (pattern === '') continue;
    const regex = new RegExp(
      `^${pattern
        .split('/')
        .map((part) => (part === '**' ? '(?:.*)' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
        .join('/')
        .replace(/\(\?:\.\*\)\//g, '(?:.*/)?')}(?:/.*)?$`,
    );
    if (regex.test(path)) ignored = !negated;
  }
  return ignored;
}

export function dockerignorePatterns(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
