// Turns the CLI's `--from A --to B:443/tcp` into a Flow, resolving endpoint names (name or
// namespace/name) and raw IPs against the model, and renders a Decision as text.

import { UsageError } from '@palisade/core';
import { parseIp } from '../model/cidr.js';
import { type PolicyModel, PROTOCOL_NUMBERS } from '../model/types.js';
import type { Decision, Flow } from './evaluate.js';

function resolveAddress(model: PolicyModel, ref: string): string {
  if (parseIp(ref)) return ref;
  const [ns, name] = ref.includes('/') ? ref.split('/', 2) : [undefined, ref];
  const matches = model.endpoints.filter((e) => e.name === name && (ns === undefined || e.namespace === ns));
  if (matches.length === 0)
    throw new UsageError(
      `no WorkloadEndpoint or HostEndpoint named "${ref}" in the files, and it is not an IP address`,
    );
  if (matches.length > 1) throw new UsageError(`endpoint name "${ref}" is ambiguous; write namespace/name`);
  const ip = matches[0]!.ips[0];
  if (!ip) throw new UsageError(`endpoint "${ref}" has no IP address`);
  return ip;
}

/** `--to` is `ENDPOINT[:PORT][/PROTO]`, e.g. `shop/api:8080/tcp`, `10.0.0.1:53/udp`, `db/icmp`. */
export function parseFlowSpec(model: PolicyModel, from: string, to: string): Flow {
  const m = to.match(/^(.+?)(?::(\d{1,5}))?(?:\/([a-zA-Z0-9]+))?$/);
  if (!m) throw new UsageError(`--to "${to}" is not ENDPOINT[:PORT][/PROTO]`);
  let [, target, port, proto] = m;
  // An IPv6 destination keeps its colons; only a trailing :digits after ']' or an IPv4/name is a port.
  if (target!.includes(':') && !target!.startsWith('[')) {
    target = to.replace(/\/[a-zA-Z0-9]+$/, '');
    port = undefined;
  }
  target = target!.replace(/^\[(.*)\]$/, '$1');
  const protocol = proto === undefined ? 6 : (PROTOCOL_NUMBERS.get(proto.toUpperCase()) ?? Number(proto));
  if (!Number.isInteger(protocol) || protocol < 0 || protocol > 255)
    throw new UsageError(`unknown protocol "${proto}"`);
  const dstPort = port === undefined ? undefined : Number(port);
  if (dstPort !== undefined && dstPort > 65535) throw new UsageError(`port ${dstPort} is out of range`);
  const flow: Flow = {
    src: resolveAddress(model, from),
    dst: resolveAddress(model, target),
    protocol,
    ...(protocol === 6 || protocol === 17 || protocol === 132 ? { srcPort: 40000, dstPort: dstPort ?? 0 } : {}),
    ...(protocol === 1 || protocol === 58 ? { icmpType: 8, icmpCode: 0 } : {}),
  };
  return flow;
}

export function renderDecision(flow: Flow, d: Decision): string {
  const lines = [
    `${flow.src} -> ${flow.dst}${flow.dstPort ? `:${flow.dstPort}` : ''} proto ${flow.protocol}: ${d.verdict.toUpperCase()}`,
  ];
  for (const s of d.trace) {
    const where = [s.tier && `tier ${s.tier}`, s.policy, s.rule !== undefined && `rule ${s.rule}`]
      .filter(Boolean)
      .join(' / ');
    lines.push(`  ${s.direction.padEnd(7)} ${s.endpoint}: ${s.action}${where ? ` [${where}]` : ''} — ${s.note}`);
  }
  if (d.stagedVerdict !== d.verdict) lines.push(`  staged policies would ${d.stagedVerdict} this flow`);
  return `${lines.join('\n')}\n`;
}
