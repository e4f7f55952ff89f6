// Inventory routes: workloads (list with filters, sorting and cursor pagination; get) and agents
// (register, heartbeat, list, get).

import { NotFoundError } from '@palisade/core';
import { Type } from '@sinclair/typebox';
import type { ApiApp, RouteContext } from '../api-types.js';
import { operation } from '../api-types.js';
import { principalOf, resolveTenant } from '../auth.js';
import { Agent, AgentRegister, Heartbeat, IdParams, Page, PageQuery, Workload, WorkloadQuery } from '../schemas.js';
import { recordAudit } from './audit.js';

export function registerInventoryRoutes(app: ApiApp, ctx: RouteContext): void {
  const { store } = ctx;

  app.get(
    '/workloads',
    {
      config: { permission: 'workloads:read' },
      schema: operation('workloads:read', {
        summary: 'List workloads with filters, sorting and cursor pagination',
        tags: ['workloads'],
        querystring: WorkloadQuery,
        response: { 200: Page(Workload) },
      }),
    },
    async (request) => {
      const { tenant, limit, cursor, sort, order, ...filter } = request.query;
      const scope = await resolveTenant(store, request, tenant);
      return store.workloads.list(scope.path, filter, { by: sort, direction: order }, { limit, cursor });
    },
  );

  app.get(
    '/workloads/:id',
    {
      config: { permission: 'workloads:read' },
      schema: operation('workloads:read', {
        summary: 'Get a workload',
        tags: ['workloads'],
        params: IdParams,
        response: { 200: Workload },
      }),
    },
    async (request) => {
      const w = await store.workloads.get(request.params.id, principalOf(request).tenantPath);
      if (!w) throw new NotFoundError(`workload ${request.params.id} not found`);
      return w;
    },
  );

  app.post(
    '/agents',
    {
      config: { permission: 'agents:register' },
      schema: operation('agents:register', {
        summary: "Register an agent in the token's tenant (idempotent by name)",
        tags: ['agents'],
        body: AgentRegister,
        response: { 200: Agent },
      }),
    },
    async (request) => {
      const p = principalOf(request);
      const b = request.body;
      const workload = b.workload ? await store.workloads.upsert(p.tenantId, b.workload) : undefined;
      const agent = await store.agents.register(p.tenantId, {
        name: b.name,
        hostname: b.hostname,
        version: b.version,
        workloadId: workload?.id,
      });
      await recordAudit(ctx, request, {
        tenantId: p.tenantId,
        action: 'agent.register',
        targetType: 'agent',
        targetId: agent.id,
        detail: { name: b.name },
      });
      return agent;
    },
  );

  app.post(
    '/agents/:id/heartbeat',
    {
      config: { permission: 'agents:register' },
      schema: operation('agents:register', {
        summary: 'Record an agent heartbeat (version and health)',
        tags: ['agents'],
        params: IdParams,
        body: Heartbeat,
        response: { 200: Agent },
      }),
    },
    async (request) => store.agents.heartbeat(request.params.id, principalOf(request).tenantPath, request.body),
  );

  app.get(
    '/agents',
    {
      config: { permission: 'agents:read' },
      schema: operation('agents:read', {
        summary: 'List agents, most recently seen first',
        tags: ['agents'],
        querystring: Type.Object(PageQuery),
        response: { 200: Page(Agent) },
      }),
    },
    async (request) => {
      const scope = await resolveTenant(store, request, request.query.tenant);
      return store.agents.list(scope.path, { limit: request.query.limit, cursor: request.query.cursor });
    },
  );

  app.get(
    '/agents/:id',
    {
      config: { permission: 'agents:read' },
      schema: operation('agents:read', {
        summary: 'Get an agent',
        tags: ['agents'],
        params: IdParams,
        response: { 200: Agent },
      }),
    },
    async (request) => {
      const a = await store.agents.get(request.params.id, principalOf(request).tenantPath);
      if (!a) throw new NotFoundError(`agent ${request.params.id} not found`);
      return a;
    },
  );
}
