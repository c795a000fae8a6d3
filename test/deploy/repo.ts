import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { NON_CONFIG_ENV_VARS } from '../../src/config/load-config.js';
import { configLeaves } from '../../src/config/schema.js';

/** Repository root, with a trailing separator. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Absolute path of a repository-relative path. */
export const repoPath = (path: string): string => join(ROOT, path);

export const exists = (path: string): boolean => existsSync(repoPath(path));

export const readText = (path: string): string => readFileSync(repoPath(path), 'utf8');

/** Every file under a repository folder, repository-relative with forward slashes, sorted. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (absolute: string) => {
    for (const name of readdirSync(absolute)) {
      const child = join(absolute, name);
      if (statSync(child).isDirectory()) walk(child);
      else out.push(relative(ROOT, child).split(sep).join('/'));
    }
  };
  if (exists(dir)) walk(repoPath(dir));
  return out.sort();
}

export type Yaml = Record<string, unknown>;

/** Every document of a YAML file, as plain data; throws on the first syntax error. */
export function readYamlDocs(path: string): unknown[] {
  return parseAllDocuments(readText(path)).map((doc) => {
    const error = doc.errors[0];
    if (error) throw new Error(`${path}: ${error.message}`);
    return doc.toJS() as unknown;
  });
}

/** A single-document YAML file as a mapping. */
export function readYaml(path: string): Yaml {
  const docs = readYamlDocs(path);
  if (docs.length !== 1 || !isMap(docs[0])) throw new Error(`${path}: expected one YAML mapping`);
  return docs[0];
}

export const isMap = (value: unknown): value is Yaml => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `value` as a mapping, or an empty one. */
export const map = (value: unknown): Yaml => (isMap(value) ? value : {});

/** `value` as a list, or an empty one. */
export const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Follows a dotted path through mappings; undefined where it stops. */
export function at(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split('.')) current = isMap(current) ? current[key] : undefined;
  return current;
}

/** Joins a POSIX directory and a relative path, resolving `..` (for paths inside the repository). */
export function joinPosix(dir: string, path: string): string {
  const parts = dir === '' ? [] : dir.split('/');
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

/** Environment variables the exporter reads: one per configuration key, plus LLM_COST_CONFIG. */
export const EXPORTER_ENV_VARS: ReadonlySet<string> = new Set([
  ...configLeaves.flatMap((leaf) => (leaf.env === undefined ? [] : [leaf.env])),
  ...NON_CONFIG_ENV_VARS,
]);

/** The default port of web.listen_address (`:9787`). */
export const DEFAULT_PORT = Number(String(configLeaves.find((leaf) => leaf.key === 'web.listen_address')?.default).split(':').pop());

/** The default telemetry path (`/metrics`). */
export const DEFAULT_TELEMETRY_PATH = String(configLeaves.find((leaf) => leaf.key === 'web.telemetry_path')?.default);
