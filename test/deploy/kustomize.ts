import { at, exists, isMap, joinPosix, list, map, readYaml, readYamlDocs, type Yaml } from './repo.js';

/**
 * What `kubectl apply -k DIR` would apply, read statically (no kustomize binary): the manifests
 * of DIR's `resources` (files, and folders with their own kustomization.yaml, recursively) and
 * the ConfigMaps of its configMapGenerators. Transformers are not applied, except what the
 * tests need to know (`images`).
 */
export interface Build {
  readonly manifests: readonly Manifest[];
  /** configMapGenerator name -> { key -> repository path of the file }. */
  readonly generatedConfigMaps: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** images: name -> new tag. */
  readonly images: ReadonlyMap<string, string>;
  /** Every file the build reads (kustomizations, resources, generator inputs). */
  readonly files: ReadonlySet<string>;
}

export interface Manifest {
  readonly file: string;
  readonly doc: Yaml;
}

export const kustomizationFile = (dir: string): string => `${dir}/kustomization.yaml`;

export function build(dir: string): Build {
  const manifests: Manifest[] = [];
  const generatedConfigMaps = new Map<string, Map<string, string>>();
  const images = new Map<string, string>();
  const files = new Set<string>();
  const visit = (kdir: string) => {
    const file = kustomizationFile(kdir);
    if (!exists(file)) throw new Error(`${kdir}: no kustomization.yaml`);
    files.add(file);
    const k = readYaml(file);
    for (const entry of list(k['resources'])) {
      const path = joinPosix(kdir, String(entry));
      if (exists(kustomizationFile(path))) {
        visit(path);
        continue;
      }
      if (!exists(path)) throw new Error(`${file}: resource ${String(entry)} not found`);
      files.add(path);
      for (const doc of readYamlDocs(path)) if (doc !== null) manifests.push({ file: path, doc: map(doc) });
    }
    for (const generator of list(k['configMapGenerator'])) {
      const keys = new Map<string, string>();
      for (const spec of list(at(generator, 'files'))) {
        const [key, source] = String(spec).includes('=') ? String(spec).split('=', 2) : [String(spec).split('/').pop()!, String(spec)];
        const path = joinPosix(kdir, source!);
        if (!exists(path)) throw new Error(`${file}: configMapGenerator file ${source} not found`);
        files.add(path);
        keys.set(key!, path);
      }
      generatedConfigMaps.set(String(at(generator, 'name')), keys);
    }
    for (const image of list(k['images'])) images.set(String(at(image, 'name')), String(at(image, 'newTag')));
  };
  visit(dir);
  return { manifests, generatedConfigMaps, images, files };
}

export const ofKind = (b: Build, kind: string): Yaml[] => b.manifests.filter((m) => m.doc['kind'] === kind).map((m) => m.doc);

export const podSpec = (workload: Yaml): Yaml => map(at(workload, 'spec.template.spec'));

export const containers = (workload: Yaml): Yaml[] => list(podSpec(workload)['containers']).filter(isMap);

/** Whether every label of `selector` is on `labels`. */
export function selects(selector: unknown, labels: unknown): boolean {
  const wanted = Object.entries(map(selector));
  return wanted.length > 0 && wanted.every(([key, value]) => map(labels)[key] === value);
}
