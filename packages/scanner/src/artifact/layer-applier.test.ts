import type { LayerRef, Package } from '@palisade/core';
import { describe, expect, it } from 'vitest';
import { LayerApplier } from './layer-applier.js';

const pkg = (name: string, version: string): Package => ({
  name,
  version,
  ecosystem: 'Debian',
  purl: `pkg:deb/debian/${name}@${version}`,
});
const db = (...p: Package[]) => [
  { order: 0, result: { packageSets: [{ class: 'os-pkgs' as const, type: 'dpkg', filePath: 'status', packages: p }] } },
];
const layers: LayerRef[] = [0, 1, 2, 3].map((index) => ({ index, diffId: `sha256:${index}` }));

function attribution(applier: LayerApplier): string[] {
  return applier.packageSets(layers).flatMap((s) => s.packages.map((p) => `${p.name}@${p.version}:${p.layer?.index}`));
}

describe('LayerApplier', () => {
  it('keeps the introducing layer while a package stays unchanged in a rewritten database', () => {
    const a = new LayerApplier();
    a.beginLayer(0);
    a.entry('status');
    a.record('status', db(pkg('libc', '1'), pkg('ssl', '1')));
    a.endLayer();
    a.beginLayer(1);
    a.entry('status');
    a.record('status', db(pkg('libc', '1'), pkg('ssl', '2')));
    a.endLayer();
    a.beginLayer(2);
    a.entry('unrelated');
    a.endLayer();
    a.beginLayer(3);
    a.entry('status');
    a.record('status', db(pkg('libc', '1'), pkg('ssl', '2'), pkg('curl', '8')));
    a.endLayer();
    expect(attribution(a)).toEqual(['libc@1:0', 'ssl@2:1', 'curl@8:3']);
  });

  it('whiteouts and opaque dirs only affect lower layers', () => {
    const a = new LayerApplier();
    a.beginLayer(0);
    a.record('d/x', db(pkg('x', '1')));
    a.record('d/sub/y', db(pkg('y', '1')));
    a.record('keep', db(pkg('k', '1')));
    a.endLayer();
    a.beginLayer(1);
    a.opaqueDir('d');
    a.record('d/z', db(pkg('z', '1'))); // same layer as the opaque marker: stays
    a.endLayer();
    expect(attribution(a).sort()).toEqual(['k@1:0', 'z@1:1']);
    a.beginLayer(2);
    a.whiteout('keep');
    a.endLayer();
    expect(attribution(a)).toEqual(['z@1:1']);
  });

  it('an opaque root hides everything below', () => {
    const a = new LayerApplier();
    a.beginLayer(0);
    a.record('a', db(pkg('a', '1')));
    a.endLayer();
    a.beginLayer(1);
    a.opaqueDir('');
    a.endLayer();
    expect(attribution(a)).toEqual([]);
  });

  it('without layer refs (directories, zips) packages carry no layer', () => {
    const a = new LayerApplier();
    a.beginLayer(0);
    a.record('status', db(pkg('a', '1')));
    a.endLayer();
    expect(a.packageSets()[0]!.packages[0]!.layer).toBeUndefined();
    expect(a.packageSets()[0]!.packages[0]!.filePath).toBe('status');
  });
});

describe('LayerApplier.os', () => {
  it('folds the OS answers of surviving files; a whited-out os-release no longer counts', () => {
    const a = new LayerApplier();
    a.beginLayer(0);
    a.record('etc/os-release', [{ order: 0, result: { os: { family: 'debian', version: '12', name: 'Debian 12' } } }]);
    a.record('etc/debian_version', [{ order: 1, result: { os: { family: 'debian', version: '12.5' } } }]);
    a.endLayer();
    expect(a.os()).toEqual({ family: 'debian', version: '12.5', name: 'Debian 12' });
    a.beginLayer(1);
    a.whiteout('etc/debian_version');
    a.endLayer();
    expect(a.os()).toEqual({ family: 'debian', version: '12', name: 'Debian 12' });
    expect(new LayerApplier().os()).toBeUndefined();
  });
});
