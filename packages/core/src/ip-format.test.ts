import { isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIpv4, formatIpv6 } from './ip-format.js';

describe('IP formatting', () => {
  it('prints the canonical forms', () => {
    expect(formatIpv4(Uint8Array.from([127, 0, 0, 1]))).toBe('127.0.0.1');
    const v6 = (hex: string) => formatIpv6(Buffer.from(hex, 'hex'));
    expect(v6('00000000000000000000000000000001')).toBe('::1');
    expect(v6('00000000000000000000000000000000')).toBe('::');
    expect(v6('20010db8000000000001000000000001')).toBe('2001:db8::1:0:0:1');
    expect(v6('20010db8000100000001000100010001')).toBe('2001:db8:1:0:1:1:1:1');
    expect(v6('00000000000000000000ffff7f000001')).toBe('::ffff:127.0.0.1');
  });

  it('agrees with the WHATWG URL serializer (RFC 5952) on every non-mapped address', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 8 }), (raw, zeros) => {
        const bytes = Uint8Array.from(raw);
        bytes.fill(0, 4, 4 + zeros); // make zero runs common
        const text = formatIpv6(bytes);
        expect(isIPv6(text)).toBe(true);
        if (!text.startsWith('::ffff:')) expect(new URL(`http://[${text}]/`).hostname).toBe(`[${text}]`);
      }),
    );
  });
});
