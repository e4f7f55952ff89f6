import { describe, expect, it } from 'vitest';
import { fixture, ids, run } from '../__fixtures__/harness.js';
import { dotnetDepsAnalyzer, nugetLockAnalyzer } from './nuget-lock.js';

describe('.NET', () => {
  it('packages.lock.json: packages across target frameworks once each, project references skipped', async () => {
    const { packages, warnings } = await run(
      nugetLockAnalyzer,
      'src/packages.lock.json',
      fixture('dotnet', 'packages.lock.json'),
    );
    expect(warnings).toEqual([]);
    expect(ids(packages)).toEqual(['Newtonsoft.Json@13.0.1', 'Serilog@2.12.0']);
    expect(packages[0]).toMatchObject({ ecosystem: 'NuGet', purl: 'pkg:nuget/Newtonsoft.Json@13.0.1' });
  });

  it('*.deps.json: libraries of type package', async () => {
    const { packages } = await run(dotnetDepsAnalyzer, 'app/app.deps.json', fixture('dotnet', 'app.deps.json'));
    expect(ids(packages)).toEqual(['Newtonsoft.Json@13.0.3']);
  });

  it('warns on JSON of another shape', async () => {
    expect((await run(nugetLockAnalyzer, 'packages.lock.json', '{}')).warnings[0]).toMatch(/not a NuGet/);
    expect((await run(dotnetDepsAnalyzer, 'a.deps.json', '[]')).warnings[0]).toMatch(/not a \.NET deps\.json/);
  });
});
