import { describe, expect, it } from 'vitest';
import { filesUnder, readText, readYamlDocs } from './repo.js';

describe('deploy/', () => {
  const files = filesUnder('deploy');

  it.each(files.filter((file) => /\.ya?ml$/.test(file)))('%s is valid YAML', (file) => {
    const docs = readYamlDocs(file);
    expect(docs.length).toBeGreaterThan(0);
    expect(docs.some((doc) => doc !== null && doc !== undefined), 'not empty').toBe(true);
  });

  it.each(files.filter((file) => file.endsWith('.json')))('%s is valid JSON', (file) => {
    expect(() => JSON.parse(readText(file))).not.toThrow();
  });
});
