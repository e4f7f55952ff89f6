// Network exposure declared by Services: NodePort and LoadBalancer reach beyond the cluster.
// Exposure is often intended, so the severity stays low; the finding makes it visible.

import { asObject, getIn } from '../../kubernetes-resource.js';
import { k8sRule } from './define.js';

export const serviceExposure = k8sRule(
  {
    id: 'PAL-K8S-028',
    severity: 'LOW',
    title: 'Service exposed outside the cluster',
    rationale: 'NodePort opens the port on every node and LoadBalancer asks the cloud for a public address.',
    remediation: 'Use ClusterIP behind an Ingress or gateway, or restrict loadBalancerSourceRanges.',
    references: ['https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types'],
    frameworks: { mitre: ['T1133'] },
  },
  (r) => {
    if (r.kind !== 'Service') return [];
    const type = getIn(r.object, ['spec', 'type']);
    if (type !== 'NodePort' && type !== 'LoadBalancer') return [];
    const ranges = asObject(r.object.spec)?.loadBalancerSourceRanges;
    const limited = type === 'LoadBalancer' && Array.isArray(ranges) && ranges.length > 0;
    return [
      {
        path: [...r.basePath, 'spec', 'type'],
        detail: `Service "${r.name}" is of type ${type}${limited ? ' (source ranges limited)' : ''}`,
      },
    ];
  },
);

export const ingressWithoutTls = k8sRule(
  {
    id: 'PAL-K8S-029',
    severity: 'LOW',
    title: 'Ingress without TLS',
    rationale:
      'Without a tls section the Ingress serves plain HTTP, so credentials and session cookies cross the network readable.',
    remediation: 'Add spec.tls with the hosts and a certificate secret (or terminate TLS in front of the controller).',
    references: ['https://kubernetes.io/docs/concepts/services-networking/ingress/#tls'],
    frameworks: { mitre: ['T1040'] },
  },
  (r) => {
    if (r.kind !== 'Ingress') return [];
    const spec = asObject(r.object.spec);
    if (Array.isArray(spec?.tls) && spec.tls.length > 0) return [];
    return [{ path: [...r.basePath, 'spec'], detail: `Ingress "${r.name}" has no tls section` }];
  },
);
