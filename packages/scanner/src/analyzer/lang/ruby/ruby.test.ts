import { describe, expect, it } from 'vitest';
import { fixture, run } from '../__fixtures__/harness.js';
import { gemfileLockAnalyzer } from './gemfile-lock.js';
import { gemspecAnalyzer } from './gemspec.js';

describe('Gemfile.lock', () => {
  it('lists GEM specs with platform variants, not their dependencies nor GIT/PATH gems', async () => {
    const { packages, warnings } = await run(gemfileLockAnalyzer, 'Gemfile.lock', fixture('ruby', 'Gemfile.lock'));
    expect(warnings).toEqual([]);
    expect(packages.map((p) => p.purl)).toEqual([
      'pkg:gem/actionpack@7.1.3',
      'pkg:gem/mini_portile2@2.8.5',
      'pkg:gem/nokogiri@1.16.2',
      'pkg:gem/nokogiri@1.16.2?platform=x86_64-linux',
      'pkg:gem/racc@1.7.3',
      'pkg:gem/rack@3.0.9',
      'pkg:gem/rack-test@2.1.0',
    ]);
    expect(packages.every((p) => p.ecosystem === 'RubyGems' && p.filePath === 'Gemfile.lock')).toBe(true);
  });
});

describe('installed gemspecs', () => {
  it('reads name, version and licenses from specifications/*.gemspec', async () => {
    const path = 'usr/local/bundle/specifications/rake-13.1.0.gemspec';
    expect(gemspecAnalyzer.required(path, { size: 1000, mode: 0o100644 })).toBe(true);
    expect(gemspecAnalyzer.required('app/rake.gemspec', { size: 1000, mode: 0o100644 })).toBe(false);
    const { packages } = await run(gemspecAnalyzer, path, fixture('ruby', 'specifications', 'rake-13.1.0.gemspec'));
    expect(packages).toEqual([
      {
        name: 'rake',
        version: '13.1.0',
        ecosystem: 'RubyGems',
        purl: 'pkg:gem/rake@13.1.0',
        filePath: path,
        licenses: ['MIT'],
      },
    ]);
  });

  it('warns when a gemspec has no literal name or version', async () => {
    const r = await run(
      gemspecAnalyzer,
      'specifications/x.gemspec',
      'Gem::Specification.new do |s|\n  s.name = NAME\nend\n',
    );
    expect(r.result).toBeUndefined();
    expect(r.warnings).toHaveLength(1);
  });
});
