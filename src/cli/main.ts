#!/usr/bin/env node
import { Command } from 'commander';
import type { Config } from '../config/config.js';
import { ConfigError } from '../config/config-error.js';
import { addConfigOptions, flagsFromCommander } from '../config/flags.js';
import { loadConfig } from '../config/load-config.js';
import { loadWebConfig } from '../server/web-config.js';
import { systemClock } from '../time/clock.js';
import { DEMO_OPTIONS } from './demo-options.js';
import { createLogger } from './logger.js';
import { serve, type RunningExporter } from './serve.js';
import { VERSION } from './version.js';

/** Exit codes: 0 ok, 1 runtime failure (e.g. the port is taken), 2 bad configuration or usage. */
const EXIT_CONFIG = 2;

function configFrom(opts: Record<string, unknown>): Config {
  const flags = flagsFromCommander(opts);
  const file = typeof flags['config'] === 'string' ? flags['config'] : process.env['LLM_COST_CONFIG'];
  return loadConfig({ file, env: process.env, flags });
}

/** Runs until SIGINT/SIGTERM, then stops sources and the server and exits 0. */
function stopOnSignals(running: RunningExporter): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1); // a second signal: give up waiting
    stopping = true;
    process.stderr.write(`received ${signal}, shutting down\n`);
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

async function runServe(opts: Record<string, unknown>): Promise<void> {
  const config = configFrom(opts);
  if (opts['config.check'] ?? opts['configCheck']) {
    if (config.web.config_file) loadWebConfig(config.web.config_file);
    process.stdout.write(`configuration OK: ${config.vllm.targets.length} vLLM target(s), compare_to ${config.compare_to}\n`);
    return;
  }
  const logger = createLogger(config.log.level, config.log.format);
  const running = await serve({ config, clock: systemClock, logger });
  stopOnSignals(running);
}

export function buildProgram(): Command {
  const program = new Command('llm-cost-exporter')
    .description('Prices self-hosted LLM tokens: reads vLLM /metrics and nvidia-smi, exports realised $/M tokens against API list prices.')
    .version(VERSION, '--version')
    .showHelpAfterError('(run llm-cost-exporter --help for usage)')
    .exitOverride();
  const serveCommand = program
    .command('serve', { isDefault: true })
    .description('watch vLLM and the GPUs of this host and export Prometheus metrics (default)')
    .showHelpAfterError('(run llm-cost-exporter serve --help for usage)')
    .action(async (_args: unknown, command: Command) => runServe(command.opts()));
  addConfigOptions(serveCommand);
  const demoCommand = program
    .command('demo')
    .description('run the exporter against a built-in simulated GPU host (no GPU or vLLM needed)')
    .showHelpAfterError('(run llm-cost-exporter demo --help for usage)')
    .action(async (_args: unknown, command: Command) => {
      // nothing to save while the history is replayed: a signal then simply ends the demo
      const early = () => process.exit(0);
      process.once('SIGINT', early).once('SIGTERM', early);
      // the simulator is loaded only for the demo: `serve` does not carry it in memory
      const { runDemo } = await import('./demo.js');
      const { running, host } = await runDemo(command.opts());
      process.off('SIGINT', early).off('SIGTERM', early);
      stopOnSignals({ ...running, stop: async () => (await running.stop(), await host.stop()) });
    });
  for (const [flags, description, defaultValue] of DEMO_OPTIONS) demoCommand.option(flags, description, defaultValue);
  addConfigOptions(demoCommand);
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    const code = (error as { code?: string; exitCode?: number }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      const exitCode = (error as { exitCode: number }).exitCode;
      process.exit(exitCode === 0 ? 0 : EXIT_CONFIG);
    }
    process.stderr.write(`llm-cost-exporter: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

await main(process.argv);
