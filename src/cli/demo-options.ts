/**
 * The demo's own options (besides every serve flag), apart from the simulator so that `serve`
 * never loads it. The defaults repeat DEFAULT_DEMO's; a test keeps them equal.
 */
export const DEMO_OPTIONS = [
  ['--speed <factor>', 'simulated seconds per real second once live (600 = a week in 17 minutes)', '1'],
  ['--warmup <duration>', 'simulated history replayed at full speed before going live, e.g. 7d, 24h, 0s', '7d'],
  ['--gpus <n>', 'simulated GPUs (tensor parallel, one vLLM)', '1'],
  ['--models <names>', 'comma-separated model names served by the simulated vLLM', 'meta-llama/Llama-3.1-8B-Instruct'],
  ['--peak-to-trough <ratio>', 'busiest over quietest weekday hour of the simulated traffic', '16'],
  ['--seed <n>', 'seed of the simulated traffic (same seed, same week)', '42'],
  ['--history <file>', 'instead of serving: write --warmup of simulated history (ending now) as OpenMetrics for promtool tsdb create-blocks-from openmetrics, then exit', ''],
  ['--history-step <duration>', 'with --history: one sample of every series per step (whole minutes)', '60s'],
  ['--history-labels <labels>', 'with --history: target labels added to every series, as a scrape would', 'job=llm-cost-exporter,instance=demo:9787'],
] as const;
