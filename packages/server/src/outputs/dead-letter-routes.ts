// Dead-letter routes (admin): list the alerts outputs gave up on, and queue one again on its
// output (the row moves back into the outbox; if delivery fails again, a new row records the error).

import { NotFoundError } from '@palisade/core';
import { Type } from '@sinclair/typebox';
import type { ApiApp, RouteContext } from '../api-types.js';
import { operation } from '../api-types.js';
import { principalOf, resolveTenant } from '../auth.js';
import { recordAudit } from '../routes/audit.js';
import { IdParams, Page, PageQuery } from '../schemas.js';
import type { AlertDispatcher } from './alert-dispatcher.js';

export const DeadLetterSchema = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  output: Type.String(),
  alertId: Type.String(),
  alert: Type.Object({}, { additionalProperties: true }),
  error: Type.String(),
  attempts: Type.Integer(),
  createdAt: Type.String(),
});

const DeadLetterQuery = Type.Object({ ...PageQuery, output: Type.Optional(Type.String({ maxLength: 64 })) });

const RetryResult = Type.Object({ id: Type.String(), output: Type.String(), queued: Type.Boolean() });

/** 409: the dead letter names an output this server no longer has in its outputs config. */
function notConfigured(output: string): Error {
  return Object.assign(new Error(`output "${output}" is not configured on this server; nothing was queued`), {
    statusCode: 409,
  });
}

export function registerDeadLetterRoutes(app: ApiApp, ctx: RouteContext & { outputs?: AlertDispatcher }): void {
  app.get(
    '/dead-letters',
    {
      config: { permission: 'outputs:read' },
      schema: operation('outputs:read', {
        summary: 'List alerts that an output could not deliver after its retries, newest first',
        tags: ['outputs'],
        querystring: DeadLetterQuery,
        response: { 200: Page(DeadLetterSchema) },
      }),
    },
    async (request) => {
      const { tenant, limit, cursor, output } = request.query;
      const scope = await resolveTenant(ctx.store, request, tenant);
      return ctx.store.deadLetters.list(scope.path, { output }, { limit, cursor });
    },
  );

  app.post(
    '/dead-letters/:id/retry',
    {
      config: { permission: 'outputs:write' },
      schema: operation('outputs:write', {
        summary: "Queue a dead letter's alert on its output again",
        tags: ['outputs'],
        params: IdParams,
        response: { 202: RetryResult },
      }),
    },
    async (request, reply) => {
      const p = principalOf(request);
      const letter = await ctx.store.deadLetters.getWithin(request.params.id, p.tenantPath);
      if (!letter) throw new NotFoundError(`dead letter ${request.params.id} not found`);
      if (!ctx.outputs?.has(letter.output)) throw notConfigured(letter.output);
      // One transaction moves the row back into the outbox: two concurrent retries queue it once.
      if (!(await ctx.store.outbox.requeueDeadLetter(letter.id))) {
        throw new NotFoundError(`dead letter ${request.params.id} not found`);
      }
      ctx.outputs.requeued(letter.output);
      await recordAudit(ctx, request, {
        tenantId: letter.tenantId,
        action: 'dead-letter.retry',
        targetType: 'dead-letter',
        targetId: letter.id,
        detail: { output: letter.output, alertId: letter.alertId },
      });
      return reply.status(202).send({ id: letter.id, output: letter.output, queued: true });
    },
  );
}
