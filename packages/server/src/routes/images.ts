// Image routes: images by digest (as workloads report them) with workload and vulnerability counts,
// and one image's vulnerabilities, deduplicated by vulnerability and package, with the workloads
// running the image that carry each.

import type { ApiApp, RouteContext } from '../api-types.js';
import { operation } from '../api-types.js';
import { resolveTenant } from '../auth.js';
import { Page } from '../schemas.js';
import {
  DigestParams,
  ImageQuery,
  ImageSummary,
  ImageVulnerability,
  ImageVulnerabilityQuery,
} from '../view-schemas.js';
import { severityQuery } from './findings.js';

export function registerImageRoutes(app: ApiApp, ctx: RouteContext): void {
  const { store } = ctx;

  app.get(
    '/images',
    {
      config: { permission: 'images:read' },
      schema: operation('images:read', {
        summary: 'Images (by digest) run by workloads, with workload counts and open vulnerabilities by severity',
        tags: ['images'],
        querystring: ImageQuery,
        response: { 200: Page(ImageSummary) },
      }),
    },
    async (request) => {
      const { tenant, limit, cursor, q } = request.query;
      const scope = await resolveTenant(store, request, tenant);
      return store.images.list(scope.path, { q }, { limit, cursor });
    },
  );

  app.get(
    '/images/:digest/vulnerabilities',
    {
      config: { permission: 'images:read' },
      schema: operation('images:read', {
        summary: "An image's vulnerabilities, worst first, each with the workloads running the image that carry it",
        description:
          'Deduplicated by vulnerability and package across workloads. 404 when no workload in scope runs the digest.',
        tags: ['images'],
        params: DigestParams,
        querystring: ImageVulnerabilityQuery,
        response: { 200: Page(ImageVulnerability) },
      }),
    },
    async (request) => {
      const { tenant, limit, cursor, status, severity, packageName } = request.query;
      const scope = await resolveTenant(store, request, tenant);
      return store.images.vulnerabilities(
        request.params.digest,
        scope.path,
        { status, severity: severityQuery(severity), packageName },
        { limit, cursor },
      );
    },
  );
}
