// Policy routes: versioned documents (create a version, list the newest, get, versions, delete) for
// people, and the bundle an agent fetches with ETag / If-None-Match and `?wait=` long-polling.

import { InputError, NotFoundError } from '@palisade/core';
import { parseSelector } from '@palisade/network';
import { Type } from '@sinclair/typebox';
import { parseAllDocuments } from 'yaml';
import type { ApiApp, RouteContext } from '../api-types.js';
import { operation } from '../api-types.js';
import { principalOf, resolveTenant } from '../auth.js';
import { buildPolicyBundle, ifNoneMatchHas, type PolicyBundle } from '../policies/policy-bundle.js';
import { POLICIES_CHANGED, type PolicyChangedMessage, type PolicyChanges } from '../policies/policy-changes.js';
import { IdParams, Page, PageQuery } from '../schemas.js';
import { recordAudit } from './audit.js';

export const MAX_POLICY_DOCUMENT = 512 * 1024;
export const MAX_POLICY_WAIT_SECONDS = 60;

export const PolicySchema = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  kind: Type.String(),
  name: Type.String(),
  version: Type.Integer(),
  document: Type.String(),
  parsed: Type.Unknown(),
  workloadSelector: Type.String(),
  createdAt: Type.String(),
  createdBy: Type.Union([Type.String(), Type.Null()]),
  deleted: Type.Boolean(),
});

const PolicyCreate = Type.Object(
  {
    kind: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.-]+$' }),
    name: Type.String({ minLength: 1, maxLength: 253 }),
    document: Type.String({ minLength: 1, maxLength: MAX_POLICY_DOCUMENT }),
    workloadSelector: Type.Optional(Type.String({ maxLength: 4096 })),
    /** A tenant inside the caller's subtree; default the token's own. */
    tenantId: Type.Optional(Type.String({ maxLength: 128 })),
  },
  { additionalProperties: false },
);

const PolicyQuery = Type.Object({ ...PageQuery, kind: Type.Optional(Type.String({ maxLength: 100 })) });

const BundleSchema = Type.Object({ revision: Type.String(), policies: Type.Array(PolicySchema) });

const BundleQuery = Type.Object({
  wait: Type.Optional(
    Type.Number({
      minimum: 0,
      maximum: MAX_POLICY_WAIT_SECONDS,
      description: 'Seconds to hold the request while the bundle equals If-None-Match (long-poll)',
    }),
  ),
});

/** YAML (a superset of JSON), several `---` documents becoming an array; errors name the line. */
export function parsePolicyDocument(text: string, name: string): unknown {
  const docs = parseAllDocuments(text, { prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [];
  if (list.length === 0) throw new InputError(`policy "${name}": document is empty`);
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0]?.line;
      throw new InputError(
        `policy "${name}": document is not valid YAML/JSON${line ? ` at line ${line}` : ''}: ${err.message.split('\n')[0]}`,
      );
    }
  }
  let values: unknown[];
  try {
    // toJS resolves aliases: an unknown anchor or an alias bomb fails here, not at parse time.
    values = list.map((d) => d.toJS({ maxAliasCount: 100 }) as unknown);
  } catch (err) {
    throw new InputError(
      `policy "${name}": document is not valid YAML/JSON: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    );
  }
  const value = values.length === 1 ? values[0] : values;
  if (value === null || value === undefined) throw new InputError(`policy "${name}": document is empty`);
  return value;
}

function checkSelector(selector: string): void {
  if (selector.trim() !== '') parseSelector(selector);
}

export function registerPolicyRoutes(app: ApiApp, ctx: RouteContext & { policyChanges: PolicyChanges }): void {
  const { store } = ctx;
  const changed = (tenantId: string) => ctx.bus.publish<PolicyChangedMessage>(POLICIES_CHANGED, { tenantId });

  app.post(
    '/policies',
    {
      config: { permission: 'policies:write' },
      schema: operation('policies:write', {
        summary: 'Create a policy, or a new version of an existing (kind, name)',
        tags: ['policies'],
        body: PolicyCreate,
        response: { 201: PolicySchema },
      }),
    },
    async (request, reply) => {
      const b = request.body;
      const scope = await resolveTenant(store, request, b.tenantId);
      const workloadSelector = b.workloadSelector ?? '';
      checkSelector(workloadSelector);
      const parsed = parsePolicyDocument(b.document, b.name);
      const policy = await store.policies.create(scope.tenantId, {
        kind: b.kind,
        name: b.name,
        document: b.document,
        parsed,
        workloadSelector,
        createdBy: `token:${principalOf(request).tokenId}`,
      });
      await recordAudit(ctx, request, {
        tenantId: scope.tenantId,
        action: 'policy.create',
        targetType: 'policy',
        targetId: policy.id,
        detail: { kind: policy.kind, name: policy.name, version: policy.version },
      });
      await changed(scope.tenantId);
      return reply.status(201).send(policy);
    },
  );

  app.get(
    '/policies',
    {
      config: { permission: 'policies:read' },
      schema: operation('policies:read', {
        summary: 'List the newest version of every live policy, newest first',
        tags: ['policies'],
        querystring: PolicyQuery,
        response: { 200: Page(PolicySchema) },
      }),
    },
    async (request) => {
      const { tenant, limit, cursor, kind } = request.query;
      const scope = await resolveTenant(store, request, tenant);
      return store.policies.list(scope.path, { kind }, { limit, cursor });
    },
  );

  app.get(
    '/policies/:id',
    {
      config: { permission: 'policies:read' },
      schema: operation('policies:read', {
        summary: 'Get one version of a policy',
        tags: ['policies'],
        params: IdParams,
        response: { 200: PolicySchema },
      }),
    },
    async (request) => {
      const p = await store.policies.getWithin(request.params.id, principalOf(request).tenantPath);
      if (!p) throw new NotFoundError(`policy ${request.params.id} not found`);
      return p;
    },
  );

  app.get(
    '/policies/:id/versions',
    {
      config: { permission: 'policies:read' },
      schema: operation('policies:read', {
        summary: 'Every version of the policy this version belongs to, newest first',
        tags: ['policies'],
        params: IdParams,
        response: { 200: Type.Object({ items: Type.Array(PolicySchema) }) },
      }),
    },
    async (request) => {
      const items = await store.policies.versions(request.params.id, principalOf(request).tenantPath);
      if (!items) throw new NotFoundError(`policy ${request.params.id} not found`);
      return { items };
    },
  );

  app.delete(
    '/policies/:id',
    {
      config: { permission: 'policies:write' },
      schema: operation('policies:write', {
        summary: 'Delete a policy (every version of its name; kept for history)',
        tags: ['policies'],
        params: IdParams,
        response: { 200: PolicySchema },
      }),
    },
    async (request) => {
      const p = await store.policies.delete(request.params.id, principalOf(request).tenantPath);
      if (!p) throw new NotFoundError(`policy ${request.params.id} not found or already deleted`);
      await recordAudit(ctx, request, {
        tenantId: p.tenantId,
        action: 'policy.delete',
        targetType: 'policy',
        targetId: p.id,
        detail: { kind: p.kind, name: p.name },
      });
      await changed(p.tenantId);
      return p;
    },
  );

  app.get(
    '/agents/:id/policies',
    {
      config: { permission: 'policies:fetch' },
      schema: operation('policies:fetch', {
        summary:
          "The agent's policy bundle (policies whose selector matches its workload). ETag is the revision; " +
          'If-None-Match with the current revision answers 304, after waiting up to `wait` seconds for a change.',
        tags: ['policies', 'agents'],
        params: IdParams,
        querystring: BundleQuery,
        response: {
          200: BundleSchema,
          304: Type.Null({ description: 'Not modified: the bundle is still If-None-Match' }),
        },
      }),
    },
    async (request, reply) => {
      const p = principalOf(request);
      const agent = await store.agents.get(request.params.id, p.tenantPath);
      if (!agent) throw new NotFoundError(`agent ${request.params.id} not found`);
      const workload = agent.workloadId ? await store.workloads.get(agent.workloadId, p.tenantPath) : undefined;
      const labels = workload?.labels ?? {};
      const tenantId = agent.tenantId;
      const ifNoneMatch = request.headers['if-none-match'];
      const deadline = Date.now() + (request.query.wait ?? 0) * 1000;
      // The client going away ends the wait early instead of holding a timer for nothing.
      const gone = new AbortController();
      const onClose = () => gone.abort();
      reply.raw.once('close', onClose);
      try {
        let bundle: PolicyBundle;
        for (;;) {
          const generation = ctx.policyChanges.generation(tenantId);
          bundle = buildPolicyBundle(await store.policies.latestInTenant(tenantId), labels);
          if (!ifNoneMatchHas(ifNoneMatch, bundle.revision)) break;
          // A change in the tenant that leaves this workload's bundle as it was keeps the wait going.
          const woken = await ctx.policyChanges.waitForChange(tenantId, generation, deadline - Date.now(), gone.signal);
          if (!woken) break;
        }
        void reply.header('etag', `"${bundle.revision}"`).header('cache-control', 'no-cache');
        if (ifNoneMatchHas(ifNoneMatch, bundle.revision)) return reply.status(304).send(null);
        return bundle;
      } finally {
        reply.raw.off('close', onClose);
      }
    },
  );
}
