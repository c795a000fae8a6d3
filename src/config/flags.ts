import { Option } from 'commander';
import type { Command } from 'commander';
import { configLeaves } from './schema.js';
import type { ConfigLeaf } from './schema.js';

/**
 * Command-line flags, derived from the schema's leaves (Prometheus style: `--gpu.hourly-cost-usd`,
 * `--web.listen-address`), plus `--config` and `--config.check`. Commander only collects text:
 * no defaults are set here (they would hide the file and the variables), and values are
 * converted and validated by `loadConfig`, so a bad flag gets the same message as a bad key.
 */

/** Flag values as `loadConfig` takes them, keyed by flag name without `--`. */
export type ConfigFlags = Record<string, string | string[] | boolean | undefined>;

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

function describe(leaf: ConfigLeaf): string {
  const dflt = leaf.defaultText === undefined ? '' : ` (default: ${leaf.defaultText})`;
  return `${leaf.help}${dflt} [env ${leaf.env ?? '-'}]`;
}

/** The options of one leaf: one, or two for a boolean (`--x [bool]` and `--no-x`). */
function leafOptions(leaf: ConfigLeaf & { flag: string }): Option[] {
  if (leaf.text === 'boolean') {
    return [
      new Option(`--${leaf.flag} [bool]`, describe(leaf)),
      new Option(`--no-${leaf.flag}`, `same as --${leaf.flag}=false`),
    ];
  }
  const option = new Option(`--${leaf.flag} ${leaf.placeholder}`, describe(leaf));
  return [leaf.text === 'list' || leaf.text === 'number-list' ? option.argParser(collect) : option];
}

const fixedOptions = (): Option[] => [
  new Option('--config <file>', 'YAML configuration file [flags override LLM_COST_* variables, which override the file]'),
  new Option('--config.check', 'validate the configuration, print the error if any, and exit (status 0 or 2)'),
];

const leavesWithFlags = configLeaves.filter((leaf): leaf is ConfigLeaf & { flag: string } => leaf.flag !== undefined);

/** Commander's attribute name of each option → our flag name (commander camel-cases after hyphens). */
const flagByAttribute = new Map<string, string>([
  ...fixedOptions().map((option) => [option.attributeName(), option.name()] as const),
  ...leavesWithFlags.flatMap((leaf) => leafOptions(leaf).map((option) => [option.attributeName(), leaf.flag] as const)),
]);

/** Adds `--config`, `--config.check` and one flag per configuration leaf to `command`. */
export function addConfigOptions(command: Command): void {
  for (const option of fixedOptions()) command.addOption(option);
  for (const leaf of leavesWithFlags) for (const option of leafOptions(leaf)) command.addOption(option);
}

/**
 * Commander's `opts()` to `loadConfig`'s flags: keyed by flag name (`gpu.hourly-cost-usd`,
 * `config`, `config.check`), only the flags given. Options this module did not add are left out.
 */
export function flagsFromCommander(opts: Record<string, unknown>): ConfigFlags {
  const flags: ConfigFlags = {};
  for (const [attribute, value] of Object.entries(opts)) {
    const flag = flagByAttribute.get(attribute);
    if (flag === undefined || value === undefined) continue;
    if (typeof value === 'string' || typeof value === 'boolean') flags[flag] = value;
    else if (Array.isArray(value)) flags[flag] = value.map(String);
  }
  return flags;
}
