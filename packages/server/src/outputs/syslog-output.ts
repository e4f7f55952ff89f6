// Syslog output: RFC 5424 messages over UDP (one datagram each, cut safely to fit) or TCP
// (octet-counting framing, RFC 6587). PRI comes from the Falco priority, SD carries rule and host.

import dgram from 'node:dgram';
import net from 'node:net';
import type { AlertDocument, Output, OutputAlert } from './output.js';
import { priorityRank } from './output.js';

export interface SyslogOutputOptions {
  name: string;
  host: string;
  port: number;
  protocol: 'udp' | 'tcp';
  /** Facility name (kern … local7) or number; default local0 (16). */
  facility?: string | number;
  appName?: string;
  /** Largest message in bytes; default 2048 for UDP (RFC 5426's safe size), 65536 for TCP. */
  maxMessageBytes?: number;
  customFields?: Record<string, unknown>;
  timeoutMs?: number;
}

export const FACILITIES: Record<string, number> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

/** Private enterprise number 32473 is the one RFC 5612 reserves for documentation and examples. */
export const SD_ID = 'palisade@32473';
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const MAX_SD_VALUE_CHARS = 256;

/** Falco's priorities are syslog's severities, in the same order (Emergency 0 … Debug 7). */
export function syslogSeverity(priority: string): number {
  return priorityRank(priority);
}

/** PRINTUSASCII without spaces, cut to `max`; "-" (the NILVALUE) when nothing is left. */
function headerField(value: string | null | undefined, max: number): string {
  const clean = (value ?? '').replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return clean || '-';
}

/** SD-NAME: PRINTUSASCII except '=', ']', '"' and space, at most 32 characters. */
function sdName(name: string): string {
  return name.replace(/[^\x21-\x7e]|[=\]"]/g, '_').slice(0, 32) || '_';
}

/** PARAM-VALUE: '"', '\' and ']' escaped with a backslash; cut at a code point, never mid-pair. */
function sdValue(value: unknown): string {
  const s = Array.from(String(value ?? ''))
    .slice(0, MAX_SD_VALUE_CHARS)
    .join('');
  return s.replace(/[\\"\]]/g, (c) => `\\${c}`);
}

function structuredData(alert: OutputAlert, customFields: Record<string, unknown>): string {
  const params: [string, unknown][] = [
    ['rule', alert.rule],
    ['priority', alert.priority],
    ['host', alert.hostname ?? ''],
    ['tenant', alert.tenant],
    ['id', alert.uuid],
  ];
  if (alert.container?.id) params.push(['container', alert.container.id]);
  if (alert.container?.image) params.push(['image', alert.container.image]);
  const seen = new Set(params.map(([k]) => k));
  for (const [k, v] of Object.entries(customFields)) {
    const name = sdName(k);
    if (seen.has(name)) continue;
    seen.add(name);
    params.push([name, v]);
  }
  return `[${SD_ID}${params.map(([k, v]) => ` ${k}="${sdValue(v)}"`).join('')}]`;
}

/** Cuts a UTF-8 buffer to at most `max` bytes without splitting a character. */
export function truncateUtf8(buf: Buffer, max: number): Buffer {
  if (buf.length <= max) return buf;
  let end = Math.max(0, max);
  // buf[end] is the first byte left out: if it continues a character, that character goes too.
  while (end > 0 && ((buf[end] as number) & 0xc0) === 0x80) end--;
  return buf.subarray(0, end);
}

function rfc3339(time: string): string {
  const d = new Date(time);
  // RFC 5424 allows at most 6 fractional digits; Falco's nanoseconds are cut to milliseconds.
  return Number.isNaN(d.getTime()) ? new Date().toISOString() : d.toISOString();
}

export function facilityNumber(facility: string | number | undefined): number {
  if (facility === undefined) return 16;
  if (typeof facility === 'number') return facility;
  const n = FACILITIES[facility.toLowerCase()];
  if (n === undefined) throw new Error(`unknown syslog facility "${facility}"`);
  return n;
}

/** One RFC 5424 message (without transport framing), at most maxBytes long. */
export function formatSyslogMessage(
  doc: AlertDocument,
  opts: { facility: number; appName: string; maxBytes: number; customFields: Record<string, unknown> },
): Buffer {
  const pri = opts.facility * 8 + syslogSeverity(doc.priority);
  const head = `<${pri}>1 ${rfc3339(doc.time)} ${headerField(doc.hostname, 255)} ${headerField(opts.appName, 48)} - alert `;
  let sd = structuredData(doc, opts.customFields);
  // The header and BOM always fit; structured data gives way before the message does.
  if (Buffer.byteLength(head + sd) + 1 + BOM.length > opts.maxBytes) sd = '-';
  const prefix = Buffer.concat([Buffer.from(`${head}${sd} `), BOM]);
  const msg = truncateUtf8(Buffer.from(doc.output, 'utf8'), opts.maxBytes - prefix.length);
  return Buffer.concat([prefix, msg]);
}

/** RFC 6587 octet counting: "<length> <message>". */
export function octetCountingFrame(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${message.length} `), message]);
}

export function syslogOutput(opts: SyslogOutputOptions): Output {
  const facility = facilityNumber(opts.facility);
  const format = {
    facility,
    appName: opts.appName ?? 'palisade',
    maxBytes: opts.maxMessageBytes ?? (opts.protocol === 'udp' ? 2048 : 65536),
    customFields: opts.customFields ?? {},
  };
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let udp: dgram.Socket | undefined;
  let tcp: net.Socket | undefined;

  const udpSocket = (): dgram.Socket => {
    if (!udp) {
      udp = dgram.createSocket(net.isIPv6(opts.host) ? 'udp6' : 'udp4');
      udp.unref();
      // A send error reaches send()'s callback; this keeps a stray ICMP error from crashing us.
      udp.on('error', () => undefined);
    }
    return udp;
  };

  const tcpSocket = (): Promise<net.Socket> => {
    if (tcp && !tcp.destroyed) return Promise.resolve(tcp);
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: opts.host, port: opts.port });
      const timer = setTimeout(() => s.destroy(new Error(`connect timed out after ${timeoutMs} ms`)), timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        // Later errors just drop the connection; the next send reconnects.
        s.on('error', () => s.destroy());
        s.on('close', () => {
          if (tcp === s) tcp = undefined;
        });
        tcp = s;
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`syslog tcp ${opts.host}:${opts.port}: ${err.message}`));
      });
    });
  };

  return {
    name: opts.name,
    type: 'syslog',
    batchSize: 100,
    async send(batch) {
      const messages = batch.map((doc) => formatSyslogMessage(doc, format));
      if (opts.protocol === 'udp') {
        const socket = udpSocket();
        for (const m of messages) {
          await new Promise<void>((resolve, reject) =>
            socket.send(m, opts.port, opts.host, (err) =>
              err ? reject(new Error(`syslog udp ${opts.host}:${opts.port}: ${err.message}`)) : resolve(),
            ),
          );
        }
        return [];
      }
      const socket = await tcpSocket();
      await new Promise<void>((resolve, reject) => {
        // A receiver that stops reading fills the socket buffer: give up on it rather than wait forever.
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new Error(`syslog tcp ${opts.host}:${opts.port}: write timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        socket.write(Buffer.concat(messages.map(octetCountingFrame)), (err) => {
          clearTimeout(timer);
          if (err) reject(new Error(`syslog tcp ${opts.host}:${opts.port}: ${err.message}`));
          else resolve();
        });
      });
      return [];
    },
    async close() {
      udp?.close();
      udp = undefined;
      tcp?.end();
      tcp = undefined;
    },
  };
}
