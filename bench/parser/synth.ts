/**
 * Synthetic large vLLM exposition for the parser benchmark, generated in-process from
 * `test/fixtures/vllm/latest.prom` (the same recipe as shared/research/perf-anchors.md §1, plus
 * data-parallel children):
 *
 * - every family keeps its own `# HELP`/`# TYPE` pair (other comments are dropped);
 * - every sample line with `model_name` is emitted for `model_name="m1".."m16"`; model `m1` also gets
 *   `engine="1".."3"` copies (a DP=4 deployment), the others only `engine="0"`;
 * - a family's children stay together (all lines of one child, i.e. buckets/count/sum, before the
 *   next child), and lines without `model_name` (python_*, process_*, http_*) appear once.
 */
const MODEL = 'model_name="meta-llama/Llama-3.1-8B-Instruct"';

export interface SynthOptions {
  /** Number of model names (default 16). */
  readonly models?: number;
  /** Engines for model m1 (default 4: engine="0".."3"). */
  readonly m1Engines?: number;
}

export function synthesizeVllmExposition(latestProm: string, opts: SynthOptions = {}): string {
  const models = opts.models ?? 16;
  const m1Engines = opts.m1Engines ?? 4;
  const out: string[] = [];
  let family: string[] = [];

  const flush = (): void => {
    const plain = family.filter((l) => !l.includes(MODEL));
    const withModel = family.filter((l) => l.includes(MODEL));
    out.push(...plain);
    for (let m = 1; m <= models; m++) {
      const engines = m === 1 ? m1Engines : 1;
      for (let e = 0; e < engines; e++) {
        for (const l of withModel) {
          out.push(l.replace(MODEL, `model_name="m${m}"`).replace('engine="0"', `engine="${e}"`));
        }
      }
    }
    family = [];
  };

  for (const line of latestProm.split('\n')) {
    if (line.startsWith('# HELP ')) {
      flush();
      out.push(line);
    } else if (line.startsWith('# TYPE ')) {
      out.push(line);
    } else if (line.startsWith('#') || line === '') {
      continue;
    } else {
      family.push(line);
    }
  }
  flush();
  return `${out.join('\n')}\n`;
}
