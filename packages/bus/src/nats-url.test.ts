import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isNatsUrl, parseNatsUrl } from './nats-url.js';

describe('parseNatsUrl', () => {
  it('reads host and port, defaulting the port to 4222', () => {
    expect(parseNatsUrl('nats://127.0.0.1')).toEqual({ servers: ['127.0.0.1:4222'], display: 'nats://127.0.0.1:4222' });
    expect(parseNatsUrl('nats://nats.internal:4333')).toMatchObject({ servers: ['nats.internal:4333'] });
    expect(parseNatsUrl('nats://[::1]:4222')).toMatchObject({ servers: ['[::1]:4222'] });
  });

  it('takes user and password, or a lone token, from the URL (percent-decoded)', () => {
    expect(parseNatsUrl('nats://alice:p%40ss@h:1')).toMatchObject({ user: 'alice', pass: 'p@ss' });
    const t = parseNatsUrl('nats://s3cr3t@h:1');
    expect(t.token).toBe('s3cr3t');
    expect(t.user).toBeUndefined();
  });

  it('reads creds and TLS files from the query; tls:// or any TLS file requires TLS', () => {
    expect(parseNatsUrl('nats://h?creds=/etc/nats/app.creds')).toMatchObject({ credsFile: '/etc/nats/app.creds' });
    expect(parseNatsUrl('nats://h').tls).toBeUndefined();
    expect(parseNatsUrl('tls://h').tls).toEqual({});
    expect(parseNatsUrl('nats://h?tls_ca=/ca.pem&tls_cert=/c.pem&tls_key=/k.pem').tls).toEqual({
      caFile: '/ca.pem',
      certFile: '/c.pem',
      keyFile: '/k.pem',
    });
    expect(() => parseNatsUrl('nats://h?tls_cert=/c.pem')).toThrow(/go together/);
    expect(() => parseNatsUrl('nats://h?password=x')).toThrow(/unknown query parameter "password"/);
  });

  it('takes several comma-separated servers', () => {
    expect(parseNatsUrl('nats://u:p@a:4222, nats://b:4223')).toMatchObject({
      servers: ['a:4222', 'b:4223'],
      display: 'nats://a:4222,nats://b:4223',
      user: 'u',
      pass: 'p',
    });
  });

  it('refuses other schemes, paths and empty input', () => {
    expect(() => parseNatsUrl('')).toThrow(/empty/);
    expect(() => parseNatsUrl('http://h:4222')).toThrow(/nats:\/\/ or tls:\/\//);
    expect(() => parseNatsUrl('nats://h:4222/x')).toThrow(/no path/);
    expect(isNatsUrl('NATS://h')).toBe(true);
    expect(isNatsUrl('memory:')).toBe(false);
  });

  it('never shows a credential in display or in an error, whatever the URL holds', () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9_~-]{6,24}$/).map((s) => `S3cret${s}`);
    const host = fc.constantFrom('127.0.0.1', 'nats.example', '[::1]', 'h-1.internal');
    const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
    const query = fc.constantFrom('', '?creds=/x.creds', '?tls_ca=/ca.pem', '?bogus=1', '/path');
    fc.assert(
      fc.property(fc.boolean(), secret, secret, host, port, query, (withUser, a, b, h, p, q) => {
        const cred = withUser ? `${a}:${b}@` : `${a}@`;
        const url = `nats://${cred}${h}${p ? `:${p}` : ''}${q}`;
        let text: string;
        try {
          const s = parseNatsUrl(url);
          text = `${s.display} ${s.servers.join(',')}`;
          expect(s.servers).toEqual([`${h}:${p ?? 4222}`]);
        } catch (err) {
          text = (err as Error).message;
        }
        expect(text).not.toContain(a);
        expect(text).not.toContain(b);
      }),
    );
  });

  it('never throws anything but an Error on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          parseNatsUrl(`nats://${s}`);
        } catch (err) {
          expect(err).toBeInstanceOf(Error);
        }
      }),
    );
  });
});
