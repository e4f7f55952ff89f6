// CIS 2.1 and 2.2: server daemons a general-purpose host should not run, and legacy clients it
// should not have. "Not in use" means not installed, or installed with no enabled systemd unit.

import type { HostCheck } from '../types.js';
import { checkNotInstalled, checkNotInUse } from './check-helpers.js';

const SERVERS: { cis: string; what: string; packages: string[]; units: string[] }[] = [
  { cis: '2.1.1', what: 'autofs', packages: ['autofs'], units: ['autofs.service'] },
  {
    cis: '2.1.2',
    what: 'avahi daemon',
    packages: ['avahi-daemon'],
    units: ['avahi-daemon.service', 'avahi-daemon.socket'],
  },
  {
    cis: '2.1.3',
    what: 'DHCP server',
    packages: ['isc-dhcp-server', 'kea-dhcp4-server', 'kea-dhcp6-server'],
    units: ['isc-dhcp-server.service', 'isc-dhcp-server6.service', 'kea-dhcp4-server.service'],
  },
  { cis: '2.1.4', what: 'DNS server', packages: ['bind9'], units: ['named.service', 'bind9.service'] },
  { cis: '2.1.5', what: 'dnsmasq', packages: ['dnsmasq'], units: ['dnsmasq.service'] },
  {
    cis: '2.1.6',
    what: 'FTP server',
    packages: ['vsftpd', 'proftpd-basic', 'pure-ftpd'],
    units: ['vsftpd.service', 'proftpd.service', 'pure-ftpd.service'],
  },
  { cis: '2.1.7', what: 'LDAP server', packages: ['slapd'], units: ['slapd.service'] },
  {
    cis: '2.1.8',
    what: 'IMAP/POP3 server',
    packages: ['dovecot-imapd', 'dovecot-pop3d'],
    units: ['dovecot.service', 'dovecot.socket'],
  },
  {
    cis: '2.1.9',
    what: 'NFS server',
    packages: ['nfs-kernel-server'],
    units: ['nfs-server.service', 'nfs-kernel-server.service'],
  },
  { cis: '2.1.10', what: 'NIS server', packages: ['ypserv'], units: ['ypserv.service'] },
  { cis: '2.1.11', what: 'print server (CUPS)', packages: ['cups'], units: ['cups.service', 'cups.socket'] },
  { cis: '2.1.12', what: 'rpcbind', packages: ['rpcbind'], units: ['rpcbind.service', 'rpcbind.socket'] },
  { cis: '2.1.13', what: 'rsync daemon', packages: ['rsync'], units: ['rsync.service'] },
  { cis: '2.1.14', what: 'Samba', packages: ['samba'], units: ['smbd.service', 'nmbd.service'] },
  { cis: '2.1.15', what: 'SNMP server', packages: ['snmpd'], units: ['snmpd.service'] },
  {
    cis: '2.1.16',
    what: 'TFTP server',
    packages: ['tftpd-hpa', 'atftpd'],
    units: ['tftpd-hpa.service', 'atftpd.service'],
  },
  { cis: '2.1.17', what: 'web proxy', packages: ['squid'], units: ['squid.service'] },
  {
    cis: '2.1.18',
    what: 'web server',
    packages: ['apache2', 'nginx', 'lighttpd'],
    units: ['apache2.service', 'nginx.service', 'lighttpd.service'],
  },
  { cis: '2.1.19', what: 'xinetd', packages: ['xinetd'], units: ['xinetd.service'] },
  { cis: '2.1.20', what: 'X window server', packages: ['xserver-xorg-core', 'xserver-common'], units: [] },
];

const CLIENTS: { cis: string; what: string; packages: string[] }[] = [
  { cis: '2.2.1', what: 'NIS client', packages: ['nis'] },
  { cis: '2.2.2', what: 'rsh client', packages: ['rsh-client', 'rsh-redone-client'] },
  { cis: '2.2.3', what: 'talk client', packages: ['talk', 'inetutils-talk'] },
  { cis: '2.2.4', what: 'telnet client', packages: ['telnet', 'inetutils-telnet'] },
  { cis: '2.2.5', what: 'LDAP client', packages: ['ldap-utils'] },
  { cis: '2.2.6', what: 'FTP client', packages: ['ftp', 'tnftp', 'inetutils-ftp'] },
];

export const serviceChecks: HostCheck[] = [
  ...SERVERS.map(
    (s, i): HostCheck => ({
      id: `PAL-HOST-SVC-${String(i + 1).padStart(2, '0')}`,
      family: 'services',
      cis: { debian12: s.cis },
      title: `Ensure ${s.what} services are not in use`,
      severity: 'MEDIUM',
      rationale: `An unneeded ${s.what} is network attack surface that nobody watches or patches with care.`,
      remediation: `Remove it (apt purge ${s.packages.join(' ')}) or stop and mask its units${s.units.length ? ` (systemctl --now mask ${s.units.join(' ')})` : ''}.`,
      run: (host) => checkNotInUse(host, s.packages, s.units),
    }),
  ),
  ...CLIENTS.map(
    (c, i): HostCheck => ({
      id: `PAL-HOST-CLI-${String(i + 1).padStart(2, '0')}`,
      family: 'services',
      cis: { debian12: c.cis },
      title: `Ensure ${c.what} is not installed`,
      severity: 'LOW',
      rationale: `The ${c.what} speaks a clear-text protocol that exposes credentials on the network.`,
      remediation: `apt purge ${c.packages.join(' ')}`,
      run: (host) => checkNotInstalled(host, c.packages),
    }),
  ),
];
