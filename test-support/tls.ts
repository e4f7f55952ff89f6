// A throwaway self-signed certificate for 127.0.0.1 (openssl, EC P-256, valid one day), for tests
// of servers that speak TLS; the client trusts the certificate itself as its CA.

import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Writes cert.pem and key.pem into `dir` and returns their paths. */
export function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'];
  args.push('-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert);
  execFileSync('openssl', args, { stdio: 'ignore' });
  return { cert, key };
}
