// Security group ingress open to the whole internet on remote-administration or database ports,
// in every form AWS offers (inline ingress blocks, separate rule resources, CloudFormation). Tagged exposure.

import type { IacIssue } from '../../iac/iac-resource.js';
import type { JsonObject } from '../../kubernetes-resource.js';
import type { DocPath } from '../../types.js';
import { AWS_SECURITY_HUB, adminPortsIn, blocksAt, CIS_AWS, isWorld, numberOf, strings, typedRule } from './define.js';

interface Ingress {
  rule: JsonObject;
  path: DocPath;
  protocol: unknown;
  from: unknown;
  to: unknown;
  cidrs: { value: string; key: string }[];
}

function ingressIssues(owner: string, items: Ingress[]): IacIssue[] {
  const out: IacIssue[] = [];
  for (const i of items) {
    const world = i.cidrs.find((c) => isWorld(c.value));
    if (!world) continue;
    const allProtocols = ['-1', 'all'].includes(String(i.protocol).toLowerCase());
    const from = allProtocols ? 0 : numberOf(i.from);
    const to = allProtocols ? 65535 : numberOf(i.to);
    if (from === undefined || to === undefined) continue;
    // from/to of -1 (ICMP "all types") is not a TCP port range.
    if (!allProtocols && (from < 0 || String(i.protocol).toLowerCase() === 'icmp')) continue;
    const ports = adminPortsIn(from, to);
    if (ports.length === 0) continue;
    out.push({
      path: [...i.path, world.key],
      detail: `${owner} allows ${world.value} to ${ports.length > 3 ? `all ports incl. ${ports.slice(0, 3).join(', ')}` : ports.join(', ')}`,
    });
  }
  return out;
}

export const securityGroupOpenAdminPorts = typedRule(
  {
    id: 'PAL-AWS-010',
    severity: 'CRITICAL',
    title: 'Security group open to the internet on an administration or database port',
    rationale:
      'SSH, RDP and database ports reachable from 0.0.0.0/0 or ::/0 are scanned and brute-forced within minutes of exposure.',
    remediation:
      'Restrict the source to known address ranges, or reach the hosts through a bastion, SSM Session Manager or a VPN.',
    references: [
      'https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html',
      AWS_SECURITY_HUB,
      CIS_AWS,
    ],
    frameworks: { cis: ['AWS 5.2', 'AWS 5.3'], mitre: ['T1133', 'T1190'] },
    tags: ['exposure'],
  },
  [
    'aws_security_group',
    'aws_security_group_rule',
    'aws_vpc_security_group_ingress_rule',
    'AWS::EC2::SecurityGroup',
    'AWS::EC2::SecurityGroupIngress',
  ],
  (r) => {
    const a = r.attrs;
    const items: Ingress[] = [];
    if (r.type === 'aws_security_group') {
      for (const { block, path } of blocksAt(a, 'ingress')) {
        items.push({
          rule: block,
          path,
          protocol: block.protocol,
          from: block.from_port,
          to: block.to_port,
          cidrs: [
            ...strings(block.cidr_blocks).map((value) => ({ value, key: 'cidr_blocks' })),
            ...strings(block.ipv6_cidr_blocks).map((value) => ({ value, key: 'ipv6_cidr_blocks' })),
          ],
        });
      }
    } else if (r.type === 'aws_security_group_rule') {
      if (a.type !== 'ingress') return [];
      items.push({
        rule: a,
        path: [],
        protocol: a.protocol,
        from: a.from_port,
        to: a.to_port,
        cidrs: [
          ...strings(a.cidr_blocks).map((value) => ({ value, key: 'cidr_blocks' })),
          ...strings(a.ipv6_cidr_blocks).map((value) => ({ value, key: 'ipv6_cidr_blocks' })),
        ],
      });
    } else if (r.type === 'aws_vpc_security_group_ingress_rule') {
      items.push({
        rule: a,
        path: [],
        protocol: a.ip_protocol,
        from: a.from_port,
        to: a.to_port,
        cidrs: [
          ...strings(a.cidr_ipv4).map((value) => ({ value, key: 'cidr_ipv4' })),
          ...strings(a.cidr_ipv6).map((value) => ({ value, key: 'cidr_ipv6' })),
        ],
      });
    } else {
      const list =
        r.type === 'AWS::EC2::SecurityGroup'
          ? blocksAt(a, 'SecurityGroupIngress')
          : [{ block: a, path: [] as DocPath }];
      for (const { block, path } of list) {
        items.push({
          rule: block,
          path,
          protocol: block.IpProtocol,
          from: block.FromPort,
          to: block.ToPort,
          cidrs: [
            ...strings(block.CidrIp).map((value) => ({ value, key: 'CidrIp' })),
            ...strings(block.CidrIpv6).map((value) => ({ value, key: 'CidrIpv6' })),
          ],
        });
      }
    }
    return ingressIssues(r.name, items);
  },
);
