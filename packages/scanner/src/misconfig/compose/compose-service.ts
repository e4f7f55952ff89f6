// A service of a docker-compose file as the compose rules see it, and the small readers the
// rules share (environment in map or list form, short and long port and volume syntax).

import { isObject, type JsonObject } from '../kubernetes-resource.js';

export interface ComposeService {
  name: string;
  object: JsonObject;
}

export interface ComposeVariable {
  name: string;
  value: string;
  /** Key (map form) or index (list form) inside `environment`. */
  key: string | number;
}

/** `environment:` as a map (`KEY: value`) or a list (`- KEY=value`); entries without a value are skipped. */
export function environmentOf(service: ComposeService): ComposeVariable[] {
  const env = service.object.environment;
  const out: ComposeVariable[] = [];
  if (Array.isArray(env)) {
    env.forEach((entry, i) => {
      if (typeof entry !== 'string') return;
      const eq = entry.indexOf('=');
      if (eq > 0) out.push({ name: entry.slice(0, eq), value: entry.slice(eq + 1), key: i });
    });
  } else if (isObject(env)) {
    for (const [name, value] of Object.entries(env)) {
      if (value === null || value === undefined) continue;
      out.push({ name, value: String(value), key: name });
    }
  }
  return out;
}

export interface PublishedPort {
  index: number;
  /** The host address the port binds to; undefined means every interface. */
  hostIp?: string;
  text: string;
}

/** Ports the service publishes on the host: short (`[IP:][HOST:]CONTAINER[/proto]`) and long syntax. */
export function publishedPortsOf(service: ComposeService): PublishedPort[] {
  const ports = service.object.ports;
  if (!Array.isArray(ports)) return [];
  const out: PublishedPort[] = [];
  ports.forEach((p, index) => {
    if (typeof p === 'number') {
      out.push({ index, text: String(p) });
    } else if (typeof p === 'string') {
      out.push({ index, hostIp: shortPortHostIp(p), text: p });
    } else if (isObject(p)) {
      const hostIp = typeof p.host_ip === 'string' && p.host_ip !== '' ? p.host_ip : undefined;
      out.push({ index, hostIp, text: `${hostIp ?? ''}:${String(p.published ?? '')}:${String(p.target ?? '')}` });
    }
  });
  return out;
}

function shortPortHostIp(spec: string): string | undefined {
  // An IPv6 address is bracketed: "[::1]:8080:80".
  if (spec.startsWith('[')) {
    const end = spec.indexOf(']');
    return end > 0 ? spec.slice(1, end) : undefined;
  }
  const parts = spec.split(':');
  return parts.length >= 3 && parts[0] !== '' ? parts[0] : undefined;
}

export interface VolumeMount {
  index: number;
  source: string;
}

/** The host side of each volume: short (`SRC:DST[:mode]`) and long (`{type, source, target}`) syntax. */
export function volumeSourcesOf(service: ComposeService): VolumeMount[] {
  const volumes = service.object.volumes;
  if (!Array.isArray(volumes)) return [];
  const out: VolumeMount[] = [];
  volumes.forEach((v, index) => {
    if (typeof v === 'string') {
      const colon = v.indexOf(':');
      if (colon > 0) out.push({ index, source: v.slice(0, colon) });
    } else if (isObject(v) && typeof v.source === 'string') {
      out.push({ index, source: v.source });
    }
  });
  return out;
}
