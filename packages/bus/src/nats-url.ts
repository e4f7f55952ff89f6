// Reads a NATS URL into connection settings. Credentials may ride in the URL
// (nats://user:pass@host, nats://token@host) or in its query (?creds=FILE for a NATS .creds file,
// ?tls_ca= / ?tls_cert= / ?tls_key= for TLS files); tls:// or any TLS file requires TLS. Several
// servers are comma-separated URLs. `display` is what messages may show: never a secret.

export interface NatsTlsFiles {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export interface NatsAuth {
  token?: string;
  user?: string;
  pass?: string;
  /** A NATS .creds file (JWT + NKey seed). */
  credsFile?: string;
  /** TLS: required when set; files are optional (the system CAs verify the server otherwise). */
  tls?: NatsTlsFiles;
}

export interface NatsUrlSettings extends NatsAuth {
  /** host:port of each server. */
  servers: string[];
  /** scheme://host:port[,…] without credentials or query: safe for logs and errors. */
  display: string;
}

const DEFAULT_PORT = 4222;
const QUERY_KEYS = new Set(['creds', 'tls_ca', 'tls_cert', 'tls_key']);

/** Whether `url` names a NATS server (nats:// or tls://, possibly several comma-separated). */
export function isNatsUrl(url: string): boolean {
  return /^(nats|tls):\/\//i.test(url.trim());
}

export function parseNatsUrl(url: string): NatsUrlSettings {
  const parts = url
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length === 0) throw new Error('NATS URL is empty: use nats://HOST:4222');
  const settings: NatsUrlSettings = { servers: [], display: '' };
  const shown: string[] = [];
  let tlsRequired = false;
  const tls: NatsTlsFiles = {};
  for (const part of parts) {
    let u: URL;
    try {
      u = new URL(part);
    } catch {
      // The part itself may hold a password: name only its position.
      throw new Error(`NATS URL part ${shown.length + 1} is not a URL: use nats://[user:pass@]HOST[:PORT]`);
    }
    const scheme = u.protocol.slice(0, -1).toLowerCase();
    if (scheme !== 'nats' && scheme !== 'tls') {
      throw new Error(`NATS URL must start with nats:// or tls://, not ${scheme}://`);
    }
    if (!u.hostname) throw new Error('NATS URL has no host: use nats://HOST:4222');
    if (u.pathname !== '' && u.pathname !== '/') throw new Error(`NATS URL takes no path (${u.pathname})`);
    const hostPort = `${u.hostname}:${u.port || DEFAULT_PORT}`;
    settings.servers.push(hostPort);
    shown.push(`${scheme}://${hostPort}`);
    if (scheme === 'tls') tlsRequired = true;
    const user = decodeURIComponent(u.username);
    const pass = decodeURIComponent(u.password);
    if (user && pass) {
      settings.user = user;
      settings.pass = pass;
    } else if (user) {
      settings.token = user;
    }
    for (const [key, value] of u.searchParams) {
      if (!QUERY_KEYS.has(key)) {
        throw new Error(`NATS URL: unknown query parameter "${key}"; known: ${[...QUERY_KEYS].join(', ')}`);
      }
      if (key === 'creds') settings.credsFile = value;
      if (key === 'tls_ca') tls.caFile = value;
      if (key === 'tls_cert') tls.certFile = value;
      if (key === 'tls_key') tls.keyFile = value;
    }
  }
  if (Boolean(tls.certFile) !== Boolean(tls.keyFile)) throw new Error('NATS URL: tls_cert and tls_key go together');
  if (tlsRequired || Object.keys(tls).length > 0) settings.tls = tls;
  settings.display = shown.join(',');
  return settings;
}
