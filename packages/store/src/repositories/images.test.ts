// imageDigests reads image metadata from uploaded (untrusted) reports: any shape yields a list of
// well-formed sha256 digests, never an exception.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { imageDigests } from './images.js';

const hex = (c: string) => c.repeat(64);

describe('imageDigests', () => {
  it('takes the config id and the digest part of each repo digest, once each', () => {
    expect(
      imageDigests({
        id: `sha256:${hex('a')}`,
        repoDigests: [`registry.example/app@sha256:${hex('b')}`, `mirror.example/app@sha256:${hex('b')}`, 'app:latest'],
        layers: [],
      }),
    ).toEqual([`sha256:${hex('a')}`, `sha256:${hex('b')}`]);
    expect(imageDigests(undefined)).toEqual([]);
  });

  it('never throws and only answers sha256 digests, whatever the metadata holds', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (id, repoDigests) => {
        const out = imageDigests({ id, repoDigests, layers: [] } as never);
        for (const d of out) expect(d).toMatch(/^sha256:[a-f0-9]{64}$/);
      }),
    );
    fc.assert(
      fc.property(fc.anything(), (image) => {
        expect(Array.isArray(imageDigests(image as never))).toBe(true);
      }),
    );
  });
});
